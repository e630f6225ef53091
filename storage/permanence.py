"""Weekly drop-in help: series, their occurrences (slots) and bookings with a waitlist.

Instants are stored as ``storage.stamps`` writes them; a slot is read back in its
establishment's time zone, the one people read it in.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlite_utils

from storage.db import write_transaction
from storage.numbers import next_numbers
from storage.periods import Period, count_per_period
from storage.stamps import from_stamp, to_stamp

BOOKED, WAITING, CANCELLED = "booked", "waiting", "cancelled"


@dataclass(frozen=True)
class WeeklySeries:
    """A recurring permanence: every <weekday> at <start_time> for <duration>."""

    id: int
    establishment_id: str
    weekday: int
    start_time: time
    duration: timedelta
    capacity: int
    place: str | None


@dataclass(frozen=True)
class Slot:
    """One occurrence, with its seats taken and its waitlist length.

    ``starts_at`` and ``ends_at`` are in the establishment's time zone.
    """

    id: int
    number: int
    series_id: int
    establishment_id: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    place: str | None
    cancelled: bool
    booked: int
    waiting: int

    @property
    def seats_left(self) -> int:
        return max(self.capacity - self.booked, 0)


@dataclass(frozen=True)
class Booking:
    """Someone's place (or waitlist place) in a slot."""

    id: int
    slot_id: int
    user_id: str
    subject: str | None
    status: str


@dataclass(frozen=True)
class BookingOutcome:
    """What ``book_slot`` did: ``booked``, ``waiting`` (with position) or ``already``."""

    status: str
    booking: Booking
    position: int = 0


@dataclass(frozen=True)
class CancelOutcome:
    """The cancelled booking, and whoever got the freed seat."""

    cancelled: Booking
    promoted: Booking | None


def open_series(
    db: sqlite_utils.Database,
    *,
    establishment_id: str,
    weekday: int,
    start_time: time,
    duration: timedelta,
    capacity: int,
    place: str | None,
    opened_by: str,
    now: datetime,
) -> WeeklySeries:
    """Create a weekly series (its occurrences are added by ``add_occurrences``)."""
    cursor = db.execute(
        "INSERT INTO permanence_series (establishment_id, weekday, start_time, duration_minutes,"
        " capacity, place, opened_by, opened_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            establishment_id,
            weekday,
            start_time.strftime("%H:%M"),
            int(duration.total_seconds() // 60),
            capacity,
            place,
            opened_by,
            to_stamp(now),
        ),
    )
    return WeeklySeries(
        cursor.lastrowid, establishment_id, weekday, start_time, duration, capacity, place
    )


def active_series(
    db: sqlite_utils.Database, establishment_id: str | None = None
) -> list[WeeklySeries]:
    """Series not stopped, for one establishment or all."""
    sql = (
        "SELECT id, establishment_id, weekday, start_time, duration_minutes, capacity, place"
        " FROM permanence_series WHERE stopped_at IS NULL"
    )
    params: tuple = ()
    if establishment_id is not None:
        sql += " AND establishment_id = ?"
        params = (establishment_id,)
    return [
        WeeklySeries(
            r[0], r[1], r[2], time.fromisoformat(r[3]), timedelta(minutes=r[4]), r[5], r[6]
        )
        for r in db.execute(sql + " ORDER BY weekday, start_time", params).fetchall()
    ]


def add_occurrences(
    db: sqlite_utils.Database, series: WeeklySeries, starts: Iterable[datetime]
) -> list[int]:
    """Add the occurrences not yet there (idempotent); returns the new short numbers."""
    with write_transaction(db):
        new: dict[str, datetime] = {}
        for start in starts:
            stamp = to_stamp(start)
            if (
                stamp not in new
                and not db.execute(
                    "SELECT 1 FROM permanence_slots WHERE series_id = ? AND starts_at = ?",
                    (series.id, stamp),
                ).fetchone()
            ):
                new[stamp] = start
        # The new occurrences take their numbers in the order given, all at once.
        numbers = next_numbers(db, "permanence_slots", series.establishment_id, len(new))
        db.conn.executemany(
            "INSERT INTO permanence_slots (establishment_id, series_id, number, starts_at,"
            " ends_at, capacity, place) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    series.establishment_id,
                    series.id,
                    number,
                    stamp,
                    to_stamp(start + series.duration),
                    series.capacity,
                    series.place,
                )
                for number, (stamp, start) in zip(numbers, new.items(), strict=True)
            ],
        )
    return list(numbers)


_SLOT_COLUMNS = (
    "s.id, s.number, s.series_id, s.establishment_id, s.starts_at, s.ends_at, s.capacity,"
    " s.place, s.cancelled_at IS NOT NULL,"
    " (SELECT count(*) FROM permanence_bookings b WHERE b.slot_id = s.id AND b.status = 'booked'),"
    " (SELECT count(*) FROM permanence_bookings b WHERE b.slot_id = s.id AND b.status = 'waiting'),"
    " (SELECT timezone FROM establishments e WHERE e.id = s.establishment_id)"
)


def _slot(row) -> Slot:
    zone = ZoneInfo(row[11])
    return Slot(
        row[0],
        row[1],
        row[2],
        row[3],
        from_stamp(row[4]).astimezone(zone),
        from_stamp(row[5]).astimezone(zone),
        row[6],
        row[7],
        bool(row[8]),
        row[9],
        row[10],
    )


def _slots(db: sqlite_utils.Database, condition: str, params: Sequence) -> list[Slot]:
    """The occurrences ``condition`` selects (on ``permanence_slots s``), in its order."""
    rows = db.execute(
        f"SELECT {_SLOT_COLUMNS} FROM permanence_slots s WHERE {condition}", params
    ).fetchall()
    return [_slot(r) for r in rows]


# A live (not cancelled) occurrence of the establishment that starts after the first
# instant and no later than the second.
_LIVE_STARTING = (
    "s.establishment_id = ? AND s.cancelled_at IS NULL AND s.starts_at > ? AND s.starts_at <= ?"
)


def upcoming_slots(
    db: sqlite_utils.Database, establishment_id: str, now: datetime, until: datetime
) -> list[Slot]:
    """Occurrences not cancelled that start between ``now`` and ``until``, in order."""
    return _slots(
        db,
        f"{_LIVE_STARTING} ORDER BY s.starts_at, s.number",
        (establishment_id, to_stamp(now), to_stamp(until)),
    )


def slot_by_number(db: sqlite_utils.Database, establishment_id: str, number: int) -> Slot | None:
    """The occurrence with that short number in an establishment."""
    row = db.execute(
        f"SELECT {_SLOT_COLUMNS} FROM permanence_slots s WHERE s.establishment_id = ?"
        " AND s.number = ?",
        (establishment_id, number),
    ).fetchone()
    return _slot(row) if row else None


def slots_between(
    db: sqlite_utils.Database, establishment_id: str, start: datetime, end: datetime
) -> list[Slot]:
    """Occurrences (cancelled ones too) starting in [start, end)."""
    return _slots(
        db,
        "s.establishment_id = ? AND s.starts_at >= ? AND s.starts_at < ?"
        " ORDER BY s.starts_at, s.number",
        (establishment_id, to_stamp(start), to_stamp(end)),
    )


def _booking(row) -> Booking:
    return Booking(*row)


def _live_booking(db, slot_id: int, user_id: str) -> Booking | None:
    row = db.execute(
        "SELECT id, slot_id, user_id, subject, status FROM permanence_bookings"
        " WHERE slot_id = ? AND user_id = ? AND status != 'cancelled'",
        (slot_id, user_id),
    ).fetchone()
    return _booking(row) if row else None


def waiting_position(db: sqlite_utils.Database, booking: Booking) -> int:
    """1 for the first person on the waitlist, and so on."""
    row = db.execute(
        "SELECT count(*) FROM permanence_bookings WHERE slot_id = ? AND status = 'waiting'"
        " AND id <= ?",
        (booking.slot_id, booking.id),
    ).fetchone()
    return row[0]


def book_slot(
    db: sqlite_utils.Database, slot_id: int, user_id: str, subject: str | None, now: datetime
) -> BookingOutcome:
    """Book a seat, or join the waitlist when full; never twice for one person.

    The seat count is read and written under the write lock, so racing
    requests for the last seat give exactly one booking.
    """
    with write_transaction(db):
        existing = _live_booking(db, slot_id, user_id)
        if existing:
            position = waiting_position(db, existing) if existing.status == WAITING else 0
            return BookingOutcome("already", existing, position)
        capacity, booked = db.execute(
            "SELECT capacity, (SELECT count(*) FROM permanence_bookings"
            " WHERE slot_id = s.id AND status = 'booked') FROM permanence_slots s WHERE id = ?",
            (slot_id,),
        ).fetchone()
        status = BOOKED if booked < capacity else WAITING
        stamp = to_stamp(now)
        cursor = db.execute(
            "INSERT INTO permanence_bookings (slot_id, user_id, subject, status, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?)",
            (slot_id, user_id, subject, status, stamp, stamp),
        )
        booking = Booking(cursor.lastrowid, slot_id, user_id, subject, status)
        position = waiting_position(db, booking) if status == WAITING else 0
        return BookingOutcome(status, booking, position)


def cancel_booking(
    db: sqlite_utils.Database, slot_id: int, user_id: str, now: datetime
) -> CancelOutcome | None:
    """Cancel someone's booking (or waitlist place); the first waiting gets a freed seat."""
    with write_transaction(db):
        booking = _live_booking(db, slot_id, user_id)
        if booking is None:
            return None
        _set_status(db, booking.id, CANCELLED, now)
        promoted = None
        if booking.status == BOOKED:
            row = db.execute(
                "SELECT id, slot_id, user_id, subject, status FROM permanence_bookings"
                " WHERE slot_id = ? AND status = 'waiting' ORDER BY id LIMIT 1",
                (slot_id,),
            ).fetchone()
            if row:
                _set_status(db, row[0], BOOKED, now)
                promoted = Booking(row[0], row[1], row[2], row[3], BOOKED)
        return CancelOutcome(booking, promoted)


def _set_status(db, booking_id: int, status: str, now: datetime) -> None:
    db.execute(
        "UPDATE permanence_bookings SET status = ?, updated_at = ? WHERE id = ?",
        (status, to_stamp(now), booking_id),
    )


def cancel_slot(db: sqlite_utils.Database, slot_id: int, by: str, now: datetime) -> list[Booking]:
    """Cancel an occurrence; returns the live bookings it had (to tell those people)."""
    with write_transaction(db):
        rows = db.execute(
            "SELECT id, slot_id, user_id, subject, status FROM permanence_bookings"
            " WHERE slot_id = ? AND status != 'cancelled' ORDER BY id",
            (slot_id,),
        ).fetchall()
        db.execute(
            "UPDATE permanence_slots SET cancelled_at = ?, cancelled_by = ? WHERE id = ?",
            (to_stamp(now), by, slot_id),
        )
        return [_booking(r) for r in rows]


def bookings_of(
    db: sqlite_utils.Database, establishment_id: str, user_id: str, now: datetime
) -> list[tuple[Slot, Booking, int]]:
    """Someone's upcoming bookings and waitlist places, with waitlist positions."""
    rows = db.execute(
        f"SELECT {_SLOT_COLUMNS}, b.id, b.slot_id, b.user_id, b.subject, b.status"
        " FROM permanence_bookings b JOIN permanence_slots s ON s.id = b.slot_id"
        " WHERE s.establishment_id = ? AND b.user_id = ? AND b.status != 'cancelled'"
        " AND s.cancelled_at IS NULL AND s.starts_at > ? ORDER BY s.starts_at",
        (establishment_id, user_id, to_stamp(now)),
    ).fetchall()
    result = []
    for row in rows:
        booking = _booking(row[12:])
        position = waiting_position(db, booking) if booking.status == WAITING else 0
        result.append((_slot(row[:12]), booking, position))
    return result


def booked_people(db: sqlite_utils.Database, slot_id: int) -> list[str]:
    """Who holds a seat in an occurrence, in booking order."""
    rows = db.execute(
        "SELECT user_id FROM permanence_bookings WHERE slot_id = ? AND status = 'booked'"
        " ORDER BY id",
        (slot_id,),
    ).fetchall()
    return [r[0] for r in rows]


def slots_to_remind(
    db: sqlite_utils.Database, establishment_id: str, now: datetime, ahead: timedelta
) -> list[Slot]:
    """Live occurrences with bookings that start within ``ahead`` and have not started."""
    return _slots(
        db,
        f"{_LIVE_STARTING} AND EXISTS (SELECT 1 FROM permanence_bookings b"
        " WHERE b.slot_id = s.id AND b.status = 'booked') ORDER BY s.starts_at",
        (establishment_id, to_stamp(now), to_stamp(now + ahead)),
    )


# A permanence that took place in period p.
_HELD_IN_PERIOD = (
    "s.establishment_id = ? AND s.cancelled_at IS NULL"
    " AND s.starts_at >= p.lo AND s.starts_at < p.hi"
)


def held_per_period(
    db: sqlite_utils.Database, establishment_id: str, periods: Sequence[Period]
) -> list[int]:
    """Occurrences that took place (not cancelled) in each period: a digest figure."""
    return count_per_period(
        db,
        periods,
        f"SELECT count(*) FROM permanence_slots s WHERE {_HELD_IN_PERIOD}",
        [establishment_id],
    )


def seats_booked_per_period(
    db: sqlite_utils.Database, establishment_id: str, periods: Sequence[Period]
) -> list[int]:
    """Seats held in occurrences that took place in each period: a digest figure."""
    return count_per_period(
        db,
        periods,
        "SELECT count(*) FROM permanence_slots s JOIN permanence_bookings b"
        f" ON b.slot_id = s.id AND b.status = 'booked' WHERE {_HELD_IN_PERIOD}",
        [establishment_id],
    )
