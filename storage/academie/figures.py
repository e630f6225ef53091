"""The academy's view: every establishment's figures added up, never a teacher's name.

Each figure is one aggregate query over all establishments (an académie has
about 430), counted the way each establishment's own views count it, so the
academy's totals are the sums of theirs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from statistics import median

import sqlite_utils

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
    ids = list(establishment_ids)
    marks = ",".join("?" * len(ids)) or "NULL"
    one = _counter(db, marks, ids)
    return AcademyOverview(
        served=len(ids),
        # One index seek per establishment (handled_events_by_room), not a scan of the month.
        active=one(
            "SELECT count(*) FROM establishments e WHERE e.id IN ({}) AND EXISTS (SELECT 1"
            " FROM handled_events h WHERE h.room_id = e.room_id AND h.handled_at >= ?)",
            to_stamp(month_start),
        ),
        open_needs=one(
            "SELECT count(*) FROM training_needs WHERE establishment_id IN ({}) AND status = 'open'"
        ),
        awaiting_answer=one(
            "SELECT count(*) FROM training_needs WHERE establishment_id IN ({})"
            " AND status = 'dane' AND dane_answer IS NULL"
        ),
        sessions_held=one(
            "SELECT count(*) FROM training_sessions WHERE establishment_id IN ({})"
            " AND starts_at >= ? AND starts_at < ?",
            to_stamp(year_start),
            to_stamp(now),
        ),
        open_breakdowns=one(
            "SELECT count(*) FROM incidents WHERE establishment_id IN ({}) AND resolved_at IS NULL"
        ),
        projects_recorded=one(
            "SELECT count(*) FROM class_projects WHERE establishment_id IN ({})"
            " AND created_at >= ? AND created_at < ?",
            to_stamp(year_start),
            to_stamp(now),
        ),
        surveys=tuple(_academy_surveys(db, marks, ids, now)),
    )


def _counter(db: sqlite_utils.Database, marks: str, ids: list[str]):
    def one(sql: str, *after) -> int:
        return db.execute(sql.format(marks), (*ids, *after)).fetchone()[0]

    return one


def _academy_surveys(db, marks: str, ids: list[str], now: datetime) -> list[SurveyCompletion]:
    # A survey of the referents counts its referents' answers only, as each
    # establishment's « !enquete état » does.
    rows = db.execute(
        "SELECT s.title, s.deadline, count(DISTINCT s.establishment_id || ' ' || m.user_id),"
        " count(DISTINCT CASE WHEN a.user_id IS NOT NULL"
        "   THEN s.establishment_id || ' ' || m.user_id END)"
        " FROM surveys s JOIN members m ON m.establishment_id = s.establishment_id"
        "  AND m.role = 'referent'"
        " LEFT JOIN survey_answers a ON a.survey_id = s.id AND a.user_id = m.user_id"
        f" WHERE s.academy_key IS NOT NULL AND s.establishment_id IN ({marks})"
        " AND s.opens_at <= ? AND s.deadline >= ? AND s.closed_at IS NULL"
        " GROUP BY s.academy_key ORDER BY s.deadline, s.title",
        (*ids, to_stamp(now), now.date().isoformat()),
    ).fetchall()
    return [
        SurveyCompletion(title, date.fromisoformat(deadline), answered, asked)
        for title, deadline, asked, answered in rows
    ]


@dataclass(frozen=True)
class ThemeInBassin:
    """Open needs of one CRCN domain (a need's first tag) in one bassin."""

    bassin: str
    tag: str | None  # the first tag, None for needs without one
    needs: int
    establishments: tuple[str, ...]  # ids, in the config's order


def open_needs_by_bassin(
    db: sqlite_utils.Database, bassin_of: dict[str, str]
) -> list[ThemeInBassin]:
    """Open needs by bassin and first tag, with the establishments asking (``bassin_of``
    maps each establishment id to its bassin; those without one are « sans bassin »)."""
    ids = list(bassin_of)
    marks = ",".join("?" * len(ids)) or "NULL"
    # Read from the covering index (training_needs_open_tags) and grouped by whole tag
    # lists; the first tag is taken here, cheaper than in SQL for every row.
    rows = db.execute(
        "SELECT establishment_id, tags, count(*) FROM training_needs"
        f" WHERE status = 'open' AND establishment_id IN ({marks}) GROUP BY 1, 2",
        ids,
    ).fetchall()
    order = {eid: n for n, eid in enumerate(ids)}
    grouped: dict[tuple[str, str | None], tuple[int, list[str]]] = {}
    for establishment_id, tags, count in rows:
        key = (bassin_of[establishment_id], tags.split(maxsplit=1)[0] if tags.strip() else None)
        needs, asking = grouped.get(key, (0, []))
        if not asking or asking[-1] != establishment_id:
            asking = [*asking, establishment_id]
        grouped[key] = (needs + count, asking)
    return [
        ThemeInBassin(bassin, tag, needs, tuple(sorted(asking, key=order.__getitem__)))
        for (bassin, tag), (needs, asking) in sorted(
            grouped.items(), key=lambda item: (item[0][0], -item[1][0], item[0][1] or "")
        )
    ]


@dataclass(frozen=True)
class BreakdownFigures:
    """Breakdowns of one group (a category, a local authority)."""

    label: str
    open: int
    repaired: int
    median_repair_days: float | None


def breakdowns_by(
    db: sqlite_utils.Database, group_of: dict[str, str], *, since: datetime, by_category: bool
) -> list[BreakdownFigures]:
    """Open breakdowns, and those repaired since ``since`` with their median repair time,
    by category (``by_category``) or by the group ``group_of`` gives each establishment."""
    ids = list(group_of)
    marks = ",".join("?" * len(ids)) or "NULL"
    # Durations are computed by SQLite (stored instants are UTC, fixed width): parsing
    # tens of thousands of them in Python was most of the view's time.
    rows = db.execute(
        "SELECT establishment_id, category,"
        " julianday(resolved_at) - julianday(reported_at) FROM incidents"
        f" WHERE establishment_id IN ({marks}) AND (resolved_at IS NULL OR resolved_at >= ?)",
        (*ids, to_stamp(since)),
    ).fetchall()
    open_count: dict[str, int] = {}
    repairs: dict[str, list[float]] = {}
    for establishment_id, category, days in rows:
        label = category if by_category else group_of[establishment_id]
        if days is None:
            open_count[label] = open_count.get(label, 0) + 1
        else:
            repairs.setdefault(label, []).append(days)
    labels = sorted(set(open_count) | set(repairs), key=lambda x: (-open_count.get(x, 0), x))
    return [
        BreakdownFigures(
            label,
            open_count.get(label, 0),
            len(repairs.get(label, ())),
            median(repairs[label]) if label in repairs else None,
        )
        for label in labels
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
    answered: at least one of its referents said so (the 2016 figure counted referents)."""
    ids = list(establishment_ids)
    marks = ",".join("?" * len(ids)) or "NULL"
    answered = {
        eid
        for (eid,) in db.execute(
            "SELECT DISTINCT s.establishment_id FROM surveys s JOIN survey_answers a"
            " ON a.survey_id = s.id JOIN members m ON m.establishment_id = s.establishment_id"
            " AND m.user_id = a.user_id AND m.role = 'referent'"
            f" WHERE s.academy_key = ? AND s.establishment_id IN ({marks})",
            (academy_key, *ids),
        ).fetchall()
    }
    return [EstablishmentAnswer(eid, eid in answered) for eid in ids]


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
    (``<prefix><establishment>-<key>``: one key per broadcast)."""
    rows = db.execute(
        "SELECT substr(txn_id, length(?) + 1) AS rest, created_at, sent_at, failed_at"
        " FROM outbox WHERE txn_id LIKE ? || '%' ESCAPE '\\'",
        (prefix, prefix.replace("_", "\\_").replace("%", "\\%")),
    ).fetchall()
    grouped: dict[str, list] = {}
    for rest, created_at, sent_at, failed_at in rows:
        grouped.setdefault(rest.rsplit("-", 1)[-1], []).append((created_at, sent_at, failed_at))
    progress = [
        BroadcastProgress(
            key,
            from_stamp(min(c for c, _, _ in items)),
            len(items),
            sum(1 for _, s, _ in items if s),
            sum(1 for _, _, f in items if f),
        )
        for key, items in grouped.items()
    ]
    return sorted(progress, key=lambda p: p.queued_at, reverse=True)[:limit]
