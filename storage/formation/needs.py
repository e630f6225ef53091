"""Training needs and their supporters: record, find, vote, close, forward, count by theme."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlite_utils

from storage.formation.words import CRCN_LABELS, looks_similar, similarity
from storage.numbers import next_number
from storage.periods import Period, counts_by_key_per_period, select_per_period
from storage.stamps import from_stamp, to_stamp

OPEN, PLANNED, CLOSED, DANE = "open", "planned", "closed", "dane"


@dataclass(frozen=True)
class TrainingNeed:
    """A need as users see it, with its support count and session, if any."""

    id: int
    establishment_id: str
    number: int
    text: str
    tags: tuple[str, ...]
    author: str
    created_at: datetime
    status: str
    votes: int
    close_note: str | None = None
    poll_event_id: str | None = None
    session_at: datetime | None = None
    session_place: str | None = None


_NEED_SELECT = """
SELECT n.id, n.establishment_id, n.number, n.text, n.tags, n.author, n.created_at, n.status,
       (SELECT count(*) FROM training_votes v WHERE v.need_id = n.id) AS votes,
       n.close_note, n.poll_event_id, s.starts_at, s.place
FROM training_needs n LEFT JOIN training_sessions s ON s.need_id = n.id
"""


def _need(row) -> TrainingNeed:
    (id_, est, number, text, tags, author, created, status, votes, note, poll, start, place) = row
    return TrainingNeed(
        id=id_,
        establishment_id=est,
        number=number,
        text=text,
        tags=tuple(tags.split()),
        author=author,
        created_at=from_stamp(created),
        status=status,
        votes=votes,
        close_note=note,
        poll_event_id=poll,
        session_at=from_stamp(start) if start else None,
        session_place=place,
    )


def record_need(
    db: sqlite_utils.Database,
    establishment_id: str,
    text: str,
    tags: Sequence[str],
    author: str,
    now: datetime,
) -> TrainingNeed:
    """Store a new need with the next number of its establishment; the author supports it."""
    with db.atomic():
        number = next_number(db, "training_needs", establishment_id)
        need_id = db.execute(
            "INSERT INTO training_needs (establishment_id, number, text, tags, author, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            (establishment_id, number, text, " ".join(tags), author, to_stamp(now)),
        ).fetchone()[0]
        db.execute(
            "INSERT INTO training_votes (need_id, voter, voted_at) VALUES (?, ?, ?)",
            (need_id, author, to_stamp(now)),
        )
    return _need_by_id(db, need_id)


def _need_by_id(db: sqlite_utils.Database, need_id: int) -> TrainingNeed:
    return _need(db.execute(_NEED_SELECT + " WHERE n.id = ?", (need_id,)).fetchone())


def remember_need_message(
    db: sqlite_utils.Database, need_id: int, event_id: str, room_id: str
) -> None:
    """Note that the bot's message ``event_id`` announced the need (a 👍 on it supports it)."""
    db.execute(
        "INSERT OR IGNORE INTO training_need_messages (event_id, need_id, room_id)"
        " VALUES (?, ?, ?)",
        (event_id, need_id, room_id),
    )


def need_of_message(db: sqlite_utils.Database, event_id: str, room_id: str) -> TrainingNeed | None:
    """The need a message of the bot in that room announced, or None."""
    row = db.execute(
        "SELECT need_id FROM training_need_messages WHERE event_id = ? AND room_id = ?",
        (event_id, room_id),
    ).fetchone()
    return _need_by_id(db, row[0]) if row else None


def find_need(db: sqlite_utils.Database, establishment_id: str, number: int) -> TrainingNeed | None:
    """The need with this number in the establishment, or None."""
    row = db.execute(
        _NEED_SELECT + " WHERE n.establishment_id = ? AND n.number = ?",
        (establishment_id, number),
    ).fetchone()
    return _need(row) if row else None


def needs_with_status(
    db: sqlite_utils.Database, establishment_id: str, *statuses: str, limit: int = -1
) -> list[TrainingNeed]:
    """Needs in these states, most supported first (then the oldest first); the first
    ``limit`` of them when given."""
    marks = ",".join("?" * len(statuses))
    rows = db.execute(
        _NEED_SELECT + f" WHERE n.establishment_id = ? AND n.status IN ({marks})"
        " ORDER BY votes DESC, n.number LIMIT ?",
        (establishment_id, *statuses, limit),
    ).fetchall()
    return [_need(r) for r in rows]


def top_needs(
    db: sqlite_utils.Database, establishment_id: str, limit: int = 5
) -> list[TrainingNeed]:
    """The most supported open needs (for the newsletter)."""
    return needs_with_status(db, establishment_id, OPEN, limit=limit)


def find_similar_need(
    db: sqlite_utils.Database, establishment_id: str, text: str
) -> TrainingNeed | None:
    """The open or planned need that most looks like ``text``, if one does."""
    candidates = [
        n
        for n in needs_with_status(db, establishment_id, OPEN, PLANNED)
        if looks_similar(text, n.text)
    ]
    if not candidates:
        return None
    return max(candidates, key=lambda n: (similarity(text, n.text), n.votes, -n.number))


def vote(db: sqlite_utils.Database, need_id: int, voter: str, now: datetime) -> bool:
    """Add someone's support; False if they already supported it (counted once)."""
    cursor = db.execute(
        "INSERT INTO training_votes (need_id, voter, voted_at) VALUES (?, ?, ?)"
        " ON CONFLICT (need_id, voter) DO NOTHING",
        (need_id, voter, to_stamp(now)),
    )
    return cursor.rowcount == 1


def withdraw_vote(db: sqlite_utils.Database, need_id: int, voter: str) -> bool:
    """Remove someone's support; False if they had not given it."""
    cursor = db.execute(
        "DELETE FROM training_votes WHERE need_id = ? AND voter = ?", (need_id, voter)
    )
    return cursor.rowcount == 1


def supporters(db: sqlite_utils.Database, need: TrainingNeed) -> list[str]:
    """Who asked for a need or supports it: the author first, then by date of support."""
    rows = db.execute(
        "SELECT voter FROM training_votes WHERE need_id = ? ORDER BY voted_at, rowid",
        (need.id,),
    ).fetchall()
    return list(dict.fromkeys([need.author, *(r[0] for r in rows)]))


def close_need(
    db: sqlite_utils.Database, need: TrainingNeed, note: str | None, closed_by: str, now: datetime
) -> None:
    """Close a need (done, or dropped), with an optional note."""
    db.execute(
        "UPDATE training_needs SET status = ?, status_at = ?, closed_by = ?, close_note = ?"
        " WHERE id = ?",
        (CLOSED, to_stamp(now), closed_by, note, need.id),
    )


def forward_to_dane(
    db: sqlite_utils.Database, need: TrainingNeed, forwarded_by: str, now: datetime
) -> None:
    """Mark a need as forwarded to the academy team: it leaves the establishment's list."""
    db.execute(
        "UPDATE training_needs SET status = ?, status_at = ?, closed_by = ? WHERE id = ?",
        (DANE, to_stamp(now), forwarded_by, need.id),
    )


def answer_from_dane(
    db: sqlite_utils.Database, need: TrainingNeed, answer: str, answered_by: str, now: datetime
) -> bool:
    """Keep the academy's answer to a forwarded need; False if it had answered already
    (the new answer replaces the old one all the same)."""
    row = db.execute("SELECT dane_answer FROM training_needs WHERE id = ?", (need.id,)).fetchone()
    db.execute(
        "UPDATE training_needs SET dane_answer = ?, dane_answered_at = ?, dane_answered_by = ?"
        " WHERE id = ?",
        (answer, to_stamp(now), answered_by, need.id),
    )
    return row is not None and row[0] is None


def needs_by_theme_per_period(
    db: sqlite_utils.Database, establishment_id: str, periods: Sequence[Period]
) -> list[dict[str, int]]:
    """Needs expressed in each period, by CRCN theme (a digest figure).

    Each need counts once, under its first theme, so the themes add up to the total.
    """
    rows = select_per_period(
        db,
        periods,
        "SELECT p.n, t.tags, count(*) FROM periods p JOIN training_needs t"
        " ON t.establishment_id = ? AND t.created_at >= p.lo AND t.created_at < p.hi"
        " GROUP BY p.n, t.tags",
        [establishment_id],
    )
    return counts_by_key_per_period(
        ((n, theme_of(tags), count) for n, tags, count in rows), len(periods)
    )


NO_THEME, OTHER_THEME = "Sans thème", "Autre thème"


def theme_of(tags: str) -> str:
    """A need's theme as the digest and the report show it: its first tag's CRCN domain."""
    first = tags.split(maxsplit=1)[0] if tags.strip() else None
    if first is None:
        return NO_THEME
    return CRCN_LABELS.get(first, OTHER_THEME)
