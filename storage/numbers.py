"""Short numbers (n° 1, 2, 3…) that people type to name a row of their establishment.

Slots, training needs, breakdowns, surveys, links, class projects and objectives
all take theirs here: counting from 1 in each establishment (and, for the
objectives, in each school year), and never handing out a number twice. A number
freed by a deletion (a link removed from the watch) does not go to the next row,
so an old « !veille retirer 5 » typed again cannot remove another link.

``number_counters`` keeps the last number given. Call ``next_number`` in the
transaction that inserts the row: its first statement writes, so it holds the
write lock and two writers cannot take the same number, and a rolled-back insert
gives its number back.
"""

from __future__ import annotations

import sqlite_utils

# The numbered tables, and the column besides the establishment that numbers restart
# with (None: they never restart).
NUMBERED: dict[str, str | None] = {
    "permanence_slots": None,
    "training_needs": None,
    "incidents": None,
    "surveys": None,
    "veille_items": None,
    "class_projects": None,
    "objectives": "school_year",
}


def next_number(
    db: sqlite_utils.Database, table: str, establishment_id: str, scope: int = 0
) -> int:
    """The number the next row of ``table`` takes in the establishment (and ``scope``).

    One past the last number given, or past the largest number in the table if
    that is further (rows written by other means, such as the benchmark's seeding).
    """
    return next_numbers(db, table, establishment_id, 1, scope)[0]


def next_numbers(
    db: sqlite_utils.Database, table: str, establishment_id: str, count: int, scope: int = 0
) -> range:
    """``count`` numbers in a row for new rows of ``table``, taken at once (as ``next_number``)."""
    if table not in NUMBERED:
        raise ValueError(f"{table!r} is not a numbered table: {', '.join(NUMBERED)}")
    scope_column = NUMBERED[table]
    if scope_column is None and scope != 0:
        raise ValueError(f"numbers of {table} do not restart: no scope")
    if count <= 0:
        return range(0)
    where = "establishment_id = ?" + (f" AND {scope_column} = ?" if scope_column else "")
    (last,) = db.execute(
        "INSERT INTO number_counters (family, establishment_id, scope, last_number)"
        f" VALUES (?, ?, ?, (SELECT coalesce(max(number), 0) + ? FROM {table} WHERE {where}))"
        " ON CONFLICT (family, establishment_id, scope) DO UPDATE"
        " SET last_number = max(last_number + ?, excluded.last_number) RETURNING last_number",
        (table, establishment_id, scope, count, establishment_id)
        + ((scope,) if scope_column else ())
        + (count,),
    ).fetchone()
    return range(last - count + 1, last + 1)
