"""iCalendar files (RFC 5545): events in one named time zone, for any calendar app.

The lines are written here: icalendar 7 folds every content line character by
character, which made the permanence calendar the slowest command of the bot
(2.5 ms of its 3 ms, ``make bench``). The time-zone block still comes from
icalendar, once per zone and years (``_vtimezone``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Timezone

__all__ = ["Event", "calendar"]


@dataclass(frozen=True)
class Event:
    """One event: aware ``start`` and ``end``, shown in the calendar's time zone."""

    uid: str
    summary: str
    start: datetime
    end: datetime
    location: str | None = None
    description: str | None = None


def calendar(
    events: Sequence[Event], *, name: str, tzid: str, product: str, now: datetime
) -> bytes:
    """The calendar file of ``events`` (at least one), in the time zone ``tzid``.

    ``name`` is the calendar's title in the app, ``product`` its PRODID, ``now``
    the DTSTAMP of every event.
    """
    tz = ZoneInfo(tzid)
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{product}",
        f"X-WR-CALNAME:{text_value(name)}",
        f"X-WR-TIMEZONE:{text_value(tzid)}",
    ]
    body = []
    for event in events:
        body += [
            "BEGIN:VEVENT",
            f"UID:{event.uid}",
            f"SUMMARY:{text_value(event.summary)}",
            f"DTSTART;TZID={tzid}:{event.start.astimezone(tz):%Y%m%dT%H%M%S}",
            f"DTEND;TZID={tzid}:{event.end.astimezone(tz):%Y%m%dT%H%M%S}",
            f"DTSTAMP:{stamp}",
        ]
        if event.location:
            body.append(f"LOCATION:{text_value(event.location)}")
        if event.description:
            body.append(f"DESCRIPTION:{text_value(event.description)}")
        body.append("END:VEVENT")
    zone = _vtimezone(tzid, events[0].start.year, events[-1].end.year)
    text = "\r\n".join([*map(fold_line, lines), zone, *map(fold_line, body), "END:VCALENDAR", ""])
    return text.encode()


def text_value(value: str) -> str:
    """A TEXT value escaped as RFC 5545 wants (backslash, semicolon, comma, newline)."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def fold_line(line: str, limit: int = 75) -> str:
    """Fold a content line longer than 75 octets, never inside a UTF-8 character."""
    if len(line.encode()) <= limit:
        return line
    parts, current, size = [], [], 0
    for char in line:
        width = len(char.encode())
        if current and size + width > (limit if not parts else limit - 1):
            parts.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += width
    parts.append("".join(current))
    return "\r\n ".join(parts)


@lru_cache(maxsize=32)
def _vtimezone(tzid: str, first_year: int, last_year: int) -> str:
    """The VTIMEZONE block of a zone for whole calendar years, already folded."""
    block = Timezone.from_tzinfo(
        ZoneInfo(tzid), first_date=date(first_year, 1, 1), last_date=date(last_year + 1, 1, 1)
    )
    return block.to_ical().decode().rstrip("\r\n")
