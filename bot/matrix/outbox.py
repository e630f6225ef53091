"""The outbox pump: queued messages sent in order, in the background, at the homeserver's pace.

Commands' notices to others, direct messages and scheduled runs are queued in
``storage/outbox.py`` with their transaction ids; the pump sends them in order
and keeps what cannot go yet. A direct message waits until its recipient has
joined the direct room. Nobody waits for the pump: a flush under way goes on
to what was queued meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from nio import RoomMemberEvent, SyncResponse

from bot.core.render import Message
from bot.matrix.lifecycle import HANDLED_RETENTION, PRUNE_EVERY, Chore, Lifecycle
from bot.matrix.rooms import Rooms
from bot.matrix.sender import Sender
from storage import outbox as outbox_store

if TYPE_CHECKING:
    import sqlite_utils

log = logging.getLogger(__name__)

FLUSH_RETRY_S = 60.0  # how often messages that could not go are tried again


@dataclass(eq=False)
class OutboxPump:
    """Sends the outbox when asked, after syncs that may let something go, and once a minute."""

    db: sqlite_utils.Database
    clock: Callable[[], datetime]
    sender: Sender
    rooms: Rooms
    lifecycle: Lifecycle
    _flushing: asyncio.Lock = field(init=False, default_factory=asyncio.Lock)
    _flusher: asyncio.Task | None = field(init=False, default=None)
    _flush_again: bool = field(init=False, default=False)
    # Recipients who have not joined their direct room.
    _dm_waiting: set[str] = field(init=False, default_factory=set)
    _flushed_at: float = field(init=False, default=0.0)
    _pruning: Chore = field(init=False)

    def __post_init__(self) -> None:
        self._pruning = Chore(self.clock, PRUNE_EVERY)

    async def flush(self) -> int:
        """Send queued messages in order; what cannot go yet stays queued.

        A direct message waits until its recipient has joined the direct room:
        room keys are shared with joined members only, so a message sent to an
        invited person could never be decrypted by them.
        """
        sent = 0
        async with self._flushing:
            # Recipients who have not joined are checked once, and their messages
            # are not even read: some wait for days.
            direct_rooms, waiting = {}, set()
            for user_id in outbox_store.waiting_recipients(self.db):
                room_id = await self._joined_direct_room(user_id)
                if room_id is None:
                    waiting.add(user_id)
                else:
                    direct_rooms[user_id] = room_id
            for message in outbox_store.unsent_messages(self.db, skip_recipients=waiting):
                if self.lifecycle.stopping:
                    break  # the rest goes after the restart, with the same transaction ids
                if message.dm_user:
                    room_id = direct_rooms.get(message.dm_user)
                else:
                    room_id = message.room_id or self.rooms.room_of(message.establishment_id)
                if room_id is None:
                    continue
                if message.filename:
                    event_id = await self.sender.send_file(
                        room_id,
                        message.filename,
                        outbox_store.file_data(self.db, message.id),
                        message.mimetype or "",
                        txn_id=message.txn_id,
                    )
                else:
                    rendered = Message(message.body, message.html, message.mentions)
                    event_id = await self.sender.send_message(
                        room_id, rendered, txn_id=message.txn_id
                    )
                if event_id is None:
                    break  # keep the order: retry from here next time
                outbox_store.mark_sent(self.db, message.id, event_id, self.clock())
                sent += 1
            if self._pruning.due():
                outbox_store.prune_sent(self.db, self.clock(), HANDLED_RETENTION)
            self._dm_waiting = waiting
            self._flushed_at = asyncio.get_running_loop().time()
        return sent

    async def _joined_direct_room(self, user_id: str) -> str | None:
        """The direct room with a user if they have joined it; otherwise invite and wait."""
        try:
            room_id = await self.rooms.direct_room(user_id)
            room = await self.rooms.with_state(room_id)
        except (RuntimeError, TimeoutError) as error:
            log.warning("direct message to %s kept for later: %s", user_id, error)
            return None
        joined = room is not None and user_id in room.users and user_id not in room.invited_users
        return room_id if joined else None

    def request_flush(self) -> None:
        """Have the outbox sent in the background; a flush under way goes on to new messages.

        Callers never wait for it: at the homeserver's pace a queue of
        newsletters takes minutes, and neither a command's answer nor the
        scheduler should be held up by it.
        """
        self._flush_again = True
        if not self._flush_running():
            self._flusher = asyncio.create_task(self._flush_until_done())
            self.lifecycle.track(self._flusher)

    def _flush_running(self) -> bool:
        return self._flusher is not None and not self._flusher.done()

    async def _flush_until_done(self) -> None:
        while self._flush_again and not self.lifecycle.stopping:
            self._flush_again = False
            try:
                sent = await self.flush()
            except Exception:
                log.exception("could not send the outbox; it stays queued")
                return
            # A full batch means more are queued behind it.
            self._flush_again |= sent >= outbox_store.UNSENT_BATCH

    def flush_if_sendable(self, resp: SyncResponse) -> None:
        """After a sync, send what waits if some of it may go now.

        A direct message waits for its recipient to join; reading the outbox at
        every sync for that (a sync returns at every message in any of hundreds
        of rooms) cost more than the rest of the sync. So: room messages left
        by a failed send, a waiting recipient who just joined, or once a minute.
        """
        if self._flush_running():
            return
        overdue = asyncio.get_running_loop().time() - self._flushed_at >= FLUSH_RETRY_S
        if (
            outbox_store.has_unsent(self.db, rooms_only=True)
            or self._waiting_recipient_joined(resp)
            or (overdue and outbox_store.has_unsent(self.db))
        ):
            self.request_flush()

    def _waiting_recipient_joined(self, resp: SyncResponse) -> bool:
        if not self._dm_waiting:
            return False
        for info in resp.rooms.join.values():
            for event in (*info.state, *info.timeline.events):
                if (
                    isinstance(event, RoomMemberEvent)
                    and event.membership == "join"
                    and event.state_key in self._dm_waiting
                ):
                    return True
        return False
