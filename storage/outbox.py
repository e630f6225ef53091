"""The outbox: messages queued with the change that causes them, sent after the commit.

Commands and jobs queue here inside their transaction; the Matrix side sends
what is queued with the message's own transaction id, so a resend after a crash
is dropped by the homeserver. A message is waiting, then sent or failed (the
homeserver refused it for good); sent and failed ones are kept for a while and
then forgotten.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlite_utils

from storage.stamps import from_stamp, to_stamp

# Neither sent nor refused for good: what still waits to be sent.
WAITING = "sent_at IS NULL AND failed_at IS NULL"


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
    # Meant to alert someone: sent so that it rings (see ``queue_message``).
    alert: bool = False


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
    slot: str | None = None,
    alert: bool = False,
    not_before: datetime | None = None,
) -> None:
    """Queue a message; a second queueing with the same txn_id is ignored.

    It goes to ``room_id``, or to ``dm_user``'s direct room, or (neither given)
    to the establishment's room. ``file`` (name, mimetype, bytes) makes it an
    upload, with ``body`` as its caption. A message in a ``slot`` replaces the
    one still waiting in that slot for the same person: what someone asks again
    and again while away (their data export) waits once, the latest. An ``alert``
    (a reminder, a promotion, a closed slot) is sent so that the people it
    mentions are notified; every direct message the bot starts is one. A
    message ``not_before`` an instant (quiet hours) is not sent before it.
    """
    filename, mimetype, data = file or (None, None, None)
    if slot is not None:
        db.execute(
            f"DELETE FROM outbox WHERE dm_user IS ? AND slot = ? AND {WAITING}", (dm_user, slot)
        )
    db.execute(
        "INSERT OR IGNORE INTO outbox (establishment_id, room_id, dm_user, body, html, mentions,"
        " txn_id, filename, mimetype, data, created_at, slot, alert, not_before)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
            slot,
            int(alert or dm_user is not None),
            to_stamp(not_before) if not_before else None,
        ),
    )


# Messages read from the outbox at a time; the sender comes back for the next batch.
UNSENT_BATCH = 500


def unsent_messages(
    db: sqlite_utils.Database,
    limit: int = UNSENT_BATCH,
    *,
    after_id: int = 0,
    skip_recipients: Collection[str] = (),
    now: datetime | None = None,
    txn_prefixes: Collection[str] = (),
    prefixed: bool = True,
) -> list[OutgoingMessage]:
    """Waiting messages, oldest first, from after ``after_id``; files without their bytes.

    Direct messages can wait long for their recipient, and the outbox is read
    after every command that queues something: those of ``skip_recipients``
    (who have not joined their direct room) are left unread, and so are the
    bytes of files (``file_data``). The next batch starts after the last id of
    this one, so messages left waiting are not read again in the same pass.
    Given ``now``, messages held until later (quiet hours) are left too.
    Given ``txn_prefixes``, only messages whose transaction id starts with one
    of them are read (with ``prefixed=False``, only those whose id starts with none).
    """
    # One JSON list rather than one parameter each: the statement stays the same (and
    # prepared) whatever the number of people who have not joined yet, and has no
    # limit on it.
    skipped = [json.dumps(list(skip_recipients))] if skip_recipients else []
    due, due_values = _due(now)
    prefixes = list(txn_prefixes)
    starts = " OR ".join("instr(txn_id, ?) = 1" for _ in prefixes)
    rows = db.execute(
        "SELECT id, establishment_id, room_id, dm_user, body, html, mentions, txn_id, filename,"
        f" mimetype, alert FROM outbox WHERE {WAITING} AND id > ?"
        + (
            " AND (dm_user IS NULL OR dm_user NOT IN (SELECT value FROM json_each(?)))"
            if skipped
            else ""
        )
        + due
        + (f" AND {'' if prefixed else 'NOT '}({starts})" if prefixes else "")
        + " ORDER BY id LIMIT ?",
        (after_id, *skipped, *due_values, *prefixes, limit),
    ).fetchall()
    return [
        OutgoingMessage(*row[:6], tuple(json.loads(row[6])), *row[7:10], alert=bool(row[10]))
        for row in rows
    ]


def _due(now: datetime | None) -> tuple[str, tuple]:
    """The condition (and its value) leaving out messages held past ``now``."""
    if now is None:
        return "", ()
    return " AND (not_before IS NULL OR not_before <= ?)", (to_stamp(now),)


def waiting_recipients(db: sqlite_utils.Database, now: datetime | None = None) -> list[str]:
    """People with direct messages not sent yet (due by ``now`` if given), first one first."""
    due, values = _due(now)
    rows = db.execute(
        f"SELECT dm_user FROM outbox WHERE {WAITING} AND dm_user IS NOT NULL{due}"
        " GROUP BY dm_user ORDER BY min(id)",
        values,
    ).fetchall()
    return [row[0] for row in rows]


def has_waiting_for(db: sqlite_utils.Database, user_id: str) -> bool:
    """Whether a direct message to ``user_id`` still waits (none once they are forgotten)."""
    row = db.execute(
        f"SELECT 1 FROM outbox WHERE {WAITING} AND dm_user = ? LIMIT 1", (user_id,)
    ).fetchone()
    return row is not None


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


def mark_failed(
    db: sqlite_utils.Database, message_id: int, code: str, reason: str, now: datetime
) -> None:
    """Note that the homeserver refused a message for good; a file's bytes are dropped."""
    db.execute(
        "UPDATE outbox SET failed_at = ?, failure_code = ?, failure = ?, data = NULL WHERE id = ?",
        (to_stamp(now), code, reason, message_id),
    )


def prune_sent(db: sqlite_utils.Database, now: datetime, keep: timedelta) -> int:
    """Forget sent and failed messages older than ``keep`` (they hold mentions: personal data)."""
    before = to_stamp(now - keep)
    sent = db.execute("DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at < ?", (before,))
    failed = db.execute(
        "DELETE FROM outbox WHERE failed_at IS NOT NULL AND failed_at < ?", (before,)
    )
    return sent.rowcount + failed.rowcount


def has_unsent(db: sqlite_utils.Database, now: datetime | None = None) -> bool:
    """Whether any queued message still waits to be sent (and may go by ``now`` if given)."""
    due, values = _due(now)
    return (
        db.execute(f"SELECT 1 FROM outbox WHERE {WAITING}{due} LIMIT 1", values).fetchone()
        is not None
    )


def count_waiting(db: sqlite_utils.Database) -> int:
    """How many messages wait to be sent."""
    return db.execute(f"SELECT count(*) FROM outbox WHERE {WAITING}").fetchone()[0]


@dataclass(frozen=True)
class Failures:
    """The messages of an establishment the homeserver refused for good, and the last one."""

    establishment_id: str | None
    count: int
    last_at: datetime
    last_code: str
    last_reason: str
    room_id: str | None  # where the last one went: a room, the establishment's room (None)…
    dm_user: str | None  # …or someone's direct room (personal data)


def failures(db: sqlite_utils.Database, establishment_id: str | None = None) -> list[Failures]:
    """Failed messages still kept, counted by establishment, with the latest of each."""
    # The bare columns come from the row holding max(id), the latest failure (SQLite).
    rows = db.execute(
        "SELECT establishment_id, count(*), max(id), failed_at, failure_code, failure, room_id,"
        " dm_user FROM outbox WHERE failed_at IS NOT NULL"
        + (" AND establishment_id = ?" if establishment_id else "")
        + " GROUP BY establishment_id ORDER BY establishment_id",
        (establishment_id,) if establishment_id else (),
    ).fetchall()
    return [
        Failures(eid, count, from_stamp(at), code or "", reason or "", room_id, dm_user)
        for eid, count, _, at, code, reason, room_id, dm_user in rows
    ]
