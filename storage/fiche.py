"""Answer sheets (« fiches »): the referents' short answers, by name, searchable, announced once.

Each establishment keeps its sheets under names people type (``vpi-connexion``,
unique in the establishment). Every time a sheet is written or rewritten a
change is noted (``answer_sheet_changes``): the newsletter shows a sheet once
per change and records the change it showed (``newsletter_items``, kind
``fiche``), so a rewritten sheet is announced again, once. Reads are counted,
by nobody: the digest and the activity report give how many.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlite_utils

from storage.db import write_transaction
from storage.lettre import not_announced
from storage.periods import Period, dated_rows_per_period
from storage.search import any_word_query, fts_query, search_terms
from storage.stamps import from_stamp, to_stamp

# The columns a search looks in (the index also holds the establishment).
SEARCHED = ("name", "body")
# What a listing shows of a sheet: its first line, cut there.
SUMMARY_CHARS = 80
# Marks where a sheet names a breakdown's equipment (a control character nobody types).
_PLACE = "\x1f"

_COLUMNS = "id, establishment_id, name, body, author, created_at, updated_by, updated_at"
# The same columns of the sheet aliased ``s``, for the queries that join it.
_S_COLUMNS = ", ".join(f"s.{c.strip()}" for c in _COLUMNS.split(","))


@dataclass(frozen=True)
class Sheet:
    """An answer sheet; ``updated_by`` is None until someone rewrites it."""

    id: int
    establishment_id: str
    name: str
    body: str
    author: str
    created_at: datetime
    updated_by: str | None
    updated_at: datetime

    @property
    def lines(self) -> list[str]:
        """The body's lines, as written (blank lines kept between paragraphs)."""
        return self.body.split("\n")

    @property
    def summary(self) -> str:
        """The first line with words, cut to ``SUMMARY_CHARS`` characters."""
        first = next((line.strip() for line in self.lines if line.strip()), "")
        return first if len(first) <= SUMMARY_CHARS else first[: SUMMARY_CHARS - 1] + "…"


@dataclass(frozen=True)
class SheetNews:
    """A sheet a letter has not shown in its latest version: the change to record, and
    whether an earlier version was shown (then it is « mise à jour », else new)."""

    sheet: Sheet
    change_id: int
    shown_before: bool


class SheetExists(Exception):
    """The name is already taken in the establishment; ``existing`` is that sheet."""

    def __init__(self, existing: Sheet):
        super().__init__(existing.name)
        self.existing = existing


def _sheet(row: Sequence) -> Sheet:
    return Sheet(
        id=row[0],
        establishment_id=row[1],
        name=row[2],
        body=row[3],
        author=row[4],
        created_at=from_stamp(row[5]),
        updated_by=row[6],
        updated_at=from_stamp(row[7]),
    )


def sheet_named(db: sqlite_utils.Database, establishment_id: str, name: str) -> Sheet | None:
    """The establishment's sheet with exactly that name."""
    row = db.execute(
        f"SELECT {_COLUMNS} FROM answer_sheets WHERE establishment_id = ? AND name = ?",
        (establishment_id, name),
    ).fetchone()
    return _sheet(row) if row else None


def add_sheet(
    db: sqlite_utils.Database,
    *,
    establishment_id: str,
    name: str,
    body: str,
    author: str,
    now: datetime,
) -> Sheet:
    """Store a new sheet and note its first change; raises SheetExists if the name is taken.

    The check and the insert are made under the write lock: two referents adding
    the same name at once get one sheet and one refusal.
    """
    stamp = to_stamp(now)
    with write_transaction(db):
        existing = sheet_named(db, establishment_id, name)
        if existing is not None:
            raise SheetExists(existing)
        cursor = db.execute(
            "INSERT INTO answer_sheets (establishment_id, name, body, author, created_at,"
            " updated_by, updated_at) VALUES (?, ?, ?, ?, ?, NULL, ?)",
            (establishment_id, name, body, author, stamp, stamp),
        )
        _note_change(db, establishment_id, cursor.lastrowid, stamp)
    created = from_stamp(stamp)
    return Sheet(cursor.lastrowid, establishment_id, name, body, author, created, None, created)


def rewrite_sheet(
    db: sqlite_utils.Database, sheet: Sheet, body: str, editor: str, now: datetime
) -> None:
    """Replace a sheet's text and note the change (the next letter shows it again)."""
    stamp = to_stamp(now)
    with write_transaction(db):
        db.execute(
            "UPDATE answer_sheets SET body = ?, updated_by = ?, updated_at = ? WHERE id = ?",
            (body, editor, stamp, sheet.id),
        )
        _note_change(db, sheet.establishment_id, sheet.id, stamp)


def _note_change(
    db: sqlite_utils.Database, establishment_id: str, sheet_id: int, stamp: str
) -> None:
    db.execute(
        "INSERT INTO answer_sheet_changes (establishment_id, sheet_id, changed_at)"
        " VALUES (?, ?, ?)",
        (establishment_id, sheet_id, stamp),
    )


def remove_sheet(db: sqlite_utils.Database, sheet_id: int) -> None:
    """Delete a sheet (its search entry goes through the trigger; its changes and
    reads stay, unlinked, in the counts of their months)."""
    with write_transaction(db):
        db.execute("DELETE FROM answer_sheets WHERE id = ?", (sheet_id,))


def note_read(db: sqlite_utils.Database, sheet: Sheet, now: datetime) -> None:
    """Count one reading of the sheet (nobody's name is kept)."""
    db.execute(
        "INSERT INTO answer_sheet_reads (establishment_id, sheet_id, read_at) VALUES (?, ?, ?)",
        (sheet.establishment_id, sheet.id, to_stamp(now)),
    )


def list_sheets(
    db: sqlite_utils.Database, establishment_id: str, limit: int = 50
) -> tuple[list[Sheet], int]:
    """The first ``limit`` sheets by name, and how many the establishment has."""
    rows = db.execute(
        f"SELECT {_COLUMNS} FROM answer_sheets WHERE establishment_id = ? ORDER BY name LIMIT ?",
        (establishment_id, limit),
    ).fetchall()
    if len(rows) < limit:
        return [_sheet(row) for row in rows], len(rows)
    (total,) = db.execute(
        "SELECT count(*) FROM answer_sheets WHERE establishment_id = ?", (establishment_id,)
    ).fetchone()
    return [_sheet(row) for row in rows], total


def search_sheets(
    db: sqlite_utils.Database, establishment_id: str, text: str, limit: int = 10
) -> list[Sheet]:
    """Sheets whose name or text contain every word of ``text`` (best first).

    Accents and case are ignored, words of three letters or more match as
    prefixes, two words also match written as one (``storage.search``). A text
    without letters or digits finds nothing.
    """
    terms = search_terms(text)
    if not terms:
        return []
    return _matching(db, establishment_id, fts_query(terms, SEARCHED, establishment_id), limit)


def sheets_mentioning(
    db: sqlite_utils.Database, establishment_id: str, phrases: Iterable[str], limit: int = 3
) -> list[Sheet]:
    """Sheets whose name or text hold at least one of ``phrases``: those that name them
    in the most places first (a place in the name counts three, as in a search), then
    the shorter, then by name.

    For a breakdown: the words that name its equipment (``storage.panne``). The
    places are counted in the establishment's own sheets: bm25() would weigh each
    phrase by how many sheets of the whole académie hold it, reading all of them
    (0.5 to 1.8 ms a report on the seeded académie, against 0.2 to 0.4 here).
    """
    query = any_word_query(phrases, SEARCHED, establishment_id)
    if query is None:
        return []
    rows = db.execute(
        f"SELECT {_S_COLUMNS}, highlight(answer_sheets_fts, 0, ?, ''),"
        " highlight(answer_sheets_fts, 1, ?, '')"
        # CROSS JOIN: the index is asked once, not once for each of the establishment's sheets.
        " FROM answer_sheets_fts CROSS JOIN answer_sheets s ON s.id = answer_sheets_fts.rowid"
        " WHERE answer_sheets_fts MATCH ? AND s.establishment_id = ?",
        (_PLACE, _PLACE, query, establishment_id),
    ).fetchall()
    rows.sort(key=_naming_most)
    return [_sheet(row) for row in rows[:limit]]


def _naming_most(row: Sequence) -> tuple[int, int, str]:
    name_places, body_places = row[8].count(_PLACE), row[9].count(_PLACE)
    return (-3 * name_places - body_places, len(row[3]), row[2])


def _matching(db: sqlite_utils.Database, establishment_id: str, query: str, limit: int):
    rows = db.execute(
        f"SELECT {_S_COLUMNS} FROM answer_sheets_fts JOIN answer_sheets s"
        " ON s.id = answer_sheets_fts.rowid"
        " WHERE answer_sheets_fts MATCH ? AND s.establishment_id = ?"
        # bm25 weights: a word of the name counts more; the establishment column
        # matches every sheet alike.
        " ORDER BY bm25(answer_sheets_fts, 3.0, 1.0, 0.0), s.name LIMIT ?",
        (query, establishment_id, limit),
    ).fetchall()
    return [_sheet(row) for row in rows]


def unannounced_until(
    db: sqlite_utils.Database, establishment_id: str, until: datetime
) -> list[SheetNews]:
    """Sheets whose latest change up to ``until`` no letter showed yet, by name.

    A sheet rewritten twice between two letters is shown once, in its latest version.
    """
    stamp = to_stamp(until)
    rows = db.execute(
        f"SELECT {_S_COLUMNS}, c.id, EXISTS (SELECT 1 FROM answer_sheet_changes e"
        "  JOIN newsletter_items n ON n.establishment_id = e.establishment_id"
        "  AND n.kind = 'fiche' AND n.item_id = e.id WHERE e.sheet_id = s.id AND e.id < c.id)"
        " FROM answer_sheets s JOIN answer_sheet_changes c ON c.id = ("
        "  SELECT max(l.id) FROM answer_sheet_changes l WHERE l.sheet_id = s.id"
        "  AND l.changed_at <= ?)"
        f" WHERE s.establishment_id = ? AND {not_announced('c', 'fiche')} ORDER BY s.name",
        (stamp, establishment_id),
    ).fetchall()
    return [SheetNews(_sheet(row[:8]), row[8], bool(row[9])) for row in rows]


def changes_per_period(
    db: sqlite_utils.Database, establishment_id: str, periods: Sequence[Period]
) -> list[int]:
    """How many times sheets were written or rewritten in each period (a digest figure)."""
    return dated_rows_per_period(
        db, periods, "answer_sheet_changes", "changed_at", establishment_id
    )


def reads_per_period(
    db: sqlite_utils.Database, establishment_id: str, periods: Sequence[Period]
) -> list[int]:
    """How many times sheets were read in each period (a digest figure)."""
    return dated_rows_per_period(db, periods, "answer_sheet_reads", "read_at", establishment_id)
