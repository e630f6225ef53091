"""The shared watch ("veille"): links, their titles, full-text search and the newsletter queue.

Each establishment keeps one list of links, de-duplicated on the normalised URL
(the caller normalises it) and numbered 1, 2, 3… (``storage.numbers``: the number
of a removed link is not given again). The newsletter announces each item once
(it records what it showed: ``newsletter_items``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlite_utils

from storage.db import write_transaction
from storage.lettre import unannounced_ids
from storage.numbers import next_number
from storage.periods import Period, dated_rows_per_period
from storage.search import fts_query, search_terms
from storage.stamps import from_stamp, to_stamp

# The columns a search looks in (the index also holds the establishment).
SEARCHED = ("title", "comment", "tags")
_COLUMNS = (
    "id, establishment_id, number, normalized_url, title, title_found, comment, tags,"
    " author, posted_at"
)


@dataclass(frozen=True)
class WatchItem:
    """A shared link. ``title`` is the URL itself when ``title_found`` is False."""

    id: int
    establishment_id: str
    number: int
    url: str
    title: str
    title_found: bool
    comment: str | None
    tags: tuple[str, ...]
    author: str
    posted_at: datetime


class DuplicateLink(Exception):
    """The link was already shared in the establishment; ``existing`` is the first post."""

    def __init__(self, existing: WatchItem):
        super().__init__(existing.url)
        self.existing = existing


def _item(row) -> WatchItem:
    return WatchItem(
        id=row[0],
        establishment_id=row[1],
        number=row[2],
        url=row[3],
        title=row[4],
        title_found=bool(row[5]),
        comment=row[6],
        tags=tuple(row[7].split()),
        author=row[8],
        posted_at=from_stamp(row[9]),
    )


def find_by_url(
    db: sqlite_utils.Database, establishment_id: str, normalized_url: str
) -> WatchItem | None:
    """The item already holding this normalised URL in the establishment, if any."""
    return _item_where(db, establishment_id, "normalized_url", normalized_url)


def add_item(
    db: sqlite_utils.Database,
    *,
    establishment_id: str,
    normalized_url: str,
    title: str | None,
    comment: str | None,
    tags: Iterable[str],
    author: str,
    now: datetime,
) -> WatchItem:
    """Store a link with the next short number; raises DuplicateLink if it is already there.

    ``title`` None means no title could be read: the URL stands in for it. The
    duplicate check, the number and the row are taken under the write lock, so two
    people sharing the same link at once get one item and one refusal.
    """
    tag_text = " ".join(tags)
    posted_at = to_stamp(now)
    with write_transaction(db):
        existing = find_by_url(db, establishment_id, normalized_url)
        if existing is not None:
            raise DuplicateLink(existing)
        number = next_number(db, "veille_items", establishment_id)
        cursor = db.execute(
            "INSERT INTO veille_items (establishment_id, number, normalized_url, title,"
            " title_found, comment, tags, author, posted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                establishment_id,
                number,
                normalized_url,
                title or normalized_url,
                int(title is not None),
                comment,
                tag_text,
                author,
                posted_at,
            ),
        )
    return WatchItem(
        id=cursor.lastrowid,
        establishment_id=establishment_id,
        number=number,
        url=normalized_url,
        title=title or normalized_url,
        title_found=title is not None,
        comment=comment,
        tags=tuple(tag_text.split()),
        author=author,
        posted_at=from_stamp(posted_at),
    )


def recent_items(
    db: sqlite_utils.Database, establishment_id: str, limit: int = 10
) -> list[WatchItem]:
    """The last ``limit`` items shared in the establishment, newest first."""
    rows = db.execute(
        f"SELECT {_COLUMNS} FROM veille_items WHERE establishment_id = ?"
        " ORDER BY number DESC LIMIT ?",
        (establishment_id, limit),
    ).fetchall()
    return [_item(r) for r in rows]


def item_by_number(
    db: sqlite_utils.Database, establishment_id: str, number: int
) -> WatchItem | None:
    """The item with that short number in the establishment."""
    return _item_where(db, establishment_id, "number", number)


def _item_where(
    db: sqlite_utils.Database, establishment_id: str, column: str, value: str | int
) -> WatchItem | None:
    """The establishment's item whose ``column`` (a unique key: number, URL) holds ``value``."""
    row = db.execute(
        f"SELECT {_COLUMNS} FROM veille_items WHERE establishment_id = ? AND {column} = ?",
        (establishment_id, value),
    ).fetchone()
    return _item(row) if row else None


def remove_item(db: sqlite_utils.Database, item_id: int) -> None:
    """Delete an item (its search entry goes with it, through the trigger)."""
    with write_transaction(db):
        db.execute("DELETE FROM veille_items WHERE id = ?", (item_id,))


def search_items(
    db: sqlite_utils.Database, establishment_id: str, text: str, limit: int = 10
) -> list[WatchItem]:
    """Items whose title, comment or tags contain every word of ``text`` (best first).

    Accents and case are ignored and each word of three letters or more matches as a
    prefix (« outil » finds « outils »), as ``storage.search`` reads a search. Any
    text is a valid search: one without letters or digits finds nothing.
    """
    terms = search_terms(text)
    if not terms:
        return []
    columns = ", ".join(f"v.{c.strip()}" for c in _COLUMNS.split(","))
    rows = db.execute(
        f"SELECT {columns} FROM veille_items_fts JOIN veille_items v"
        " ON v.id = veille_items_fts.rowid"
        " WHERE veille_items_fts MATCH ? AND v.establishment_id = ?"
        # bm25 weights: the establishment column matches every item alike.
        " ORDER BY bm25(veille_items_fts, 1.0, 1.0, 1.0, 0.0) LIMIT ?",
        (fts_query(terms, SEARCHED, establishment_id), establishment_id, limit),
    ).fetchall()
    return [_item(row) for row in rows]


def unannounced_until(
    db: sqlite_utils.Database, establishment_id: str, until: datetime
) -> list[WatchItem]:
    """Items shared up to ``until`` that no newsletter showed yet, oldest first."""
    rows = db.execute(
        f"SELECT {_COLUMNS} FROM veille_items v"
        f" WHERE v.id IN ({unannounced_ids('veille_items', 'posted_at', 'veille')})"
        " ORDER BY v.number",
        (establishment_id, to_stamp(until)),
    ).fetchall()
    return [_item(row) for row in rows]


def shared_per_period(
    db: sqlite_utils.Database, establishment_id: str, periods: Sequence[Period]
) -> list[int]:
    """How many items were shared in each period (a digest figure)."""
    return dated_rows_per_period(db, periods, "veille_items", "posted_at", establishment_id)
