"""The sync token and the inbox of commands received but not yet answered.

The inbox is written in the same transaction as the sync token that delivered
its events: a crash after that loses nothing (the rows are answered on restart)
and never answers twice (handled rows leave the inbox for ``handled_events``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlite_utils

from storage.stamps import to_stamp

SYNC_TOKEN = "sync_token"


@dataclass(frozen=True)
class InboxItem:
    """A command message waiting for its answer."""

    event_id: str
    room_id: str
    sender: str
    body: str
    origin_ts: int


def get_state(db: sqlite_utils.Database, key: str) -> str | None:
    """A value from the bot's key/value state."""
    row = db.execute("SELECT value FROM bot_state WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def set_state(db: sqlite_utils.Database, key: str, value: str) -> None:
    """Store a value in the bot's key/value state."""
    db.execute(
        "INSERT INTO bot_state (key, value) VALUES (?, ?)"
        " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


def clear_state(db: sqlite_utils.Database, key: str) -> None:
    """Forget a value of the bot's key/value state (no-op if it is not set)."""
    db.execute("DELETE FROM bot_state WHERE key = ?", (key,))


def accept_batch(
    db: sqlite_utils.Database, items: Iterable[InboxItem], next_token: str, now: datetime
) -> list[InboxItem]:
    """Queue new command events and advance the sync token in one transaction.

    Returns the items actually queued: events already answered or already
    waiting (a replayed or back-filled sync) are skipped.
    """
    queued = []
    with db.atomic():
        for item in items:
            if _known(db, item.event_id):
                continue
            db.execute(
                "INSERT INTO inbox (event_id, room_id, sender, body, origin_ts, received_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    item.event_id,
                    item.room_id,
                    item.sender,
                    item.body,
                    item.origin_ts,
                    to_stamp(now),
                ),
            )
            queued.append(item)
        set_state(db, SYNC_TOKEN, next_token)
    return queued


def _known(db: sqlite_utils.Database, event_id: str) -> bool:
    return bool(
        db.execute(
            "SELECT 1 FROM inbox WHERE event_id = ? UNION ALL"
            " SELECT 1 FROM handled_events WHERE event_id = ?",
            (event_id, event_id),
        ).fetchone()
    )


def pending(db: sqlite_utils.Database) -> list[InboxItem]:
    """Commands received before a stop and not answered yet, oldest first."""
    rows = db.execute(
        "SELECT event_id, room_id, sender, body, origin_ts FROM inbox ORDER BY origin_ts, rowid"
    ).fetchall()
    return [InboxItem(*row) for row in rows]


def mark_handled(
    db: sqlite_utils.Database, item: InboxItem, now: datetime, *, forgotten: bool = False
) -> None:
    """Move an answered command from the inbox to the handled list, with its sender.

    The sender is kept so that ``!oublie-moi`` finds the person's event ids. The
    command that forgot its sender (``forgotten``) only leaves the inbox: kept,
    its event id would point back to them, and answering it again is harmless.
    """
    with db.atomic():
        db.execute("DELETE FROM inbox WHERE event_id = ?", (item.event_id,))
        if forgotten:
            return
        db.execute(
            "INSERT OR IGNORE INTO handled_events (event_id, room_id, handled_at, sender)"
            " VALUES (?, ?, ?, ?)",
            (item.event_id, item.room_id, to_stamp(now), item.sender),
        )


def prune_handled(db: sqlite_utils.Database, now: datetime, keep: timedelta) -> int:
    """Forget handled event ids older than ``keep`` (a replay that old cannot happen)."""
    cursor = db.execute("DELETE FROM handled_events WHERE handled_at < ?", (to_stamp(now - keep),))
    return cursor.rowcount
