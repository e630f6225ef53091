"""Reactions the bot acts on (👍 supports a need, ✅ says a survey is answered).

A reaction counts once: its event id is stored with what it did, so a sync
delivered again after a restart changes nothing, and removing the reaction
(its redaction) undoes it once. ``sender`` is personal data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlite_utils

from storage.stamps import to_stamp


@dataclass(frozen=True)
class CountedReaction:
    """A reaction that was acted on: who, on which item, for what purpose."""

    event_id: str
    sender: str
    target_event_id: str
    purpose: str
    item_id: int


def count_reaction(
    db: sqlite_utils.Database,
    *,
    event_id: str,
    room_id: str,
    sender: str,
    target_event_id: str,
    purpose: str,
    item_id: int,
    now: datetime,
) -> bool:
    """Record a reaction as acted on; False if it already was (a replayed sync)."""
    cursor = db.execute(
        "INSERT OR IGNORE INTO counted_reactions (event_id, room_id, sender, target_event_id,"
        " purpose, item_id, counted_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (event_id, room_id, sender, target_event_id, purpose, item_id, to_stamp(now)),
    )
    return cursor.rowcount == 1


def withdraw_reaction(
    db: sqlite_utils.Database, event_id: str, purpose: str, sender: str, now: datetime
) -> CountedReaction | None:
    """Mark a counted reaction withdrawn; what it was, or None if there is nothing to undo.

    Only the reaction's own sender withdraws it (a moderator's redaction of
    someone's reaction does not speak for them).
    """
    row = db.execute(
        "SELECT event_id, sender, target_event_id, purpose, item_id FROM counted_reactions"
        " WHERE event_id = ? AND purpose = ? AND sender = ? AND withdrawn_at IS NULL",
        (event_id, purpose, sender),
    ).fetchone()
    if row is None:
        return None
    db.execute(
        "UPDATE counted_reactions SET withdrawn_at = ? WHERE event_id = ?",
        (to_stamp(now), event_id),
    )
    return CountedReaction(*row)


def sent_transaction(db: sqlite_utils.Database, event_id: str) -> tuple[str | None, str] | None:
    """The establishment and transaction id of the outbox message sent as ``event_id``.

    A scheduled message's transaction id names the job run that sent it (a
    survey reminder's names the survey): a reaction to it is read through it.
    """
    row = db.execute(
        "SELECT establishment_id, txn_id FROM outbox WHERE event_id = ?", (event_id,)
    ).fetchone()
    return (row[0], row[1]) if row else None
