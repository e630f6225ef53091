"""The academy's view: every establishment's figures added up, never a teacher's name.

Each figure is one aggregate query over all establishments (an académie has
about 430), counted the way each establishment's own views count it, so the
academy's totals are the sums of theirs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import sqlite_utils

from storage.stamps import to_stamp


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
    Sessions held: training sessions that started between ``year_start`` and ``now``.
    """
    ids = list(establishment_ids)
    marks = ",".join("?" * len(ids)) or "NULL"
    one = _counter(db, marks, ids)
    return AcademyOverview(
        served=len(ids),
        active=one(
            "SELECT count(DISTINCT e.id) FROM establishments e JOIN handled_events h"
            " ON h.room_id = e.room_id WHERE e.id IN ({}) AND h.handled_at >= ?",
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
