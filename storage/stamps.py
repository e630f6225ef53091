"""How an instant is stored: UTC text of fixed width, ``2026-11-23T08:00:00.000000Z``.

Every column holding an instant (``…_at``, ``first_seen``, a poll's dates, the
scheduler's first start in ``bot_state``) is written by ``to_stamp`` and read by
``from_stamp``. One width and one zone make text order time order, so SQL compares
stored instants as plain strings and an index on the column serves the comparison.
Microseconds keep apart events a few instants apart (two votes of one second).

A day without a time (a survey's deadline) stays an ISO date, ``2026-11-23``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache


# Reports and queries write the same bounds (a month's first instant, the school
# year's) again and again; converting one took 3 µs. Equal instants have one stamp.
@lru_cache(maxsize=1024)
def to_stamp(moment: datetime) -> str:
    """An aware instant as stored: ``YYYY-MM-DDTHH:MM:SS.ffffffZ``, in UTC."""
    if moment.tzinfo is None:
        raise ValueError(f"a stored instant needs its time zone: {moment!r}")
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def from_stamp(text: str) -> datetime:
    """A stored instant as an aware datetime in UTC."""
    moment = datetime.fromisoformat(text)  # a stamp's ``Z`` reads as UTC already
    return moment if moment.tzinfo is UTC else moment.astimezone(UTC)
