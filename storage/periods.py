"""Counting rows over many periods in one query.

The digest and the activity report show each figure month by month: up to 13
periods for one figure. Asking SQLite once per month cost a statement and an
index descent each time; instead a query reads a small table of the periods,
``periods(n, lo, hi, lo_day)``, written as a ``VALUES`` list (``select_per_period``).
The bounds are written as stored instants are (``storage.stamps.to_stamp``), so a
query compares them with a column as text.

    count_per_period(db, periods,
        "SELECT count(*) FROM permanence_slots s WHERE s.establishment_id = ?"
        " AND s.starts_at >= p.lo AND s.starts_at < p.hi", [establishment_id])

A count is a subquery per period rather than a join grouped by period: SQLite
then counts along the index without building and sorting the joined rows, in
half the time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import lru_cache

import sqlite_utils

from storage.stamps import to_stamp

Period = tuple[datetime, datetime]  # [start, end), aware


# A report asks the same months of 8 figures, and formatting 26 aware datetimes
# took longer than the query itself.
@lru_cache(maxsize=256)
def _periods_table(periods: tuple[Period, ...]):
    # WITH periods(n, lo, hi, lo_day): n is the period's index, lo and hi its bounds
    # as stored instants, lo_day the start's date in its own time zone.
    rows = ", ".join("(?, ?, ?, ?)" for _ in periods)
    params = tuple(
        value
        for n, (start, end) in enumerate(periods)
        for value in (n, to_stamp(start), to_stamp(end), start.date().isoformat())
    )
    return f"WITH periods(n, lo, hi, lo_day) AS (VALUES {rows})", params


def select_per_period(
    db: sqlite_utils.Database,
    periods: Sequence[Period],
    select: str,
    params: Sequence = (),
    *,
    tables: str = "",
) -> list[tuple]:
    """The rows of ``select``, which reads ``periods(n, lo, hi, lo_day)`` (see above).

    ``lo`` and ``hi`` are each period's bounds as stored instants, ``lo_day``
    its first day in its own time zone (for date columns), ``n`` its index.
    ``tables``: more common table expressions (``name AS (…)``) for ``select``;
    their parameters come first in ``params``.
    """
    head, values = _periods_table(tuple((start, end) for start, end in periods))
    if tables:
        head = f"{head}, {tables}"
    return db.execute(f"{head} {select}", [*values, *params]).fetchall()


def count_per_period(
    db: sqlite_utils.Database,
    periods: Sequence[Period],
    count: str,
    params: Sequence = (),
) -> list[int]:
    """One count per period: ``count`` is a ``SELECT count(*)`` bounded by ``p.lo``, ``p.hi``."""
    rows = select_per_period(db, periods, f"SELECT p.n, ({count}) FROM periods p", params)
    return counts_per_period(rows, len(periods))


def dated_rows_per_period(
    db: sqlite_utils.Database,
    periods: Sequence[Period],
    table: str,
    dated_by: str,
    establishment_id: str,
) -> list[int]:
    """How many of the establishment's rows of ``table`` have ``dated_by`` in each period."""
    return count_per_period(
        db,
        periods,
        f"SELECT count(*) FROM {table} r WHERE r.establishment_id = ?"
        f" AND r.{dated_by} >= p.lo AND r.{dated_by} < p.hi",
        [establishment_id],
    )


def counts_per_period(rows: Iterable[tuple[int, int]], count: int) -> list[int]:
    """``(n, count)`` rows as one count per period, 0 for a period without a row."""
    counts = [0] * count
    for n, value in rows:
        counts[n] = value
    return counts


def counts_by_key_per_period(rows: Iterable[tuple[int, str, int]], count: int) -> list[dict]:
    """``(n, key, count)`` rows as one ``{key: count}`` per period, keys in row order."""
    counts: list[dict] = [{} for _ in range(count)]
    for n, key, value in rows:
        counts[n][key] = counts[n].get(key, 0) + value
    return counts
