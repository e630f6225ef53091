"""The Matrix side of the bot, on matrix-nio with end-to-end encryption.

- Syncs with a raised timeline limit and pages back with ``/messages`` when a
  room's timeline is still ``limited``, so bursts and downtime hide no command.
- New commands and the sync token that delivered them are stored together
  (storage/inbox.py); each command is answered and then marked handled. After
  a crash the inbox is answered on start, once.
- Replies are ``m.notice`` with HTML, in reply to the command, with explicit
  ``m.mentions``; their transaction ids derive from the command's event id so
  a repeated send after a crash is dropped by the homeserver.
"""

from __future__ import annotations

import asyncio
import fnmatch
import io
import logging
from collections.abc import Callable
from datetime import datetime

from nio import (
    AsyncClient,
    ErrorResponse,
    Event,
    InviteMemberEvent,
    JoinedRoomsResponse,
    JoinError,
    MatrixRoom,
    MegolmEvent,
    MessageDirection,
    RoomCreateResponse,
    RoomEncryptionEvent,
    RoomGetStateResponse,
    RoomMemberEvent,
    RoomMessagesResponse,
    RoomMessageText,
    RoomPreset,
    RoomResolveAliasResponse,
    RoomSendResponse,
    SyncError,
    SyncResponse,
    UploadResponse,
)

from bot.core.config import Config, Establishment
from bot.core.context import Context
from bot.core.dispatcher import Dispatcher, Outcome
from bot.core.registry import Registry
from bot.core.render import Message, Renderer
from bot.core.roles import role_of
from bot.matrix.lifecycle import (
    HANDLED_RETENTION,
    PRUNE_EVERY,
    Chore,
    Lifecycle,
    Supervisor,
    Unsupervised,
)
from bot.matrix.session import MAX_BACKOFF_S, BotClient, Session, exchange_keys
from bot.toolkit.clock import utc_now
from storage import establishments as establishment_store
from storage import inbox, outbox

log = logging.getLogger(__name__)

SYNC_FILTER = {
    # Members are loaded lazily: with hundreds of rooms, full member lists made the
    # first sync slow, and nio fetches a room's members itself before its first
    # encrypted send (members_synced).
    "room": {"timeline": {"limit": 100}, "state": {"lazy_load_members": True}},
    "presence": {"not_types": ["*"]},
}
FLUSH_RETRY_S = 60.0  # how often messages that could not go are tried again


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
        self.session = Session(
            config.matrix, alive=self.notifier.watchdog, on_error=self._on_error_response
        )
        self.rooms: dict[str, Establishment] = {}
        self.rate_limited = 0
        self._lanes: dict[tuple[str, str], asyncio.Lock] = {}
        self.lifecycle = Lifecycle()
        self._joined_on_invite: set[str] = set()
        self._synced = asyncio.Condition()
        self.ready = asyncio.Event()
        self.scheduler = None  # set by bot.app; started once the first sync is done
        self._flushing = asyncio.Lock()
        self._flusher: asyncio.Task | None = None
        self._dm_waiting: set[str] = set()  # recipients who have not joined their direct room
        self._flushed_at = 0.0
        self._pruning_handled = Chore(clock, PRUNE_EVERY)
        self._pruning_outbox = Chore(clock, PRUNE_EVERY)
        self._state_unknown: set[str] = set()  # rooms restored without their state yet
        self._flush_again = False
        self._sending = asyncio.Lock()
        self._paused_until = 0.0  # loop time before which the homeserver asked us to wait

    @property
    def client(self) -> AsyncClient | None:
        """The session's nio client, once logged in."""
        return self.session.client

    async def login(self) -> AsyncClient:
        """Restore the stored device, or log in once and store it."""
        return await self.session.login()

    async def resolve_rooms(self) -> None:
        """Map each establishment's room (id or alias) to its room id."""
        for establishment in self.config.establishments:
            room_id = establishment.room
            if room_id.startswith("#"):
                resp = await self.client.room_resolve_alias(room_id)
                if not isinstance(resp, RoomResolveAliasResponse):
                    log.error("%s: alias %s not found", establishment.id, room_id)
                    continue
                room_id = resp.room_id
            self.rooms[room_id] = establishment
            establishment_store.set_room_id(self.db, establishment.id, room_id)

    # -- main loop --------------------------------------------------------------

    async def run(self) -> None:
        """Sync until stopped; answer every command once."""
        client = self.client or await self.login()
        await self.resolve_rooms()
        token = inbox.get_state(self.db, inbox.SYNC_TOKEN)
        first_ever = token is None
        backoff = 1.0
        # nio keeps rooms in memory only. A full-state sync rebuilds them, but for
        # hundreds of rooms it was most of the start-up: after a restart on the
        # same device, the rooms are listed and their state loaded when needed.
        full_state = first_ever or not self.session.restored or not await self._restore_rooms()
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
                await self._join_configured_rooms()
                self._answer_pending()
                # In the background: a caught-up run may open a direct room, and
                # that room only becomes usable once this loop syncs it.
                self.lifecycle.track(asyncio.create_task(self._start_scheduler()))
                self.ready.set()
                log.info("ready: serving %d room(s)", len(self.rooms))
                self.notifier.ready(f"serving {len(self.rooms)} room(s)")
            token, full_state, first_ever, starting = resp.next_batch, False, False, False
            async with self._synced:
                self._synced.notify_all()
        await self.drain()

    async def _restore_rooms(self) -> bool:
        """Know the rooms the bot is in without their state; False if they cannot be listed.

        Whether a room is encrypted comes from nio's store (it records every
        encrypted room it has seen), and ``_room_with_state`` loads the rest
        before anything is sent there, so nothing goes out in clear by mistake.
        """
        resp = await self.client.joined_rooms()
        if not isinstance(resp, JoinedRoomsResponse):
            log.warning("cannot list joined rooms (%s): full state sync", resp)
            return False
        for room_id in resp.rooms:
            if room_id not in self.client.rooms:
                encrypted = room_id in self.client.encrypted_rooms
                self.client.rooms[room_id] = MatrixRoom(room_id, self.client.user_id, encrypted)
                self._state_unknown.add(room_id)
        return True

    async def _room_with_state(self, room_id: str) -> MatrixRoom | None:
        """nio's room, its state (encryption, members) loaded if the start-up skipped it."""
        room = self.client.rooms.get(room_id)
        if room is None or room_id not in self._state_unknown:
            return room
        resp = await self.client.room_get_state(room_id)
        if not isinstance(resp, RoomGetStateResponse):
            raise RuntimeError(f"cannot read the state of {room_id}: {resp}")
        for raw in resp.events:
            event = Event.parse_event(raw)
            if isinstance(event, RoomMemberEvent):
                room.handle_membership(event)
            else:
                room.handle_event(event)
            if isinstance(event, RoomEncryptionEvent):
                self.client.encrypted_rooms.add(room_id)
        room.members_synced = True  # the state holds every member
        self._state_unknown.discard(room_id)
        return room

    async def _start_scheduler(self) -> None:
        try:
            self.request_flush()  # what a previous run queued and could not send
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

    async def _on_error_response(self, resp: ErrorResponse) -> None:
        if resp.status_code == "M_LIMIT_EXCEEDED":
            self.rate_limited += 1
            wait = (resp.retry_after_ms or 5000) / 1000
            self._paused_until = max(self._paused_until, asyncio.get_running_loop().time() + wait)
            log.warning(
                "rate limited by the homeserver (429 #%d), waiting %s ms as asked",
                self.rate_limited,
                resp.retry_after_ms,
            )

    async def _on_sync(self, resp: SyncResponse, since: str | None, skip_timeline: bool) -> None:
        await self._exchange_keys()
        await self._answer_invites(resp)
        items = []
        for room_id, info in resp.rooms.join.items():
            if room_id not in self.rooms or skip_timeline:
                continue  # first ever start: history is not ours to answer
            events = list(info.timeline.events)
            if info.timeline.limited and since:
                events = await self._backfill(room_id, info.timeline.prev_batch, since) + events
            await self._notify_listeners(room_id, events)
            items += [item for event in events if (item := self._as_command(room_id, event))]
        for item in self.accept_commands(items, resp.next_batch):
            self._spawn(item)
        if self.ready.is_set():
            self._flush_if_sendable(resp)

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
        establishment = self.rooms[room_id]
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
            messenger=self,
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
            establishment = self.rooms.get(item.room_id)
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
            self.request_flush()

    def _remember_member(self, establishment, item, role, now) -> None:
        room = self.client.rooms.get(item.room_id)
        name = room.user_name(item.sender) if room else None
        stored_role = role.value if role.value != "admin" else "teacher"
        establishment_store.record_member(
            self.db, establishment.id, item.sender, stored_role, now, display_name=name
        )

    # -- rooms ------------------------------------------------------------------

    async def _join_configured_rooms(self) -> None:
        for room_id, establishment in self.rooms.items():
            if room_id in self.client.rooms or room_id in self._joined_on_invite:
                continue
            resp = await self.client.join(room_id)
            if isinstance(resp, JoinError):
                log.warning(
                    "%s: not in room %s and cannot join it (%s); invite the bot",
                    establishment.id,
                    room_id,
                    resp.message,
                )
            else:
                log.info("%s: joined room %s", establishment.id, room_id)

    async def _answer_invites(self, resp: SyncResponse) -> None:
        for room_id, info in resp.rooms.invite.items():
            inviter = next(
                (
                    e.sender
                    for e in info.invite_state
                    if isinstance(e, InviteMemberEvent)
                    and e.state_key == self.client.user_id
                    and e.membership == "invite"
                ),
                None,
            )
            establishment = self.rooms.get(room_id)
            if establishment and inviter and self._may_invite(inviter, establishment):
                await self.client.join(room_id)
                self._joined_on_invite.add(room_id)
                log.info("joined %s on invitation from %s", room_id, inviter)
            else:
                await self.client.room_leave(room_id)
                log.info(
                    "refused invitation to %s from %s (room not served or inviter not allowed)",
                    room_id,
                    inviter,
                )

    def _may_invite(self, user_id: str, establishment: Establishment) -> bool:
        """The establishment's own people and the admins, plus ``allowed_inviters``' patterns.

        The referent who creates the staff room is the one who invites the bot:
        a config that names them needs nothing more to be joined.
        """
        if user_id in (*establishment.referents, *establishment.principals):
            return True
        if user_id in self.config.bot.admins:
            return True
        patterns = self.config.bot.allowed_inviters
        return any(fnmatch.fnmatchcase(user_id, pattern) for pattern in patterns)

    # -- sending (the Messenger used by handlers) -------------------------------

    async def flush_outbox(self) -> int:
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
            for user_id in outbox.waiting_recipients(self.db):
                room_id = await self._joined_direct_room(user_id)
                if room_id is None:
                    waiting.add(user_id)
                else:
                    direct_rooms[user_id] = room_id
            for message in outbox.unsent_messages(self.db, skip_recipients=waiting):
                if self.lifecycle.stopping:
                    break  # the rest goes after the restart, with the same transaction ids
                if message.dm_user:
                    room_id = direct_rooms.get(message.dm_user)
                else:
                    room_id = message.room_id or self._room_of(message.establishment_id)
                if room_id is None:
                    continue
                if message.filename:
                    event_id = await self.send_file(
                        room_id,
                        message.filename,
                        outbox.file_data(self.db, message.id),
                        message.mimetype or "",
                        txn_id=message.txn_id,
                    )
                else:
                    rendered = Message(message.body, message.html, message.mentions)
                    event_id = await self.send_message(room_id, rendered, txn_id=message.txn_id)
                if event_id is None:
                    break  # keep the order: retry from here next time
                outbox.mark_sent(self.db, message.id, event_id, self.clock())
                sent += 1
            if self._pruning_outbox.due():
                outbox.prune_sent(self.db, self.clock(), HANDLED_RETENTION)
            self._dm_waiting = waiting
            self._flushed_at = asyncio.get_running_loop().time()
        return sent

    def _room_of(self, establishment_id: str | None) -> str | None:
        return next((room for room, e in self.rooms.items() if e.id == establishment_id), None)

    def accept_commands(self, items: list[inbox.InboxItem], next_batch: str):
        """Store a sync's commands with its token in one transaction; those new to answer.

        Handled event ids older than the retention are forgotten once an hour.
        """
        accepted = inbox.accept_batch(self.db, items, next_batch, self.clock())
        if self._pruning_handled.due():
            inbox.prune_handled(self.db, self.clock(), HANDLED_RETENTION)
        return accepted

    async def _joined_direct_room(self, user_id: str) -> str | None:
        """The direct room with a user if they have joined it; otherwise invite and wait."""
        try:
            room_id = await self.direct_room(user_id)
            room = await self._room_with_state(room_id)
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
                sent = await self.flush_outbox()
            except Exception:
                log.exception("could not send the outbox; it stays queued")
                return
            # A full batch means more are queued behind it.
            self._flush_again |= sent >= outbox.UNSENT_BATCH

    def _flush_if_sendable(self, resp: SyncResponse) -> None:
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
            outbox.has_unsent(self.db, rooms_only=True)
            or self._waiting_recipient_joined(resp)
            or (overdue and outbox.has_unsent(self.db))
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

    async def send_message(
        self,
        room_id: str,
        message: Message,
        *,
        reply_to: str | None = None,
        txn_id: str | None = None,
    ) -> str | None:
        """Send an ``m.notice`` (HTML, explicit mentions), as a reply when told."""
        content = {
            "msgtype": "m.notice",
            "body": message.body,
            "format": "org.matrix.custom.html",
            "formatted_body": message.html,
            # Always present: an empty list tells clients to ping nobody.
            "m.mentions": {"user_ids": list(message.mentions)},
        }
        if reply_to:
            content["m.relates_to"] = {"m.in_reply_to": {"event_id": reply_to}}
        return await self._send(room_id, content, txn_id)

    async def send_file(
        self,
        room_id: str,
        filename: str,
        data: bytes,
        mimetype: str,
        *,
        reply_to: str | None = None,
        txn_id: str | None = None,
    ) -> str | None:
        """Upload a file (encrypted in encrypted rooms) and post it as ``m.file``."""
        try:
            room = await self._room_with_state(room_id)
        except RuntimeError as error:
            log.error("upload of %s not attempted: %s", filename, error)
            return None
        encrypt = bool(room and room.encrypted)
        upload, keys = await self.client.upload(
            io.BytesIO(data),
            content_type=mimetype,
            filename=filename,
            encrypt=encrypt,
            filesize=len(data),
        )
        if not isinstance(upload, UploadResponse):
            log.error("upload of %s failed: %s", filename, upload)
            return None
        content = {
            "msgtype": "m.file",
            "body": filename,
            "filename": filename,
            "info": {"mimetype": mimetype, "size": len(data)},
            "m.mentions": {"user_ids": []},
        }
        if encrypt:
            content["file"] = {**keys, "url": upload.content_uri}
        else:
            content["url"] = upload.content_uri
        if reply_to:
            content["m.relates_to"] = {"m.in_reply_to": {"event_id": reply_to}}
        return await self._send(room_id, content, txn_id)

    async def _send(self, room_id: str, content: dict, txn_id: str | None) -> str | None:
        return await self.send_event(room_id, "m.room.message", content, txn_id=txn_id)

    async def send_event(
        self, room_id: str, event_type: str, content: dict, *, txn_id: str | None = None
    ) -> str | None:
        """Send any room event (polls use ``m.poll.start``).

        One send at a time, and after a 429 nobody sends before ``retry_after_ms``:
        concurrent senders retrying each on their own would hammer the homeserver
        with requests bound to be refused (the bot must stay polite on Tchap).
        """
        try:
            await self._room_with_state(room_id)
        except RuntimeError as error:
            log.error("could not send %s to %s: %s", event_type, room_id, error)
            return None
        async with self._sending:
            pause = self._paused_until - asyncio.get_running_loop().time()
            if pause > 0:
                await asyncio.sleep(pause)
            resp = await self.client.room_send(
                room_id, event_type, content, tx_id=txn_id, ignore_unverified_devices=True
            )
        if isinstance(resp, RoomSendResponse):
            return resp.event_id
        log.error(
            "could not send %s to %s: %s", event_type, room_id, getattr(resp, "message", resp)
        )
        return None

    async def direct_room(self, user_id: str) -> str:
        """The encrypted direct-message room with a user, created once and reused."""
        key = f"dm:{user_id}"
        room_id = inbox.get_state(self.db, key)
        room = await self._room_with_state(room_id) if room_id else None
        if room is not None and user_id in room.users:  # joined, or still invited
            return room_id
        resp = await self.client.room_create(
            is_direct=True,
            invite=[user_id],
            preset=RoomPreset.trusted_private_chat,
            initial_state=[
                {
                    "type": "m.room.encryption",
                    "state_key": "",
                    "content": {"algorithm": "m.megolm.v1.aes-sha2"},
                }
            ],
        )
        if not isinstance(resp, RoomCreateResponse):
            raise RuntimeError(f"cannot open a direct room with {user_id}: {resp}")
        inbox.set_state(self.db, key, resp.room_id)
        # The main sync loop will see the new room; wait for it so the first
        # send knows the room is encrypted.
        async with self._synced:
            await asyncio.wait_for(
                self._synced.wait_for(lambda: resp.room_id in self.client.rooms), 30
            )
        return resp.room_id
