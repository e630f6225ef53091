"""The outbox: messages queued with the change that causes them, sent after the commit.

Commands and jobs queue here inside their transaction; the Matrix side sends
what is queued with the message's own transaction id, so a resend after a crash
is dropped by the homeserver.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlite_utils

from storage.stamps import to_stamp


@dataclass(frozen=True)
class OutgoingMessage:
    """A queued message: to a room, or to a user's direct room."""

    id: int
    establishment_id: str | None
    room_id: str | None
    dm_user: str | None
    body: str
    html: str
    mentions: tuple[str, ...]
    txn_id: str
    filename: str | None = None
    mimetype: str | None = None


def queue_message(
    db: sqlite_utils.Database,
    *,
    establishment_id: str | None,
    body: str,
    html: str,
    mentions: tuple[str, ...],
    txn_id: str,
    now: datetime,
    room_id: str | None = None,
    dm_user: str | None = None,
    file: tuple[str, str, bytes] | None = None,
) -> None:
    """Queue a message; a second queueing with the same txn_id is ignored.

    It goes to ``room_id``, or to ``dm_user``'s direct room, or (neither given)
    to the establishment's room. ``file`` (name, mimetype, bytes) makes it an
    upload, with ``body`` as its caption.
    """
    filename, mimetype, data = file or (None, None, None)
    db.execute(
        "INSERT OR IGNORE INTO outbox (establishment_id, room_id, dm_user, body, html, mentions,"
        " txn_id, filename, mimetype, data, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            establishment_id,
            room_id,
            dm_user,
            body,
            html,
            json.dumps(list(mentions)),
            txn_id,
            filename,
            mimetype,
            data,
            to_stamp(now),
        ),
    )


# Messages read from the outbox at a time; the sender comes back for the next batch.
UNSENT_BATCH = 500


def unsent_messages(
    db: sqlite_utils.Database,
    limit: int = UNSENT_BATCH,
    *,
    skip_recipients: Collection[str] = (),
) -> list[OutgoingMessage]:
    """Queued messages not sent yet, oldest first; files without their bytes (``file_data``).

    Direct messages can wait long for their recipient, and the outbox is read
    after every command that queues something: those of ``skip_recipients``
    (who have not joined their direct room) are left unread, and so are the
    bytes of files.
    """
    skipped = list(skip_recipients)
    marks = ", ".join("?" * len(skipped))
    rows = db.execute(
        "SELECT id, establishment_id, room_id, dm_user, body, html, mentions, txn_id, filename,"
        " mimetype FROM outbox WHERE sent_at IS NULL"
        + (f" AND (dm_user IS NULL OR dm_user NOT IN ({marks}))" if skipped else "")
        + " ORDER BY id LIMIT ?",
        (*skipped, limit),
    ).fetchall()
    return [OutgoingMessage(*row[:6], tuple(json.loads(row[6])), *row[7:]) for row in rows]


def waiting_recipients(db: sqlite_utils.Database) -> list[str]:
    """People with direct messages not sent yet, in the order of their first one."""
    rows = db.execute(
        "SELECT dm_user FROM outbox WHERE sent_at IS NULL AND dm_user IS NOT NULL"
        " GROUP BY dm_user ORDER BY min(id)"
    ).fetchall()
    return [row[0] for row in rows]


def file_data(db: sqlite_utils.Database, message_id: int) -> bytes:
    """The bytes of a queued file."""
    row = db.execute("SELECT data FROM outbox WHERE id = ?", (message_id,)).fetchone()
    return (row[0] if row else None) or b""


def mark_sent(db: sqlite_utils.Database, message_id: int, event_id: str, now: datetime) -> None:
    """Note that a queued message reached the homeserver."""
    db.execute(
        "UPDATE outbox SET sent_at = ?, event_id = ?, data = NULL WHERE id = ?",
        (to_stamp(now), event_id, message_id),
    )


def prune_sent(db: sqlite_utils.Database, now: datetime, keep: timedelta) -> int:
    """Forget sent messages older than ``keep`` (they hold mentions: personal data)."""
    cursor = db.execute(
        "DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at < ?", (to_stamp(now - keep),)
    )
    return cursor.rowcount


def has_unsent(db: sqlite_utils.Database, *, rooms_only: bool = False) -> bool:
    """Whether any queued message still waits to be sent (to a room, with ``rooms_only``)."""
    where = "sent_at IS NULL" + (" AND dm_user IS NULL" if rooms_only else "")
    return db.execute(f"SELECT 1 FROM outbox WHERE {where} LIMIT 1").fetchone() is not None
