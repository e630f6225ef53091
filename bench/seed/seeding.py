"""What a seeder works with (``Seeding``) and what a benchmark types (``Probe``)."""

from __future__ import annotations

import random
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property

import sqlite_utils

from bench.seed.academy import GENERATED_AHEAD, PARIS, YEAR_START, ZONE
from bot.core.config import Establishment
from bot.toolkit.calendar import is_school_day
from storage.numbers import NUMBERED


@dataclass
class Seeding:
    """What a seeder works with; see ``bench/seed/__init__.py``."""

    db: sqlite_utils.Database
    establishments: tuple[Establishment, ...]
    now: datetime
    rng: random.Random
    teachers: dict[str, list[str]] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)

    def insert(self, table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
        """Insert many rows at once; returns how many."""
        marks = ", ".join("?" * len(columns))
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
        count = self.db.conn.executemany(sql, rows).rowcount
        self.rows[table] = self.rows.get(table, 0) + count
        return count

    def insert_indexed(self, table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
        """Insert many rows of a table with a search index (``<table>_fts``); returns how many.

        The rows are indexed by the table's triggers, as the bot's writes are, then the
        index is written in one piece, as migration 0043 leaves an index.
        """
        count = self.insert(table, columns, rows)
        index = f"{table}_fts"
        self.db.conn.execute(f"INSERT INTO {index} ({index}) VALUES ('optimize')")
        return count

    def count_numbers(self, table: str) -> None:
        """The counters ``storage.numbers`` keeps, for rows inserted with their numbers."""
        scope = NUMBERED[table]
        self.db.conn.execute(
            "INSERT INTO number_counters (family, establishment_id, scope, last_number)"
            f" SELECT ?, establishment_id, {scope or 0}, max(number) FROM {table}"
            " GROUP BY establishment_id" + (f", {scope}" if scope else ""),
            (table,),
        )

    @cached_property
    def school_days(self) -> list[date]:
        """Days with classes from the start of the year to four weeks after ``now``."""
        days, day = [], YEAR_START
        last = (self.now + GENERATED_AHEAD).date()
        while day <= last:
            if is_school_day(day, ZONE):
                days.append(day)
            day += timedelta(days=1)
        return days

    @cached_property
    def past_days(self) -> list[date]:
        """School days before ``now``'s day: when the year's activity happened."""
        return [d for d in self.school_days if d < self.now.date()]

    def during_class(self, day: date) -> datetime:
        """A moment of a school day, between 8:00 and 17:59."""
        return datetime.combine(day, time(self.rng.randint(8, 17), self.rng.randrange(60)), PARIS)

    def school_day_between(self, first: date, last: date) -> date | None:
        """A school day in ``[first, last]`` (None if there is none)."""
        days = self.school_days[
            bisect_left(self.school_days, first) : bisect_right(self.school_days, last)
        ]
        return self.rng.choice(days) if days else None

    def before_now(self, start: datetime, end: datetime | None = None) -> datetime:
        """A moment between ``start`` and ``end`` (default ``now``), to the second."""
        end = min(end or self.now, self.now)
        if end <= start:
            return start
        seconds = int((end - start).total_seconds() * self.rng.random())
        return start.replace(microsecond=0) + timedelta(seconds=seconds)


@dataclass(frozen=True)
class Probe:
    """Lines one person of ``role`` types in a row, sharing the same placeholder values."""

    lines: tuple[str, ...]
    role: str = "teacher"  # "teacher", "referent", "principal" or "admin" (the academy's)
    burst: bool = True  # typed in the burst too (teachers' probes only)


Seeder = Callable[[Seeding], None]
Values = Callable[[sqlite_utils.Database, str, datetime, random.Random], dict[str, str]]

# Messages sent by the seeded jobs (reminders, letters), as the outbox keeps them.
OUTBOX_COLUMNS = (
    "establishment_id", "body", "html", "mentions", "txn_id", "created_at", "sent_at", "event_id",
)  # fmt: skip


def next_number_of(db, table: str, eid: str, scope: int = 0) -> str:
    """The number the next row of ``table`` will get (``storage.numbers``), as typed."""
    row = db.execute(
        "SELECT last_number FROM number_counters WHERE family = ? AND establishment_id = ?"
        " AND scope = ?",
        (table, eid, scope),
    ).fetchone()
    return str((row[0] if row else 0) + 1)
