"""The Matrix side of the bot, on matrix-nio with end-to-end encryption.

- Syncs with a raised timeline limit and pages back with ``/messages`` when a
  room's timeline is still ``limited``, so bursts and downtime hide no command.
- New commands and the sync token that delivered them are stored together
  (storage/inbox.py); each command is answered and then marked handled. After
  a crash the inbox is answered on start, once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from nio import (
    AsyncClient,
    MegolmEvent,
    MessageDirection,
    RoomMessagesResponse,
    RoomMessageText,
    SyncError,
    SyncResponse,
)

from bot.core.config import Config
from bot.core.context import Context
from bot.core.dispatcher import Dispatcher, Outcome
from bot.core.registry import Registry
from bot.core.render import Renderer
from bot.core.roles import role_of
from bot.matrix.lifecycle import (
    HANDLED_RETENTION,
    PRUNE_EVERY,
    Chore,
    Lifecycle,
    Supervisor,
    Unsupervised,
)
from bot.matrix.outbox import OutboxPump
from bot.matrix.rooms import Rooms
from bot.matrix.sender import Pacing, Sender
from bot.matrix.session import MAX_BACKOFF_S, BotClient, Session, exchange_keys
from bot.toolkit.clock import utc_now
from storage import establishments as establishment_store
from storage import inbox

log = logging.getLogger(__name__)

SYNC_FILTER = {
    # Members are loaded lazily: with hundreds of rooms, full member lists made the
    # first sync slow, and nio fetches a room's members itself before its first
    # encrypted send (members_synced).
    "room": {"timeline": {"limit": 100}, "state": {"lazy_load_members": True}},
    "presence": {"not_types": ["*"]},
}


class MatrixBot:
    """One process serving every configured establishment's room."""

    def __init__(
        self,
        config: Config,
        db,
        registry: Registry,
        renderer: Renderer,
        clock: Callable[[], datetime] = utc_now,
        notifier: Supervisor | None = None,
    ) -> None:
        self.config = config
        self.notifier = notifier or Unsupervised()  # systemd's readiness and watchdog
        self.db = db
        self.registry = registry
        self.dispatcher = Dispatcher(registry)
        self.renderer = renderer
        self.clock = clock
        self.lifecycle = Lifecycle()
        pacing = Pacing()
        self.session = Session(
            config.matrix, alive=self.notifier.watchdog, on_error=pacing.on_error_response
        )
        self.rooms = Rooms(config, db, self.session)
        self.sender = Sender(self.session, self.rooms, pacing)
        self.outbox = OutboxPump(db, clock, self.sender, self.rooms, self.lifecycle)
        self._lanes: dict[tuple[str, str], asyncio.Lock] = {}
        self.ready = asyncio.Event()
        self.scheduler = None  # set by bot.app; started once the first sync is done
        self._pruning_handled = Chore(clock, PRUNE_EVERY)

    @property
    def client(self) -> AsyncClient | None:
        """The session's nio client, once logged in."""
        return self.session.client

    async def login(self) -> AsyncClient:
        """Restore the stored device, or log in once and store it."""
        return await self.session.login()

    # -- main loop --------------------------------------------------------------

    async def run(self) -> None:
        """Sync until stopped; answer every command once."""
        client = self.client or await self.login()
        await self.rooms.resolve()
        token = inbox.get_state(self.db, inbox.SYNC_TOKEN)
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
            self.notifier.watchdog()
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
            if starting:
                await self.rooms.join_configured()
                self._answer_pending()
                # In the background: a caught-up run may open a direct room, and
                # that room only becomes usable once this loop syncs it.
                self.lifecycle.track(asyncio.create_task(self._start_scheduler()))
                self.ready.set()
                log.info("ready: serving %d room(s)", len(self.rooms.served))
                self.notifier.ready(f"serving {len(self.rooms.served)} room(s)")
            token, full_state, first_ever, starting = resp.next_batch, False, False, False
            await self.rooms.note_synced()
        await self.drain()

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

    def stop(self) -> None:
        """Ask the loop to finish after the current sync."""
        self.lifecycle.stop()

    async def drain(self) -> None:
        """Wait for commands being answered."""
        await self.lifecycle.drain()

    async def close(self) -> None:
        """Finish in-flight answers and close the HTTP session."""
        if self.scheduler is not None:
            self.scheduler.shutdown()
        await self.drain()
        await self.session.close()

    async def _on_sync(self, resp: SyncResponse, since: str | None, skip_timeline: bool) -> None:
        await self._exchange_keys()
        await self.rooms.answer_invites(resp)
        items = []
        for room_id, info in resp.rooms.join.items():
            if room_id not in self.rooms.served or skip_timeline:
                continue  # first ever start: history is not ours to answer
            events = list(info.timeline.events)
            if info.timeline.limited and since:
                events = await self._backfill(room_id, info.timeline.prev_batch, since) + events
            await self._notify_listeners(room_id, events)
            items += [item for event in events if (item := self._as_command(room_id, event))]
        for item in self.accept_commands(items, resp.next_batch):
            self._spawn(item)
        if self.ready.is_set():
            self.outbox.flush_if_sendable(resp)

    async def _notify_listeners(self, room_id: str, events: list) -> None:
        listeners = self.registry.listeners
        for event in events:
            source = getattr(event, "source", None) or {}
            for item in listeners.get(source.get("type", ""), ()):
                ctx = self._context(room_id, event.sender, event.event_id, self.clock())
                try:
                    await item.handler(ctx, source)
                except Exception:
                    log.exception("listener for %s failed on %s", source["type"], event.event_id)

    def _context(self, room_id: str, sender: str, event_id: str, now: datetime) -> Context:
        establishment = self.rooms.served[room_id]
        return Context(
            sender=sender,
            role=role_of(establishment, self.config, sender),
            establishment=establishment,
            room_id=room_id,
            event_id=event_id,
            now=now.astimezone(establishment.tz),
            db=self.db,
            config=self.config,
            renderer=self.renderer,
            messenger=self.sender,
            registry=self.registry,
        )

    async def _exchange_keys(self) -> None:
        await exchange_keys(self.client)

    async def _backfill(self, room_id: str, prev_batch: str | None, since: str) -> list:
        """Events between the previous sync and a limited timeline, oldest first."""
        collected, start = [], prev_batch
        for _ in range(50):  # at most 5,000 events: a bound, not an expectation
            resp = await self.client.room_messages(
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

    def _as_command(self, room_id: str, event) -> inbox.InboxItem | None:
        if isinstance(event, MegolmEvent):
            log.warning("cannot decrypt event %s in %s (no room key)", event.event_id, room_id)
            return None
        if not isinstance(event, RoomMessageText) or event.sender == self.client.user_id:
            return None
        relation = event.source.get("content", {}).get("m.relates_to") or {}
        if relation.get("rel_type") == "m.replace":
            return None  # an edit of an earlier message is not a new command
        body = event.body or ""
        if not body.lstrip().startswith(self.config.bot.prefix):
            return None
        return inbox.InboxItem(event.event_id, room_id, event.sender, body, event.server_timestamp)

    def _answer_pending(self) -> None:
        for item in inbox.pending(self.db):
            self._spawn(item)

    def _spawn(self, item: inbox.InboxItem) -> None:
        self.lifecycle.track(asyncio.create_task(self._answer(item)))

    async def _answer(self, item: inbox.InboxItem) -> None:
        # Commands of one sender in one room run in order (ouvrir, then réserver);
        # everyone else's run beside them.
        lane = self._lanes.setdefault((item.room_id, item.sender), asyncio.Lock())
        async with lane:
            establishment = self.rooms.served.get(item.room_id)
            if establishment is None:
                inbox.mark_handled(self.db, item, self.clock())
                return
            now = self.clock()
            ctx = self._context(item.room_id, item.sender, item.event_id, now)
            role = ctx.role
            try:
                outcome = await self.dispatcher.handle(ctx, item.body)
                remember = ctx.command is None or ctx.command.remember_sender
                if outcome is not Outcome.IGNORED and remember:
                    self._remember_member(establishment, item, role, now)
            except Exception:
                log.exception("could not answer %s in %s", item.event_id, item.room_id)
            inbox.mark_handled(self.db, item, self.clock())
        if ctx.sent:
            self.outbox.request_flush()

    def _remember_member(self, establishment, item, role, now) -> None:
        room = self.client.rooms.get(item.room_id)
        name = room.user_name(item.sender) if room else None
        stored_role = role.value if role.value != "admin" else "teacher"
        establishment_store.record_member(
            self.db, establishment.id, item.sender, stored_role, now, display_name=name
        )

    def accept_commands(self, items: list[inbox.InboxItem], next_batch: str):
        """Store a sync's commands with its token in one transaction; those new to answer.

        Handled event ids older than the retention are forgotten once an hour.
        """
        accepted = inbox.accept_batch(self.db, items, next_batch, self.clock())
        if self._pruning_handled.due():
            inbox.prune_handled(self.db, self.clock(), HANDLED_RETENTION)
        return accepted
