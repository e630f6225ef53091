"""What became of a permanence: who came and what was covered, as a referent recorded it.

A slot recorded with nobody present has a record and no attendance row: it
took place on the calendar and nobody came, which the yearly report says.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlite_utils

from storage.db import write_transaction
from storage.permanence import BOOKED, WAITING, Booking
from storage.stamps import to_stamp


@dataclass(frozen=True)
class SlotRecord:
    """A recorded slot: the people present (none: nobody came) and the topics covered."""

    slot_id: int
    present: tuple[str, ...]
    topics: str | None


def live_bookings(db: sqlite_utils.Database, slot_id: int) -> list[Booking]:
    """The seats then the waitlist of an occurrence, each in booking order."""
    rows = db.execute(
        "SELECT id, slot_id, user_id, subject, status FROM permanence_bookings"
        " WHERE slot_id = ? AND status IN (?, ?) ORDER BY status = ?, id",
        (slot_id, BOOKED, WAITING, WAITING),
    ).fetchall()
    return [Booking(*row) for row in rows]


def record_slot(
    db: sqlite_utils.Database,
    slot_id: int,
    present: Sequence[str],
    topics: str | None,
    by: str,
    now: datetime,
) -> SlotRecord:
    """Record who came and what was covered; recording again replaces the record."""
    stamp = to_stamp(now)
    people = tuple(dict.fromkeys(present))
    with write_transaction(db):
        db.execute("DELETE FROM permanence_attendance WHERE slot_id = ?", (slot_id,))
        db.execute(
            "INSERT INTO permanence_records (slot_id, topics, recorded_by, recorded_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (slot_id) DO UPDATE SET topics = excluded.topics,"
            " recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at",
            (slot_id, topics or None, by, stamp),
        )
        db.conn.executemany(
            "INSERT INTO permanence_attendance (slot_id, user_id, recorded_at) VALUES (?, ?, ?)",
            [(slot_id, person, stamp) for person in people],
        )
    return SlotRecord(slot_id, people, topics or None)


def record_of(db: sqlite_utils.Database, slot_id: int) -> SlotRecord | None:
    """The record of an occurrence, None while nobody recorded it."""
    row = db.execute(
        "SELECT topics FROM permanence_records WHERE slot_id = ?", (slot_id,)
    ).fetchone()
    if row is None:
        return None
    present = db.execute(
        "SELECT user_id FROM permanence_attendance WHERE slot_id = ? ORDER BY id", (slot_id,)
    ).fetchall()
    return SlotRecord(slot_id, tuple(r[0] for r in present), row[0])
