"""Class projects with digital tools: recorded by teachers, searchable, announced once, counted.

Each establishment keeps a numbered register of its classes' projects (n° 1, 2,
3…, never given twice: ``storage.numbers``). The newsletter shows each project
once and records it (``newsletter_items``, kind ``projet``); the digest, the
activity report and the academy count them by the time they were recorded. A
project removed from the register (recorded twice, by mistake) is no longer
shown nor counted; one whose author is forgotten stays, without its author.
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
SEARCHED = ("class_name", "discipline", "text", "tags")
# What a listing shows of a project's text: its first words, cut there.
SUMMARY_CHARS = 80
_COLUMNS = "id, establishment_id, number, class_name, discipline, text, tags, author, created_at"


@dataclass(frozen=True)
class ClassProject:
    """A class project: which class, in which discipline, what it did, and its tags."""

    id: int
    establishment_id: str
    number: int
    class_name: str
    discipline: str
    text: str
    tags: tuple[str, ...]
    author: str
    created_at: datetime

    @property
    def summary(self) -> str:
        """The text's first words, cut to ``SUMMARY_CHARS`` characters."""
        text = " ".join(self.text.split())
        return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1] + "…"


def _project(row: Sequence) -> ClassProject:
    return ClassProject(
        id=row[0],
        establishment_id=row[1],
        number=row[2],
        class_name=row[3],
        discipline=row[4],
        text=row[5],
        tags=tuple(row[6].split()),
        author=row[7],
        created_at=from_stamp(row[8]),
    )


def add_project(
    db: sqlite_utils.Database,
    *,
    establishment_id: str,
    class_name: str,
    discipline: str,
    text: str,
    tags: Iterable[str],
    author: str,
    now: datetime,
) -> ClassProject:
    """Record a project with the establishment's next short number."""
    tag_text = " ".join(tags)
    stamp = to_stamp(now)
    with write_transaction(db):
        number = next_number(db, "class_projects", establishment_id)
        cursor = db.execute(
            "INSERT INTO class_projects (establishment_id, number, class_name, discipline, text,"
            " tags, author, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (establishment_id, number, class_name, discipline, text, tag_text, author, stamp),
        )
    return ClassProject(
        cursor.lastrowid, establishment_id, number, class_name, discipline, text,
        tuple(tag_text.split()), author, from_stamp(stamp),
    )  # fmt: skip


def project_by_number(
    db: sqlite_utils.Database, establishment_id: str, number: int
) -> ClassProject | None:
    """The establishment's project with that short number."""
    row = db.execute(
        f"SELECT {_COLUMNS} FROM class_projects WHERE establishment_id = ? AND number = ?",
        (establishment_id, number),
    ).fetchone()
    return _project(row) if row else None


def remove_project(db: sqlite_utils.Database, project_id: int) -> None:
    """Delete a project (its search entry goes with it, through the trigger)."""
    with write_transaction(db):
        db.execute("DELETE FROM class_projects WHERE id = ?", (project_id,))


def recent_projects(
    db: sqlite_utils.Database, establishment_id: str, limit: int = 10
) -> tuple[list[ClassProject], int]:
    """The last ``limit`` projects recorded, newest first, and how many there are."""
    rows = db.execute(
        f"SELECT {_COLUMNS} FROM class_projects WHERE establishment_id = ?"
        " ORDER BY number DESC LIMIT ?",
        (establishment_id, limit),
    ).fetchall()
    if len(rows) < limit:
        return [_project(row) for row in rows], len(rows)
    (total,) = db.execute(
        "SELECT count(*) FROM class_projects WHERE establishment_id = ?", (establishment_id,)
    ).fetchone()
    return [_project(row) for row in rows], total


def search_projects(
    db: sqlite_utils.Database, establishment_id: str, text: str, limit: int = 10
) -> list[ClassProject]:
    """Projects whose class, discipline, text or tags contain every word of ``text``
    (best first), read as ``storage.search`` reads a search."""
    terms = search_terms(text)
    if not terms:
        return []
    columns = ", ".join(f"p.{c.strip()}" for c in _COLUMNS.split(","))
    rows = db.execute(
        f"SELECT {columns} FROM class_projects_fts JOIN class_projects p"
        " ON p.id = class_projects_fts.rowid"
        " WHERE class_projects_fts MATCH ? AND p.establishment_id = ?"
        # bm25 weights: the establishment column matches every project alike.
        " ORDER BY bm25(class_projects_fts, 1.0, 1.0, 1.0, 1.0, 0.0), p.number DESC LIMIT ?",
        (fts_query(terms, SEARCHED, establishment_id), establishment_id, limit),
    ).fetchall()
    return [_project(row) for row in rows]


def unannounced_until(
    db: sqlite_utils.Database, establishment_id: str, until: datetime
) -> list[ClassProject]:
    """Projects recorded up to ``until`` that no newsletter showed yet, oldest first."""
    rows = db.execute(
        f"SELECT {_COLUMNS} FROM class_projects c"
        f" WHERE c.id IN ({unannounced_ids('class_projects', 'created_at', 'projet')})"
        " ORDER BY c.number",
        (establishment_id, to_stamp(until)),
    ).fetchall()
    return [_project(row) for row in rows]


def projects_between(
    db: sqlite_utils.Database, establishment_id: str, start: datetime, end: datetime
) -> list[ClassProject]:
    """Projects recorded in ``[start, end)``, oldest first (the report's list)."""
    rows = db.execute(
        f"SELECT {_COLUMNS} FROM class_projects WHERE establishment_id = ?"
        " AND created_at >= ? AND created_at < ? ORDER BY created_at, number",
        (establishment_id, to_stamp(start), to_stamp(end)),
    ).fetchall()
    return [_project(row) for row in rows]


def recorded_per_period(
    db: sqlite_utils.Database, establishment_id: str, periods: Sequence[Period]
) -> list[int]:
    """How many projects were recorded in each period (a digest figure)."""
    return dated_rows_per_period(db, periods, "class_projects", "created_at", establishment_id)
