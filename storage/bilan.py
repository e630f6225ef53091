"""Figures for the yearly activity report that the monthly digest does not give.

Counts only, over ``[start, end)`` (aware datetimes): no function here returns
who did what. Instants are stored in one fixed-width UTC form (``storage.stamps``),
so they compare as text.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import sqlite_utils

from bot.toolkit.text import capitalise, fold
from storage.formation import (
    CLOSED,
    CRCN_LABELS,
    DANE,
    NO_THEME,
    OTHER_THEME,
    PLANNED,
    theme_of,
)
from storage.stamps import to_stamp

HANDLED_STATUSES = (PLANNED, CLOSED, DANE)


def _between(column: str) -> str:
    return f"{column} >= ? AND {column} < ?"


def _bounds(start: datetime, end: datetime) -> tuple[str, str]:
    return to_stamp(start), to_stamp(end)


# --- spreading information ----------------------------------------------------------


def newsletters_sent(
    db: sqlite_utils.Database, establishment_id: str, start: datetime, end: datetime
) -> int:
    """Newsletters sent in [start, end), the weekly ones and those sent by hand."""
    row = db.execute(
        f"SELECT count(*) FROM newsletters WHERE establishment_id = ? AND {_between('sent_at')}",
        (establishment_id, *_bounds(start, end)),
    ).fetchone()
    return row[0]


# --- training needs -------------------------------------------------------------------


@dataclass(frozen=True)
class ThemeCounts:
    """Training needs of one CRCN domain: expressed, handled, sessions held."""

    theme: str
    received: int = 0
    handled: int = 0
    sessions: int = 0


@dataclass(frozen=True)
class NeedsSummary:
    """Needs expressed in the period and what became of them, overall and by domain.

    ``handled``: those planned, closed or forwarded to the DANE before the end;
    ``planned``/``closed``/``forwarded`` split it; ``sessions``: sessions held.
    """

    received: int
    handled: int
    planned: int
    closed: int
    forwarded: int
    sessions: int
    themes: tuple[ThemeCounts, ...]


def needs_summary(
    db: sqlite_utils.Database, establishment_id: str, start: datetime, end: datetime
) -> NeedsSummary:
    """What the training-needs section of the report shows."""
    bounds = _bounds(start, end)
    marks = ",".join("?" * len(HANDLED_STATUSES))
    # A need is handled if its last change (planned, closed, forwarded) came before the end.
    needs = db.execute(
        f"SELECT tags, status, status IN ({marks}) AND status_at < ?"
        f" FROM training_needs WHERE establishment_id = ? AND {_between('created_at')}",
        (*HANDLED_STATUSES, to_stamp(end), establishment_id, *bounds),
    ).fetchall()
    rows: dict[str, dict[str, int]] = {}
    by_status = dict.fromkeys(HANDLED_STATUSES, 0)
    for tags, status, handled in needs:
        counts = rows.setdefault(theme_of(tags), {"received": 0, "handled": 0, "sessions": 0})
        counts["received"] += 1
        if handled:
            counts["handled"] += 1
            by_status[status] += 1
    sessions = db.execute(
        "SELECT n.tags FROM training_sessions s JOIN training_needs n ON n.id = s.need_id"
        f" WHERE s.establishment_id = ? AND {_between('s.starts_at')}",
        (establishment_id, *bounds),
    ).fetchall()
    for (tags,) in sessions:
        counts = rows.setdefault(theme_of(tags), {"received": 0, "handled": 0, "sessions": 0})
        counts["sessions"] += 1
    order = {label: i for i, label in enumerate([*CRCN_LABELS.values(), OTHER_THEME, NO_THEME])}
    themes = tuple(
        ThemeCounts(theme, **counts)
        for theme, counts in sorted(rows.items(), key=lambda item: order.get(item[0], 99))
    )
    return NeedsSummary(
        received=len(needs),
        handled=sum(by_status.values()),
        planned=by_status[PLANNED],
        closed=by_status[CLOSED],
        forwarded=by_status[DANE],
        sessions=len(sessions),
        themes=themes,
    )


# --- accompaniment ----------------------------------------------------------------------


def seats_offered(
    db: sqlite_utils.Database, establishment_id: str, start: datetime, end: datetime
) -> int:
    """Seats offered by the permanences held in [start, end) (the fill rate's denominator)."""
    row = db.execute(
        "SELECT coalesce(sum(capacity), 0) FROM permanence_slots WHERE establishment_id = ?"
        f" AND cancelled_at IS NULL AND {_between('starts_at')}",
        (establishment_id, *_bounds(start, end)),
    ).fetchone()
    return row[0]


@dataclass(frozen=True)
class AttendanceSummary:
    """What the referents recorded of the permanences held in the period.

    ``held``: not cancelled; ``recorded``: with a record, of which ``attended``
    had at least one person present and ``nobody`` none; ``presences``: people
    present, counted once per permanence; ``topics``: the topics covered, the
    most frequent first, with the number of permanences that covered each.
    """

    held: int
    recorded: int
    attended: int
    presences: int
    topics: tuple[tuple[str, int], ...]

    @property
    def nobody(self) -> int:
        """Permanences recorded with nobody present."""
        return self.recorded - self.attended

    @property
    def unrecorded(self) -> int:
        """Permanences held that nobody recorded."""
        return self.held - self.recorded


# How many topics the report lists, and what separates them in a record.
TOPICS_SHOWN = 8
_TOPIC_SEPARATOR = re.compile(r"[,;/\n]|\s+et\s+|\s+[-–—]\s+")


# A report reads a year of records, and the same records at every report: each
# record's topics are split and folded once (a bounded number of records kept).
@lru_cache(maxsize=4096)
def _topics_of(topics: str) -> tuple[tuple[str, str], ...]:
    """The distinct topics of one record: (folded key, as first written)."""
    found: dict[str, str] = {}
    for part in _TOPIC_SEPARATOR.split(topics):
        topic = part.strip(" .:!?«»\"'()")
        key = fold(topic)
        if key and key not in found:
            found[key] = capitalise(topic[:60])
    return tuple(found.items())


def attendance_summary(
    db: sqlite_utils.Database, establishment_id: str, start: datetime, end: datetime
) -> AttendanceSummary:
    """Attendance and topics of the permanences held in [start, end)."""
    rows = db.execute(
        "SELECT r.slot_id IS NOT NULL, r.topics, (SELECT count(*) FROM permanence_attendance a"
        " WHERE a.slot_id = s.id) FROM permanence_slots s LEFT JOIN permanence_records r"
        " ON r.slot_id = s.id WHERE s.establishment_id = ? AND s.cancelled_at IS NULL"
        f" AND {_between('s.starts_at')}",
        (establishment_id, *_bounds(start, end)),
    ).fetchall()
    recorded = [(topics, present) for is_recorded, topics, present in rows if is_recorded]
    counts: Counter[str] = Counter()
    spelling: dict[str, str] = {}
    for topics, _ in recorded:
        for key, written in _topics_of(topics or ""):
            spelling.setdefault(key, written)
            counts[key] += 1
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:TOPICS_SHOWN]
    return AttendanceSummary(
        held=len(rows),
        recorded=len(recorded),
        attended=sum(1 for _, present in recorded if present),
        presences=sum(present for _, present in recorded),
        topics=tuple((spelling[key], count) for key, count in ranked),
    )


# --- assistance --------------------------------------------------------------------------


@dataclass(frozen=True)
class AssistanceSummary:
    """Breakdowns reported in the period: how many, with a ticket, repaired, and how fast."""

    reported: int
    tickets_opened: int
    resolved: int
    median_resolution: timedelta | None


def assistance_summary(
    db: sqlite_utils.Database, establishment_id: str, start: datetime, end: datetime
) -> AssistanceSummary:
    """Breakdowns reported in [start, end); a ticket or a repair counts if before ``end``.

    The median time to resolution is over the breakdowns of the period that were
    repaired before ``end`` (None when none was).
    """
    until = to_stamp(end)
    rows = db.execute(
        # Per breakdown: a ticket opened before the end? The delay to a repair before it,
        # in days.
        "SELECT ticket_at IS NOT NULL AND ticket_at < ?,"
        " CASE WHEN resolved_at < ? THEN julianday(resolved_at) - julianday(reported_at) END"
        f" FROM incidents WHERE establishment_id = ? AND {_between('reported_at')}",
        (until, until, establishment_id, *_bounds(start, end)),
    ).fetchall()
    tickets = sum(ticket for ticket, _ in rows)
    delays = [days for _, days in rows if days is not None]
    # Rounded to the second: julianday() differences carry float noise below it.
    median = timedelta(seconds=round(statistics.median(delays) * 86400)) if delays else None
    return AssistanceSummary(len(rows), tickets, len(delays), median)
