"""The academy's breakdowns: open ones, and those repaired this school year with their
median repair time, by category or by local authority.

Read from ``academy_breakdown_tallies`` (migration 0044): a few rows, each with
its count and its lower median kept by triggers; counted from the breakdowns
themselves when the configuration does not match the establishments stored, or
when a repair falls between the school year's start as asked and as tallied.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from statistics import median

import sqlite_utils

from storage.academie.scope import stored_labels
from storage.stamps import to_stamp

# The tallies' school years start on 1 September at 00:00 UTC.
SCHOOL_YEAR_MONTH = 9


@dataclass(frozen=True)
class BreakdownFigures:
    """Breakdowns of one group (a category, a local authority)."""

    label: str
    open: int
    repaired: int
    median_repair_days: float | None


@dataclass(frozen=True)
class AcademyBreakdowns:
    """What ``!academie pannes`` shows: the same breakdowns by category and by authority."""

    by_category: list[BreakdownFigures]
    by_authority: list[BreakdownFigures]


def academy_breakdowns(
    db: sqlite_utils.Database, authority_of: dict[str, str], *, since: datetime
) -> AcademyBreakdowns:
    """Open breakdowns, and those repaired since ``since`` with their median repair time,
    by category and by the local authority ``authority_of`` gives each establishment."""
    labels = stored_labels(db, "collectivite", authority_of)
    year = since.year if since.month >= SCHOOL_YEAR_MONTH else since.year - 1
    if labels is None or not _tallied_as(db, since, year):
        return _counted_from_breakdowns(db, authority_of, since)
    return AcademyBreakdowns(
        _tallied(db, "category", year, lambda category: category),
        _tallied(db, "authority", year, labels.__getitem__),
    )


def _tallied_as(db, since: datetime, year: int) -> bool:
    """Whether the repairs since ``since`` are exactly those the tallies give to ``year``:
    none between ``since`` and the tallies' start of the year, none in a later year."""
    start = to_stamp(datetime(year, SCHOOL_YEAR_MONTH, 1, tzinfo=UTC))
    low, high = sorted((to_stamp(since), start))
    return not db.execute(
        "SELECT EXISTS (SELECT 1 FROM academy_breakdowns WHERE resolved_at >= ?"
        " AND resolved_at < ?) OR EXISTS (SELECT 1 FROM academy_breakdown_tallies"
        " WHERE repaired_in > ?)",
        (low, high, year),
    ).fetchone()[0]


def _tallied(db, column: str, year: int, label_of) -> list[BreakdownFigures]:
    """The figures by ``column`` (category, authority) from the tallies of ``year``; with
    an even count, the median is the mean of the tallied lower median and the next one."""
    rows = db.execute(
        "SELECT label, repaired_in, breakdowns, median_days, CASE"
        " WHEN repaired_in > 0 AND breakdowns % 2 = 0 THEN (SELECT b.repair_days"
        "  FROM academy_breakdowns b"
        f" WHERE b.repaired_in = t.repaired_in AND b.{column} = t.label"
        "  AND (b.repair_days, b.incident_id) > (t.median_days, t.median_id)"
        "  ORDER BY b.repair_days, b.incident_id LIMIT 1) END"
        " FROM academy_breakdown_tallies t"
        " WHERE by_category = ? AND repaired_in IN (0, ?)",
        (int(column == "category"), year),
    ).fetchall()
    open_count: dict[str, int] = {}
    repaired: dict[str, tuple[int, float]] = {}
    for label, repaired_in, count, lower, upper in rows:
        if repaired_in == 0:
            open_count[label_of(label)] = count
        else:
            # statistics.median's own sum, for the same float.
            repaired[label_of(label)] = (count, lower if upper is None else (lower + upper) / 2)
    return _figures(open_count, repaired)


def _counted_from_breakdowns(db, authority_of, since) -> AcademyBreakdowns:
    ids = list(authority_of)
    marks = ",".join("?" * len(ids)) or "NULL"
    # Durations are computed by SQLite (stored instants are UTC, fixed width), as
    # the tallies compute them.
    rows = db.execute(
        "SELECT establishment_id, category,"
        " julianday(resolved_at) - julianday(reported_at) FROM incidents"
        f" WHERE establishment_id IN ({marks}) AND (resolved_at IS NULL OR resolved_at >= ?)",
        (*ids, to_stamp(since)),
    ).fetchall()
    grouped = []
    for label_of in (lambda eid, category: category, lambda eid, category: authority_of[eid]):
        open_count: dict[str, int] = {}
        repairs: dict[str, list[float]] = {}
        for establishment_id, category, days in rows:
            label = label_of(establishment_id, category)
            if days is None:
                open_count[label] = open_count.get(label, 0) + 1
            else:
                repairs.setdefault(label, []).append(days)
        repaired = {label: (len(days), median(days)) for label, days in repairs.items()}
        grouped.append(_figures(open_count, repaired))
    return AcademyBreakdowns(*grouped)


def _figures(
    open_count: dict[str, int], repaired: dict[str, tuple[int, float]]
) -> list[BreakdownFigures]:
    """The groups, most open first, then by label."""
    labels = sorted(set(open_count) | set(repaired), key=lambda x: (-open_count.get(x, 0), x))
    return [
        BreakdownFigures(label, open_count.get(label, 0), *repaired.get(label, (0, None)))
        for label in labels
    ]
