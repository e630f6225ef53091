"""The outbox pump: queued messages sent in order, in the background, at the account's pace.

Commands' notices to others, direct messages and scheduled runs are queued in
``storage/outbox.py`` with their transaction ids; the pump sends them and keeps
what cannot go yet. Order is kept per destination (a room, or a person's direct
room), not across the académie: one room that refuses the bot holds up no other.

- What a command queued for others (a promotion from the waiting list, an
  export by direct message) goes first, in the answers' lane of ``Pacing``;
  scheduled messages (a job's, told by their ``rupn-job-`` transaction id, and
  the welcome) follow, each in its slot at ``[bot] messages_per_second``. A
  flush that is sending the Friday newsletters goes back to the commands'
  messages as soon as something new is queued: a notice a teacher's command
  owes to a colleague never waits for the end of the pass. Order is kept per
  destination within each of the two.

- A message refused for good (``bot.matrix.failures``: the bot kicked or muted,
  the room gone, a file too large) is marked failed with why, logged once, and
  the next ones go on, to that room too: once the bot may speak there again,
  new messages go out.
- A message that may go later (a 5xx, no answer) holds its destination back,
  with an exponential wait per destination (5 s doubling to 5 min), kept in
  memory; the pump wakes itself when the earliest wait ends (a quiet
  académie has no sync to wake it), and other destinations go on meanwhile.
  A 429 holds everyone: the rate limit is the account's (``Pacing`` in ``sender``).
- A direct message waits until its recipient has joined the direct room.
- A scheduled message queued in quiet hours waits until its ``not_before``.

Nobody waits for the pump: a flush under way goes on to what was queued meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING

from nio import RoomMemberEvent, SyncResponse

from bot.core.render import Message
from bot.core.scheduler import JOB_TXN_PREFIX
from bot.matrix.failures import SendFailure
from bot.matrix.lifecycle import HANDLED_RETENTION, PRUNE_EVERY, Chore, Lifecycle
from bot.matrix.rooms import Rooms
from bot.matrix.sender import Sender
from bot.matrix.welcome import WELCOME_TXN_PREFIX
from storage import outbox as outbox_store

if TYPE_CHECKING:
    import sqlite_utils

log = logging.getLogger(__name__)

FLUSH_RETRY_S = 60.0  # how often what waits is read again when nothing else asks
FIRST_WAIT_S = 5.0  # a destination's first wait after a failure that may pass
LONGEST_WAIT_S = 300.0  # the longest a destination waits between two tries
# Messages nobody is waiting for: a job's (newsletters, reminders, digests) and the
# welcome. The rest (what a command queued for others) answers someone's command.
SCHEDULED_TXN_PREFIXES = (JOB_TXN_PREFIX, WELCOME_TXN_PREFIX)


class Sent(Enum):
    """What became of one message the pump tried."""

    SENT = "sent"
    FAILED = "failed"  # refused for good: set aside
    LATER = "later"  # may go later: its destination waits


@dataclass(eq=False)
class Backoff:
    """Destinations whose last try failed for a reason that may pass, and when to try again."""

    first: float = FIRST_WAIT_S
    longest: float = LONGEST_WAIT_S
    clock: Callable[[], float] = time.monotonic
    _failures: dict[str, int] = field(init=False, default_factory=dict)
    _until: dict[str, float] = field(init=False, default_factory=dict)

    def waiting(self, destination: str) -> bool:
        """Whether the destination must not be tried yet."""
        return self._until.get(destination, 0.0) > self.clock()

    def failed(self, destination: str) -> float:
        """Note one more failure; the wait before the next try (doubling, bounded)."""
        count = self._failures.get(destination, 0) + 1
        self._failures[destination] = count
        wait = min(self.first * 2 ** min(count - 1, 20), self.longest)
        self._until[destination] = self.clock() + wait
        return wait

    def succeeded(self, destination: str) -> None:
        """The destination takes messages again: no more waiting."""
        self._failures.pop(destination, None)
        self._until.pop(destination, None)

    def keep_only(self, destinations: set[str]) -> None:
        """Forget destinations that have nothing left to send."""
        for destination in set(self._failures) - destinations:
            self.succeeded(destination)

    def due(self) -> bool:
        """Whether some destination's wait is over (its messages may be tried again)."""
        now = self.clock()
        return any(until <= now for until in self._until.values())

    def next_try_in(self) -> float | None:
        """Seconds until the earliest wait ends (0 if one is over); None if none waits."""
        if not self._until:
            return None
        return min(max(min(self._until.values()) - self.clock(), 0.0), self.longest)


@dataclass(eq=False)
class OutboxPump:
    """Sends the outbox when asked, after syncs that may let something go, and once a minute."""

    db: sqlite_utils.Database
    clock: Callable[[], datetime]
    sender: Sender
    rooms: Rooms
    lifecycle: Lifecycle
    backoff: Backoff = field(default_factory=Backoff)
    _flushing: asyncio.Lock = field(init=False, default_factory=asyncio.Lock)
    _flusher: asyncio.Task | None = field(init=False, default=None)
    _flush_again: bool = field(init=False, default=False)
    # Something was queued since this flush began: a command's notices may wait.
    _queued_meanwhile: bool = field(init=False, default=False)
    # Recipients who have not joined their direct room.
    _dm_waiting: set[str] = field(init=False, default_factory=set)
    _flushed_at: float = field(init=False, default=0.0)
    _pruning: Chore = field(init=False)
    _wake_up: asyncio.TimerHandle | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self._pruning = Chore(self.clock, PRUNE_EVERY)

    async def flush(self) -> int:
        """Send waiting messages, each destination in order; returns how many went.

        A direct message waits until its recipient has joined the direct room:
        room keys are shared with joined members only, so a message sent to an
        invited person could never be decrypted by them.
        """
        sent = 0
        async with self._flushing:
            # Recipients who have not joined are checked once, and their messages
            # are not even read: some wait for days.
            direct_rooms, waiting = {}, set()
            for user_id in outbox_store.waiting_recipients(self.db, self.clock()):
                room_id = await self._joined_direct_room(user_id)
                if room_id is None:
                    waiting.add(user_id)
                    # Opening sixty direct rooms takes a while: one of them joining
                    # meanwhile must ask for another pass, not wait for the minute.
                    self._dm_waiting.add(user_id)
                else:
                    direct_rooms[user_id] = room_id
            self._queued_meanwhile = False
            held: set[str] = set()  # destinations with a message left behind: order first
            pending: set[str] = set()  # destinations with something still to send
            complete = True
            for scheduled in (False, True):
                after = 0
                while batch := outbox_store.unsent_messages(
                    self.db,
                    after_id=after,
                    skip_recipients=waiting,
                    now=self.clock(),
                    txn_prefixes=SCHEDULED_TXN_PREFIXES,
                    prefixed=scheduled,
                ):
                    for message in batch:
                        if self.lifecycle.stopping:
                            break  # the rest goes after the restart, with the same transaction ids
                        if scheduled and self._queued_meanwhile:
                            # A command may have queued notices: they go before the next one.
                            complete = False
                            break
                        destination = self._destination(message, direct_rooms)
                        if destination is None:
                            continue  # its room is not resolved: left for a later flush
                        key, room_id = destination
                        if key in held or self.backoff.waiting(key):
                            held.add(key)
                            pending.add(key)
                            continue
                        outcome = await self._send(message, key, room_id, scheduled=scheduled)
                        if outcome is Sent.SENT:
                            sent += 1
                        elif outcome is Sent.LATER:
                            held.add(key)
                            pending.add(key)
                    after = batch[-1].id
                    if (
                        self.lifecycle.stopping
                        or not complete
                        or len(batch) < outbox_store.UNSENT_BATCH
                    ):
                        break
            if complete:
                # Only a whole pass knows which destinations still have something to send.
                self.backoff.keep_only(pending)
            if self._pruning.due():
                outbox_store.prune_sent(self.db, self.clock(), HANDLED_RETENTION)
            self._dm_waiting = waiting
            self._flushed_at = asyncio.get_running_loop().time()
            self._wake_up_after_waits()
        return sent

    def _wake_up_after_waits(self) -> None:
        """Have the pump try again when the earliest destination's wait ends.

        One timer at a time, replaced after every flush; the wait is bounded
        by the longest backoff, so a destination is never forgotten.
        """
        if self._wake_up is not None:
            self._wake_up.cancel()
            self._wake_up = None
        delay = self.backoff.next_try_in()
        if delay is None or self.lifecycle.stopping:
            return
        self._wake_up = asyncio.get_running_loop().call_later(delay, self._woken)

    def _woken(self) -> None:
        self._wake_up = None
        if not self.lifecycle.stopping:
            self.request_flush()

    def _destination(self, message, direct_rooms: dict[str, str]) -> tuple[str, str] | None:
        """Whom a message goes to (its order is kept with theirs) and the room it goes in."""
        if message.dm_user:
            room_id = direct_rooms.get(message.dm_user)
            return (message.dm_user, room_id) if room_id else None
        room_id = message.room_id or self.rooms.room_of(message.establishment_id)
        return (room_id, room_id) if room_id else None

    async def _send(
        self, message: outbox_store.OutgoingMessage, key: str, room_id: str, *, scheduled: bool
    ) -> Sent:
        """Send one message in its lane; a failure marks it failed or holds its destination."""
        try:
            if message.filename:
                event_id = await self.sender.deliver_file(
                    room_id,
                    message.filename,
                    outbox_store.file_data(self.db, message.id),
                    message.mimetype or "",
                    txn_id=message.txn_id,
                    scheduled=scheduled,
                )
            else:
                rendered = Message(message.body, message.html, message.mentions)
                event_id = await self.sender.deliver_message(
                    room_id,
                    rendered,
                    txn_id=message.txn_id,
                    alert=message.alert,
                    scheduled=scheduled,
                )
        except SendFailure as failure:
            if failure.permanent:
                outbox_store.mark_failed(
                    self.db, message.id, failure.code, failure.reason, self.clock()
                )
                log.error(
                    "%s: message %d to %s failed for good, set aside: %s",
                    message.establishment_id,
                    message.id,
                    room_id,
                    failure,
                    extra={"establishment": message.establishment_id},
                )
                return Sent.FAILED
            wait = self.backoff.failed(key)
            log.warning(
                "%s: message %d to %s kept for later (%s); that room waits %.0f s, others go on",
                message.establishment_id,
                message.id,
                room_id,
                failure,
                wait,
                extra={"establishment": message.establishment_id},
            )
            return Sent.LATER
        self.backoff.succeeded(key)
        outbox_store.mark_sent(self.db, message.id, event_id, self.clock())
        return Sent.SENT

    async def _joined_direct_room(self, user_id: str) -> str | None:
        """The direct room with a user if they have joined it; otherwise invite and wait."""
        try:
            room_id = await self.rooms.direct_room(user_id)
            room = await self.rooms.with_state(room_id)
        except (RuntimeError, TimeoutError) as error:
            log.warning("direct message to %s kept for later: %s", user_id, error)
            return None
        if not outbox_store.has_waiting_for(self.db, user_id):
            # Forgotten (!oublie-moi) while their room was being opened: the room
            # noted meanwhile would point back to them, so it is not kept.
            self.rooms.forget_direct_room(user_id, room_id)
            return None
        joined = room is not None and user_id in room.users and user_id not in room.invited_users
        return room_id if joined else None

    def request_flush(self) -> None:
        """Have the outbox sent in the background; a flush under way goes on to new messages.

        Callers never wait for it: at the account's pace a queue of
        newsletters takes minutes, and neither a command's answer nor the
        scheduler should be held up by it.
        """
        self._flush_again = True
        self._queued_meanwhile = True
        if not self._flush_running():
            self._flusher = asyncio.create_task(self._flush_until_done())
            self.lifecycle.track(self._flusher)

    def _flush_running(self) -> bool:
        return self._flusher is not None and not self._flusher.done()

    async def _flush_until_done(self) -> None:
        while self._flush_again and not self.lifecycle.stopping:
            self._flush_again = False
            try:
                await self.flush()
            except Exception:
                log.exception("could not send the outbox; it stays queued")
                return

    def flush_if_sendable(self, resp: SyncResponse) -> None:
        """After a sync, send what waits if some of it may go now.

        A direct message waits for its recipient to join; reading the outbox at
        every sync for that (a sync returns at every message in any of hundreds
        of rooms) cost more than the rest of the sync. So: a destination whose
        wait after a failure is over, a waiting recipient who just joined, or
        once a minute.
        """
        if self._waiting_recipient_joined(resp):
            self.request_flush()  # during a flush: one more pass once it is done
            return
        if self._flush_running():
            return
        overdue = asyncio.get_running_loop().time() - self._flushed_at >= FLUSH_RETRY_S
        if self.backoff.due() or (overdue and outbox_store.has_unsent(self.db, self.clock())):
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
