"""A breakdown's room, and the people who reported it after the first.

``room`` is the room as the description named it (« B12 », « CDI »), kept apart
from the description: it is the establishment's, not the teacher's words, and
stays when they are forgotten, so the technician's visit list still knows where
to go. ``room_key`` is the same room written one way (« salle b-12 » is ``B12``),
to find a breakdown already reported there.

``incident_followers``: one row per person who reported a breakdown already
open (same room, same equipment) and joined it instead of opening a second
one; they are told of its repair with its reporter. ``user_id`` is personal
data (storage/donnees.py), ``description`` their own words.

Rows written before get their room read from their description, with the
reading of November 2026 written here so that this migration does the same
thing whatever ``storage.panne`` later becomes.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata

# « salle de réunion », « salle des profs » name no room number: the article is no room.
_ROOM = re.compile(
    r"\b(?:salle\s+|sal\.\s*)(?:n°\s*)?(?!(?:de|des|du|d|la|le|les|l)\b)"
    r"([A-Za-z0-9][\w.\-]{0,9})",
    re.I,
)
# « en 104 »: three digits after « en » are a room (« en 2027 » is a year).
_ROOM_CODE = re.compile(r"\b([A-Z]\d{1,3}|CDI|labo\w*|gymnase)\b|\ben\s+(\d{3})\b", re.I)

STATEMENTS = (
    "ALTER TABLE incidents ADD COLUMN room TEXT",
    "ALTER TABLE incidents ADD COLUMN room_key TEXT",
    "CREATE INDEX incidents_open_by_room ON incidents (establishment_id, room_key)"
    " WHERE resolved_at IS NULL",
    """CREATE TABLE incident_followers (
        incident_id INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
        user_id TEXT NOT NULL,
        description TEXT,
        joined_at TEXT NOT NULL,
        PRIMARY KEY (incident_id, user_id)
    )""",
    "CREATE INDEX incident_followers_user ON incident_followers (user_id)",
)


def _room(description: str) -> str | None:
    match = _ROOM.search(description) or _ROOM_CODE.search(description)
    return match.group(match.lastindex).rstrip(".-") if match else None


def _key(room: str) -> str:
    folded = unicodedata.normalize("NFKD", room).encode("ascii", "ignore").decode()
    return re.sub(r"[^0-9A-Za-z]", "", folded).upper()


def apply(conn: sqlite3.Connection) -> None:
    for statement in STATEMENTS:
        conn.execute(statement)
    rows = conn.execute("SELECT id, description FROM incidents").fetchall()
    updates = [
        (room, _key(room), incident_id)
        for incident_id, description in rows
        if (room := _room(description)) and _key(room)
    ]
    conn.executemany("UPDATE incidents SET room = ?, room_key = ? WHERE id = ?", updates)
