"""The sync loop: what the homeserver delivers, taken in so that no command is missed.

- Syncs with a raised timeline limit and pages back with ``/messages`` when a
  room's timeline is still ``limited``, so bursts and downtime hide no command.
- The first sync after start is immediate; on the very first start ever, the
  rooms' history is not answered.
- Each sync's commands go to the inbox with its token; the outbox is sent when
  the sync may let some of it go.
- Once the first sync is in, the bot joins its rooms, answers what a previous
  run left, starts the scheduler and tells its supervisor it is ready; every
  sync, even a failed one, feeds the watchdog.
- A served room the bot has just joined is greeted once, ever (``welcome``),
  and its members are read, then followed (``roster``).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import KW_ONLY, dataclass, field
from typing import TYPE_CHECKING

from nio import MessageDirection, RoomMessagesResponse, SyncError, SyncResponse

from bot.core.scheduler import Scheduler
from bot.matrix.inbox import Inbox
from bot.matrix.lifecycle import Lifecycle, Supervisor
from bot.matrix.outbox import OutboxPump
from bot.matrix.rooms import Rooms
from bot.matrix.roster import Roster
from bot.matrix.session import MAX_BACKOFF_S, BotClient, Session, exchange_keys
from bot.matrix.welcome import Welcome
from storage import inbox as inbox_store

if TYPE_CHECKING:
    import sqlite_utils

log = logging.getLogger(__name__)

SYNC_FILTER = {
    # Members are loaded lazily: with hundreds of rooms, full member lists made the
    # first sync slow, and nio fetches a room's members itself before its first
    # encrypted send (members_synced).
    "room": {"timeline": {"limit": 100}, "state": {"lazy_load_members": True}},
    "presence": {"not_types": ["*"]},
}


@dataclass(eq=False)
class SyncLoop:
    """Syncs until stopped and hands what arrives to the rooms, the inbox and the outbox."""

    db: sqlite_utils.Database
    _: KW_ONLY
    session: Session
    rooms: Rooms
    inbox: Inbox
    outbox: OutboxPump
    scheduler: Scheduler | None
    lifecycle: Lifecycle
    supervisor: Supervisor
    welcome: Welcome | None = None
    roster: Roster | None = None
    # Set once the first sync is taken in.
    ready: asyncio.Event = field(init=False, default_factory=asyncio.Event)

    async def run(self) -> None:
        """Sync until stopped; answer every command once."""
        client = self.session.client or await self.session.login()
        await self.rooms.resolve()
        token = inbox_store.get_state(self.db, inbox_store.SYNC_TOKEN)
        first_ever = token is None
        backoff = 1.0
        # nio keeps rooms in memory only. A full-state sync rebuilds them, but for
        # hundreds of rooms it was most of the start-up: after a restart on the
        # same device, the rooms are listed and their state loaded when needed.
        full_state = first_ever or not self.session.restored or not await self.rooms.restore()
        starting = True
        while not self.lifecycle.stopping:
            resp = await client.sync(
                timeout=0 if starting else 30_000,
                since=token,
                full_state=full_state,
                sync_filter=SYNC_FILTER,
            )
            # Any answer, even an error, shows the loop goes round: the watchdog is fed.
            self.supervisor.watchdog()
            if isinstance(resp, SyncError):
                self.session.raise_if_fatal(resp)
                log.warning("sync failed (%s), retrying in %.0f s", resp.message, backoff)
                await self.lifecycle.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)
                continue
            if not isinstance(resp, SyncResponse):
                continue
            if backoff > 1:
                log.info("homeserver answers syncs again")
            if isinstance(client, BotClient):
                client.note_reachable()
            backoff = 1.0
            await self._on_sync(resp, token, skip_timeline=first_ever)
            greeted = self.welcome.greet_new_rooms() if self.welcome else 0
            if greeted and not starting:
                self.outbox.request_flush()
            if self.roster:
                self.roster.read_new_rooms()
            if starting:
                await self.rooms.join_configured()
                self.inbox.answer_pending()
                # In the background: a caught-up run may open a direct room, and
                # that room only becomes usable once this loop syncs it.
                self.lifecycle.track(asyncio.create_task(self._start_scheduler()))
                self.ready.set()
                served = len(self.rooms.served)
                log.info("ready: serving %d room(s)", served)
                self.supervisor.ready(f"serving {served} room(s)")
            token, full_state, first_ever, starting = resp.next_batch, False, False, False
            await self.rooms.note_synced()
        await self.lifecycle.drain()

    async def _on_sync(self, resp: SyncResponse, since: str | None, skip_timeline: bool) -> None:
        await exchange_keys(self.session.client)
        await self.rooms.answer_invites(resp)
        items = []
        for room_id, info in resp.rooms.join.items():
            if skip_timeline:
                continue  # first ever start: history is not ours to answer
            served = room_id in self.rooms.served
            ours = served or self.rooms.is_academy(room_id)
            if not ours and not await self.rooms.is_private(room_id):
                continue
            events = list(info.timeline.events)
            if info.timeline.limited and since:
                events = await self._backfill(room_id, info.timeline.prev_batch, since) + events
            if served and self.roster:
                self.roster.follow(room_id, [*info.state, *events])
            if served:
                await self.inbox.notify_listeners(room_id, events)
            items += [item for event in events if (item := self.inbox.command_of(room_id, event))]
        for item in self.inbox.accept(items, resp.next_batch):
            self.inbox.spawn(item)
        if self.ready.is_set():
            self.outbox.flush_if_sendable(resp)

    async def _backfill(self, room_id: str, prev_batch: str | None, since: str) -> list:
        """Events between the previous sync and a limited timeline, oldest first."""
        collected, start = [], prev_batch
        for _ in range(50):  # at most 5,000 events: a bound, not an expectation
            resp = await self.session.client.room_messages(
                room_id, start=start, end=since, direction=MessageDirection.back, limit=100
            )
            if not isinstance(resp, RoomMessagesResponse) or not resp.chunk:
                break
            collected += resp.chunk
            if not resp.end or resp.end == start:
                break
            start = resp.end
        if collected:
            log.info("room %s: fetched %d events hidden by a limited sync", room_id, len(collected))
        return list(reversed(collected))

    async def _start_scheduler(self) -> None:
        try:
            self.outbox.request_flush()  # what a previous run queued and could not send
            if self.scheduler is not None:
                caught_up = await self.scheduler.catch_up()
                if caught_up:
                    log.info("caught up %d message(s) from runs missed while stopped", caught_up)
                self.scheduler.start()
        except Exception:
            log.exception("could not start the scheduler")
