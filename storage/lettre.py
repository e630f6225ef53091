"""Newsletters sent and what each one showed, so nothing is announced twice.

Families name what a letter showed by a kind (``veille``, ``enquete``…) and
their own integer ids; the letter job records them in the transaction that
queues the letter. A preview records nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime

import sqlite_utils

from storage.stamps import from_stamp, to_stamp


def letter_exists(db: sqlite_utils.Database, establishment_id: str, period: str) -> bool:
    """Whether a letter was already sent for that period (a week, or a manual send)."""
    row = db.execute(
        "SELECT 1 FROM newsletters WHERE establishment_id = ? AND period = ?",
        (establishment_id, period),
    ).fetchone()
    return row is not None


def last_letter_at(
    db: sqlite_utils.Database, establishment_id: str, before: datetime
) -> datetime | None:
    """The instant the latest letter's content was taken at, among those before ``before``."""
    row = db.execute(
        "SELECT max(as_of) FROM newsletters WHERE establishment_id = ? AND as_of < ?",
        (establishment_id, to_stamp(before)),
    ).fetchone()
    return from_stamp(row[0]) if row[0] else None


def record_letter(
    db: sqlite_utils.Database,
    establishment_id: str,
    period: str,
    *,
    as_of: datetime,
    items: Mapping[str, Iterable[int]],
    now: datetime,
) -> int:
    """Record a sent letter and the items it showed; returns the letter's id.

    An item already shown by an earlier letter keeps that letter: it was
    announced there.
    """
    cursor = db.execute(
        "INSERT INTO newsletters (establishment_id, period, as_of, sent_at) VALUES (?, ?, ?, ?)",
        (establishment_id, period, to_stamp(as_of), to_stamp(now)),
    )
    letter_id = cursor.lastrowid
    for kind, ids in items.items():
        db.conn.executemany(
            "INSERT OR IGNORE INTO newsletter_items (establishment_id, kind, item_id, letter_id)"
            " VALUES (?, ?, ?, ?)",
            [(establishment_id, kind, int(item_id), letter_id) for item_id in ids],
        )
    return letter_id


def included_items(db: sqlite_utils.Database, establishment_id: str, kind: str) -> frozenset[int]:
    """The ids of a kind that some letter already showed."""
    rows = db.execute(
        "SELECT item_id FROM newsletter_items WHERE establishment_id = ? AND kind = ?",
        (establishment_id, kind),
    ).fetchall()
    return frozenset(row[0] for row in rows)


def not_announced(alias: str, kind: str) -> str:
    """An SQL condition: row ``alias`` (with ``establishment_id`` and ``id``) is in no letter.

    For a section that wants only what is new: reading all of a year's items to
    drop those already shown took most of a letter's time.
    """
    if not re.fullmatch(r"[a-z_]+", alias) or not re.fullmatch(r"[a-z-]+", kind):
        raise ValueError(f"not an alias and a kind: {alias!r}, {kind!r}")
    return (
        "NOT EXISTS (SELECT 1 FROM newsletter_items n"
        f" WHERE n.establishment_id = {alias}.establishment_id AND n.kind = '{kind}'"
        f" AND n.item_id = {alias}.id)"
    )


def unannounced_ids(table: str, dated_by: str, kind: str) -> str:
    """An SQL subquery: the ids of the establishment's (``?1``) rows of ``table`` dated
    by ``dated_by`` up to ``?2`` that no letter showed yet.

    Both sides are read from their indexes and one is taken from the other, rather
    than a look-up in the letters for each row of a year: a third less time.
    """
    for name in (table, dated_by, kind):
        if not re.fullmatch(r"[a-z_-]+", name):
            raise ValueError(f"not a name: {name!r}")
    return (
        f"SELECT id FROM {table} WHERE establishment_id = ?1 AND {dated_by} <= ?2"
        " EXCEPT SELECT item_id FROM newsletter_items"
        f" WHERE establishment_id = ?1 AND kind = '{kind}'"
    )


def letter_periods(db: sqlite_utils.Database, establishment_id: str) -> list[str]:
    """The periods letters were sent for, oldest first."""
    rows = db.execute(
        "SELECT period FROM newsletters WHERE establishment_id = ? ORDER BY as_of",
        (establishment_id,),
    ).fetchall()
    return [row[0] for row in rows]
