"""The year's objectives (objectifs) and their progress notes.

An objective belongs to an establishment and a school year (``school_year``: the
year it starts in, 2026 for 2026-2027) and has a short number within that year.
It may carry an indicator, a figure the bot counts compared with a target; the
figure's value is computed by the caller, this module only stores the spec.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlite_utils

from storage.numbers import next_number
from storage.stamps import from_stamp, to_stamp

ACTIVE, REACHED, ABANDONED = "active", "reached", "abandoned"
STATUSES = (ACTIVE, REACHED, ABANDONED)


@dataclass(frozen=True)
class IndicatorSpec:
    """``figure op target``: « sessions >= 6 »; ``percent`` when the target is a rate."""

    figure: str
    op: str
    target: int
    percent: bool = False


@dataclass(frozen=True)
class Note:
    """A progress note; ``text`` is None once its author asked to be forgotten."""

    text: str | None
    created_at: datetime


@dataclass(frozen=True)
class Objective:
    """An objective with its notes, oldest first."""

    id: int
    establishment_id: str
    school_year: int
    number: int
    text: str
    indicator: IndicatorSpec | None
    status: str
    created_at: datetime
    status_at: datetime | None
    notes: tuple[Note, ...] = ()


_SELECT = """
SELECT id, establishment_id, school_year, number, text, indicator_figure, indicator_op,
       indicator_target, indicator_percent, status, created_at, status_at
FROM objectives
"""


def _objectives(db: sqlite_utils.Database, rows) -> list[Objective]:
    # Notes of all the objectives in one query, not one query per objective.
    ids = [row[0] for row in rows]
    notes: dict[int, list[Note]] = {objective_id: [] for objective_id in ids}
    if ids:
        found = db.execute(
            "SELECT objective_id, text, created_at FROM objective_notes"
            f" WHERE objective_id IN ({', '.join('?' * len(ids))}) ORDER BY created_at, id",
            ids,
        )
        for objective_id, text, at in found:
            notes[objective_id].append(Note(text, from_stamp(at)))
    return [_objective(row, notes[row[0]]) for row in rows]


def _objective(row, notes: list[Note]) -> Objective:
    (id_, est, year, number, text, figure, op, target, percent, status, created, changed) = row
    return Objective(
        id=id_,
        establishment_id=est,
        school_year=year,
        number=number,
        text=text,
        indicator=IndicatorSpec(figure, op, target, bool(percent)) if figure else None,
        status=status,
        created_at=from_stamp(created),
        status_at=from_stamp(changed) if changed else None,
        notes=tuple(notes),
    )


def add_objective(
    db: sqlite_utils.Database,
    establishment_id: str,
    school_year: int,
    text: str,
    indicator: IndicatorSpec | None,
    author: str,
    now: datetime,
) -> Objective:
    """Store an objective with the next number of its establishment's school year."""
    with db.atomic():
        number = next_number(db, "objectives", establishment_id, school_year)
        objective_id = db.execute(
            "INSERT INTO objectives (establishment_id, school_year, number, text,"
            " indicator_figure, indicator_op, indicator_target, indicator_percent,"
            " author, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                establishment_id,
                school_year,
                number,
                text,
                indicator.figure if indicator else None,
                indicator.op if indicator else None,
                indicator.target if indicator else None,
                int(bool(indicator and indicator.percent)),
                author,
                to_stamp(now),
            ),
        ).fetchone()[0]
    return _objectives(db, [db.execute(_SELECT + " WHERE id = ?", (objective_id,)).fetchone()])[0]


def objectives_of_year(
    db: sqlite_utils.Database, establishment_id: str, school_year: int
) -> list[Objective]:
    """The objectives of a school year, by number."""
    rows = db.execute(
        _SELECT + " WHERE establishment_id = ? AND school_year = ? ORDER BY number",
        (establishment_id, school_year),
    ).fetchall()
    return _objectives(db, rows)


def find_objective(
    db: sqlite_utils.Database, establishment_id: str, school_year: int, number: int
) -> Objective | None:
    """The objective with this number in the establishment's school year, or None."""
    row = db.execute(
        _SELECT + " WHERE establishment_id = ? AND school_year = ? AND number = ?",
        (establishment_id, school_year, number),
    ).fetchone()
    return _objectives(db, [row])[0] if row else None


def count_kept(db: sqlite_utils.Database, establishment_id: str, school_year: int) -> int:
    """Objectives of the year not abandoned (the few the year is judged on)."""
    row = db.execute(
        "SELECT count(*) FROM objectives WHERE establishment_id = ? AND school_year = ?"
        " AND status != ?",
        (establishment_id, school_year, ABANDONED),
    ).fetchone()
    return row[0]


def add_note(
    db: sqlite_utils.Database, objective_id: int, text: str, author: str, now: datetime
) -> None:
    """Write a progress note on an objective."""
    db.execute(
        "INSERT INTO objective_notes (objective_id, text, author, created_at) VALUES (?, ?, ?, ?)",
        (objective_id, text, author, to_stamp(now)),
    )


def set_status(
    db: sqlite_utils.Database,
    objective_id: int,
    status: str,
    by: str,
    now: datetime,
    note: str | None = None,
) -> None:
    """Mark an objective active, reached or abandoned, with an optional note saying why."""
    if status not in STATUSES:
        raise ValueError(f"unknown objective status {status!r}")
    with db.atomic():
        db.execute(
            "UPDATE objectives SET status = ?, status_at = ?, updated_by = ? WHERE id = ?",
            (status, to_stamp(now), by, objective_id),
        )
        if note:
            add_note(db, objective_id, note, by, now)
