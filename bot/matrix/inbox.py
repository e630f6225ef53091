"""The inbox: commands taken from syncs, stored with their token, answered once, in lanes.

New commands and the sync token that delivered them are stored together
(``storage/inbox.py``); each command is answered and then marked handled.
After a crash the inbox is answered on start, once. Commands of one sender in
one room run in order; everyone else's run beside them. Each person has a
budget of commands a minute (``bot.commands_per_minute``). Listeners see the
other events of served rooms (poll answers, say).

A command typed in a private room with the bot acts for the establishment whose
room the sender is a member of (the one they chose with ``!etablissement`` if
several), with the same role; anyone else gets one sentence.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from nio import MegolmEvent, RoomMessageText

from bot.core.budget import CommandBudget
from bot.core.config import Config
from bot.core.context import Context, Messenger
from bot.core.dispatcher import Dispatcher, Outcome
from bot.core.places import Place
from bot.core.registry import Registry
from bot.core.render import Renderer
from bot.core.roles import role_of
from bot.matrix.lifecycle import HANDLED_RETENTION, PRUNE_EVERY, Chore, Lifecycle
from bot.matrix.outbox import OutboxPump
from bot.matrix.rooms import Rooms
from bot.matrix.session import Session
from storage import direct as direct_store
from storage import establishments as establishment_store
from storage import inbox as inbox_store

if TYPE_CHECKING:
    import sqlite_utils

log = logging.getLogger(__name__)

# The command a member of several establishments' rooms chooses with, in private.
CHOICE_COMMAND = "etablissement"


@dataclass(eq=False)
class Inbox:
    """Turns room events into commands and answers them through the dispatcher."""

    config: Config
    db: sqlite_utils.Database
    registry: Registry
    renderer: Renderer
    clock: Callable[[], datetime]
    _: KW_ONLY
    session: Session
    rooms: Rooms
    messenger: Messenger
    outbox: OutboxPump
    lifecycle: Lifecycle
    dispatcher: Dispatcher = field(init=False)
    _lanes: dict[tuple[str, str], asyncio.Lock] = field(init=False, default_factory=dict)
    _pruning: Chore = field(init=False)

    def __post_init__(self) -> None:
        per_minute = self.config.bot.commands_per_minute
        budget = CommandBudget(per_minute) if per_minute else None
        self.dispatcher = Dispatcher(self.registry, budget)
        self._pruning = Chore(self.clock, PRUNE_EVERY)

    def command_of(self, room_id: str, event) -> inbox_store.InboxItem | None:
        """The command an event carries: a text typed by someone else, with the prefix."""
        if isinstance(event, MegolmEvent):
            log.warning("cannot decrypt event %s in %s (no room key)", event.event_id, room_id)
            return None
        if not isinstance(event, RoomMessageText) or event.sender == self.session.client.user_id:
            return None
        relation = event.source.get("content", {}).get("m.relates_to") or {}
        if relation.get("rel_type") == "m.replace":
            return None  # an edit of an earlier message is not a new command
        body = event.body or ""
        if not body.lstrip().startswith(self.config.bot.prefix):
            return None
        return inbox_store.InboxItem(
            event.event_id, room_id, event.sender, body, event.server_timestamp
        )

    def accept(self, items: list[inbox_store.InboxItem], next_batch: str):
        """Store a sync's commands with its token in one transaction; those new to answer.

        Handled event ids older than the retention are forgotten once an hour.
        """
        accepted = inbox_store.accept_batch(self.db, items, next_batch, self.clock())
        if self._pruning.due():
            inbox_store.prune_handled(self.db, self.clock(), HANDLED_RETENTION)
        return accepted

    def answer_pending(self) -> None:
        """Answer what a previous run stored and did not answer."""
        for item in inbox_store.pending(self.db):
            self.spawn(item)

    def spawn(self, item: inbox_store.InboxItem) -> None:
        """Answer a command in the background."""
        self.lifecycle.track(asyncio.create_task(self.answer(item)))

    async def answer(self, item: inbox_store.InboxItem) -> None:
        """Answer one command after the sender's earlier ones in that room; mark it handled."""
        # Commands of one sender in one room run in order (ouvrir, then réserver);
        # everyone else's run beside them.
        lane = self._lanes.setdefault((item.room_id, item.sender), asyncio.Lock())
        async with lane:
            now = self.clock()
            try:
                ctx = await self._context_of(item, now)
            except Exception:
                log.exception("could not answer %s in %s", item.event_id, item.room_id)
                ctx = None
            if ctx is None:
                inbox_store.mark_handled(self.db, item, self.clock())
                return
            establishment, role = ctx.establishment, ctx.role
            try:
                outcome = await self.dispatcher.handle(ctx, item.body)
                # Only a recognised command makes a member: typing « !Bonjour » or
                # « !oublie-moi » must not put a name on the list. A command held
                # back by the budget writes nothing either: a flood stays cheap.
                answered = outcome not in (Outcome.IGNORED, Outcome.THROTTLED)
                # The academy's team is known from the config, not as anyone's member.
                if (
                    answered
                    and ctx.place is Place.ESTABLISHMENT
                    and ctx.command is not None
                    and ctx.command.remember_sender
                ):
                    self._remember_member(establishment, item, role, now)
            except Exception:
                log.exception("could not answer %s in %s", item.event_id, item.room_id)
            inbox_store.mark_handled(self.db, item, self.clock(), forgotten=ctx.sender_forgotten)
        if ctx.sent:
            self.outbox.request_flush()

    async def _context_of(self, item: inbox_store.InboxItem, now: datetime) -> Context | None:
        """The context of a command in a served room or a private one; None if not ours."""
        if item.room_id in self.rooms.served:
            return self.context(item.room_id, item.sender, item.event_id, now)
        if self.rooms.is_academy(item.room_id) and self.config.academy:
            return self.context(
                item.room_id, item.sender, item.event_id, now, self.config.academy.place
            )
        if not await self.rooms.is_private(item.room_id):
            return None
        choices = await self.rooms.establishments_of(item.sender)
        if not choices:
            await self._answer_privately(item, "prive/inconnu")
            return None
        self.rooms.note_private_room(item.sender, item.room_id)
        chosen = direct_store.chosen_establishment(self.db, item.sender)
        establishment = next((e for e in choices if e.id == chosen), None)
        if establishment is None and len(choices) == 1:
            establishment = choices[0]
        if establishment is None:
            if not self._is_choice(item.body):
                await self._answer_privately(item, "prive/choisir", choices=choices)
                return None
            establishment = choices[0]  # !etablissement itself reads ctx.choices
        ctx = self.context(item.room_id, item.sender, item.event_id, now, establishment)
        ctx.shared_room_id = self.rooms.room_of(establishment.id)
        ctx.choices = tuple(choices)
        return ctx

    def _is_choice(self, body: str) -> bool:
        words = body.strip()[len(self.config.bot.prefix) :].split(maxsplit=1)
        spec = self.registry.find(words[0]) if words else None
        return spec is not None and spec.name == CHOICE_COMMAND

    async def _answer_privately(self, item: inbox_store.InboxItem, template: str, **values):
        message = self.renderer.render(template, prefix=self.config.bot.prefix, **values)
        await self.messenger.send_message(
            item.room_id, message, reply_to=item.event_id, txn_id=f"rupn-{item.event_id}-1"
        )

    def _remember_member(self, establishment, item, role, now) -> None:
        room_id = self.rooms.room_of(establishment.id) or item.room_id
        room = self.session.client.rooms.get(room_id)
        name = room.user_name(item.sender) if room else None
        stored_role = role.value if role.value != "admin" else "teacher"
        establishment_store.record_member(
            self.db, establishment.id, item.sender, stored_role, now, display_name=name
        )

    async def notify_listeners(self, room_id: str, events: list) -> None:
        """Hand each event to the listeners of its type; one failing stops no other.

        What they queue (a private answer to a reaction) is sent right after.
        """
        listeners = self.registry.listeners
        queued = 0
        for event in events:
            source = getattr(event, "source", None) or {}
            if getattr(event, "sender", None) == self.session.client.user_id:
                continue  # the bot's own reactions and redactions are not answers
            for item in listeners.get(source.get("type", ""), ()):
                ctx = self.context(room_id, event.sender, event.event_id, self.clock())
                try:
                    await item.handler(ctx, source)
                except Exception:
                    log.exception("listener for %s failed on %s", source["type"], event.event_id)
                queued += ctx.sent
        if queued:
            self.outbox.request_flush()

    def context(
        self, room_id: str, sender: str, event_id: str, now: datetime, establishment=None
    ) -> Context:
        """What a handler gets for an event of a served room (or for ``establishment``)."""
        establishment = establishment or self.rooms.served[room_id]
        return Context(
            sender=sender,
            role=role_of(establishment, self.config, sender, self.db),
            establishment=establishment,
            room_id=room_id,
            event_id=event_id,
            now=now.astimezone(establishment.tz),
            db=self.db,
            config=self.config,
            renderer=self.renderer,
            messenger=self.messenger,
            registry=self.registry,
        )
