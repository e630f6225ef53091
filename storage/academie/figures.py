"""The academy's overview, its survey by establishment, and its broadcasts' progress.

Each figure is one query over the establishments served, counted the way each
establishment's own views count it, so the academy's totals are the sums of
theirs; when every establishment is served, the queries read their indexes (or
the tallies of migration 0044) without listing the establishments.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import sqlite_utils

from storage.academie.scope import Served, served
from storage.stamps import from_stamp, to_stamp


@dataclass(frozen=True)
class SurveyCompletion:
    """An academy survey (``[[survey]]``) open now: its referents' answers across establishments."""

    title: str
    deadline: date
    answered: int
    asked: int


@dataclass(frozen=True)
class AcademyOverview:
    """What ``!academie`` shows."""

    served: int
    active: int
    open_needs: int
    awaiting_answer: int
    sessions_held: int
    open_breakdowns: int
    projects_recorded: int
    surveys: tuple[SurveyCompletion, ...]


def academy_overview(
    db: sqlite_utils.Database,
    establishment_ids: Sequence[str],
    *,
    month_start: datetime,
    year_start: datetime,
    now: datetime,
) -> AcademyOverview:
    """The academy's figures at ``now`` over the configured establishments.

    Active: at least one command answered in its room since ``month_start``.
    Sessions held: training sessions that started between ``year_start`` and ``now``;
    projects recorded: class projects recorded between them, as each establishment's
    digest counts them (a project removed from its register is not counted).
    """
    scope = served(db, establishment_ids)
    year = (to_stamp(year_start), to_stamp(now))
    return AcademyOverview(
        served=len(establishment_ids),
        # One index seek per establishment (handled_events_by_room), not a scan of the month.
        active=_count(
            db,
            scope,
            "e.id",
            "establishments e WHERE {} AND EXISTS (SELECT 1 FROM handled_events h"
            " WHERE h.room_id = e.room_id AND h.handled_at >= ?)",
            to_stamp(month_start),
        ),
        open_needs=_open_needs(db, scope),
        awaiting_answer=_count(
            db,
            scope,
            "establishment_id",
            "training_needs WHERE {} AND status = 'dane' AND dane_answer IS NULL",
        ),
        sessions_held=_between(db, scope, "session", "training_sessions", "starts_at", *year),
        open_breakdowns=_open_breakdowns(db, scope),
        projects_recorded=_between(db, scope, "project", "class_projects", "created_at", *year),
        surveys=tuple(_academy_surveys(db, scope, now)),
    )


def _count(db, scope: Served, column: str, rows: str, *after) -> int:
    only, ids = scope.only(column)
    return db.execute(f"SELECT count(*) FROM {rows.format(only)}", (*ids, *after)).fetchone()[0]


def _between(db, scope: Served, kind: str, table: str, column: str, low: str, high: str) -> int:
    """Rows of ``table`` whose ``column`` is in [low, high): for every establishment, the
    whole UTC days between from their daily tally (``academy_days``), the rows of the
    first and the last day from ``table`` itself."""
    in_range = f"{table} WHERE {{}} AND {column} >= ? AND {column} < ?"
    if not scope.everyone or low[:10] >= high[:10]:
        return _count(db, scope, "establishment_id", in_range, low, high)
    after_first = to_stamp(datetime.fromisoformat(low[:10]).replace(tzinfo=UTC) + timedelta(days=1))
    last = to_stamp(datetime.fromisoformat(high[:10]).replace(tzinfo=UTC))
    return db.execute(
        "SELECT (SELECT coalesce(sum(count), 0) FROM academy_days WHERE kind = ?"
        " AND day > ? AND day < ?)"
        f" + (SELECT count(*) FROM {in_range.format(1)})"
        f" + (SELECT count(*) FROM {in_range.format(1)})",
        (kind, low[:10], high[:10], low, after_first, last, high),
    ).fetchone()[0]


def _open_needs(db, scope: Served) -> int:
    if scope.everyone:
        return db.execute("SELECT coalesce(sum(needs), 0) FROM academy_open_themes").fetchone()[0]
    return _count(db, scope, "establishment_id", "training_needs WHERE {} AND status = 'open'")


def _open_breakdowns(db, scope: Served) -> int:
    if scope.everyone:
        return db.execute(
            "SELECT coalesce(sum(breakdowns), 0) FROM academy_breakdown_tallies"
            " WHERE by_category = 1 AND repaired_in = 0"
        ).fetchone()[0]
    return _count(db, scope, "establishment_id", "incidents WHERE {} AND resolved_at IS NULL")


def _academy_surveys(db, scope: Served, now: datetime) -> list[SurveyCompletion]:
    # A survey of the referents counts its referents' answers only, as each
    # establishment's « !enquete état » does. One survey per establishment and
    # academy key, one member per establishment and user, one answer per survey
    # and user: each row is one referent asked. Surveys and referents are read
    # from their indexes alone (surveys_academy, members_referents).
    only, ids = scope.only("s.establishment_id")
    rows = db.execute(
        "SELECT s.title, s.deadline, count(*), count(a.user_id)"
        " FROM surveys s JOIN members m ON m.establishment_id = s.establishment_id"
        "  AND m.role = 'referent'"
        " LEFT JOIN survey_answers a ON a.survey_id = s.id AND a.user_id = m.user_id"
        f" WHERE s.academy_key IS NOT NULL AND {only}"
        " AND s.opens_at <= ? AND s.deadline >= ? AND s.closed_at IS NULL"
        " GROUP BY s.academy_key ORDER BY s.deadline, s.title",
        (*ids, to_stamp(now), now.date().isoformat()),
    ).fetchall()
    return [
        SurveyCompletion(title, date.fromisoformat(deadline), answered, asked)
        for title, deadline, asked, answered in rows
    ]


@dataclass(frozen=True)
class EstablishmentAnswer:
    """One establishment's part in an academy survey: did a referent say they answered."""

    establishment_id: str
    answered: bool


def academy_survey_answers(
    db: sqlite_utils.Database, academy_key: str, establishment_ids: Sequence[str]
) -> list[EstablishmentAnswer]:
    """For an academy survey (``[[survey]]``, by its key), whether each establishment
    answered (see ``establishments_that_answered``)."""
    answered = establishments_that_answered(db, academy_key, establishment_ids)
    return [EstablishmentAnswer(eid, eid in answered) for eid in establishment_ids]


def establishments_that_answered(
    db: sqlite_utils.Database, academy_key: str, establishment_ids: Sequence[str]
) -> set[str]:
    """The establishments among ``establishment_ids`` that answered an academy survey
    (``[[survey]]``, by its key): at least one of their referents said so (the 2016
    figure counted referents)."""
    # Every establishment's copy, from the survey's index and the count of its referents'
    # answers (academy_referent_answers); those asked about kept here, cheaper than
    # binding their ids.
    rows = db.execute(
        "SELECT s.establishment_id FROM surveys s JOIN academy_referent_answers t"
        " ON t.survey_id = s.id WHERE s.academy_key = ? AND t.answers > 0",
        (academy_key,),
    )
    return {eid for (eid,) in rows}.intersection(establishment_ids)


@dataclass(frozen=True)
class BroadcastProgress:
    """One message of the academy sent to many rooms: how many went, how many were refused."""

    key: str
    queued_at: datetime
    rooms: int
    sent: int
    refused: int


def broadcast_progress(
    db: sqlite_utils.Database, prefix: str, limit: int = 5
) -> list[BroadcastProgress]:
    """The latest broadcasts, by the transaction ids they were queued with
    (``<prefix><establishment>-<key>``: one key per broadcast, after the last dash)."""
    # The ids under the prefix are one range of the outbox's unique index. The key:
    # rtrim() drops from the end every character but a dash, up to the last dash.
    rows = db.execute(
        "SELECT substr(rest, length(rtrim(rest, replace(rest, '-', ''))) + 1) AS key,"
        " min(created_at), count(*), count(sent_at), count(failed_at)"
        " FROM (SELECT id, substr(txn_id, length(?) + 1) AS rest, created_at, sent_at,"
        "  failed_at FROM outbox WHERE txn_id >= ? AND txn_id < ?)"
        " GROUP BY key ORDER BY min(id)",
        (prefix, prefix, _after_every_one_starting_with(prefix)),
    ).fetchall()
    progress = [
        BroadcastProgress(key, from_stamp(queued_at), rooms, sent, refused)
        for key, queued_at, rooms, sent, refused in rows
    ]
    return sorted(progress, key=lambda p: p.queued_at, reverse=True)[:limit]


def _after_every_one_starting_with(prefix: str) -> str:
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)
