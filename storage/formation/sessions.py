"""Training sessions: planned for a need (directly or from its date poll), listed, counted."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlite_utils

from storage.formation.needs import PLANNED, TrainingNeed
from storage.periods import Period, dated_rows_per_period
from storage.stamps import from_stamp, to_stamp


@dataclass(frozen=True)
class TrainingSession:
    """A planned session, for the list and the newsletter."""

    need_number: int
    need_text: str
    tags: tuple[str, ...]
    starts_at: datetime
    place: str | None
    votes: int


def plan_session(
    db: sqlite_utils.Database,
    need: TrainingNeed,
    starts_at: datetime,
    place: str | None,
    planned_by: str,
    now: datetime,
    *,
    close_poll: bool = False,
) -> bool:
    """Plan (or move) the need's session; returns True if it moved an existing one.

    The need becomes ``planned``; with ``close_poll`` its date poll is closed in
    the same transaction, so late answers no longer count.
    """
    stamp = to_stamp(now)
    with db.atomic():
        moved = bool(
            db.execute("SELECT 1 FROM training_sessions WHERE need_id = ?", (need.id,)).fetchone()
        )
        db.execute(
            "INSERT INTO training_sessions"
            " (need_id, establishment_id, starts_at, place, planned_by, planned_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (need_id) DO UPDATE SET"
            " starts_at = excluded.starts_at, place = excluded.place,"
            " planned_by = excluded.planned_by, planned_at = excluded.planned_at",
            (need.id, need.establishment_id, to_stamp(starts_at), place, planned_by, stamp),
        )
        db.execute(
            "UPDATE training_needs SET status = ?, status_at = ? WHERE id = ?",
            (PLANNED, stamp, need.id),
        )
        if close_poll and need.poll_event_id:
            db.execute(
                "UPDATE training_polls SET closed_at = ? WHERE event_id = ? AND closed_at IS NULL",
                (stamp, need.poll_event_id),
            )
    return moved


def upcoming_sessions(
    db: sqlite_utils.Database, establishment_id: str, now: datetime, limit: int | None = None
) -> list[TrainingSession]:
    """Planned sessions still to come, soonest first (for the list and the newsletter).

    A session given as a date alone (midnight) stays listed for the whole day.
    """
    start_of_day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    rows = db.execute(
        "SELECT n.number, n.text, n.tags, s.starts_at, s.place,"
        " (SELECT count(*) FROM training_votes v WHERE v.need_id = n.id)"
        " FROM training_sessions s JOIN training_needs n ON n.id = s.need_id"
        " WHERE s.establishment_id = ? AND n.status = ? AND s.starts_at >= ?"
        " ORDER BY s.starts_at, n.number LIMIT ?",
        (establishment_id, PLANNED, to_stamp(start_of_day), -1 if limit is None else limit),
    ).fetchall()
    return [
        TrainingSession(number, text, tuple(tags.split()), from_stamp(at), place, votes)
        for number, text, tags, at, place, votes in rows
    ]


def sessions_per_period(
    db: sqlite_utils.Database, establishment_id: str, periods: Sequence[Period]
) -> list[int]:
    """Training sessions held (planned for a time) in each period (a digest figure)."""
    return dated_rows_per_period(db, periods, "training_sessions", "starts_at", establishment_id)
