"""The per-message ``Context`` handlers receive, and the transport it speaks through."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from bot.core.config import ACADEMY_ID
from bot.core.errors import NotAllowed
from bot.core.places import Place
from bot.core.render import Message, Renderer, mention_with_names
from bot.core.roles import Role, roles_named
from storage.establishments import display_names
from storage.outbox import queue_message
from storage.reactions import count_reaction

if TYPE_CHECKING:
    import sqlite_utils

    from bot.core.config import Config, Establishment
    from bot.core.declarations import CommandSpec
    from bot.core.registry import Registry


class Messenger(Protocol):
    """What handlers need from the chat transport (``bot.matrix.sender`` implements it)."""

    async def send_message(
        self,
        room_id: str,
        message: Message,
        *,
        reply_to: str | None = None,
        txn_id: str | None = None,
        alert: bool = False,
    ) -> str | None: ...

    async def send_file(
        self,
        room_id: str,
        filename: str,
        data: bytes,
        mimetype: str,
        *,
        reply_to: str | None = None,
        txn_id: str | None = None,
    ) -> str | None: ...

    async def send_event(
        self, room_id: str, event_type: str, content: dict, *, txn_id: str | None = None
    ) -> str | None: ...

    async def direct_room(self, user_id: str) -> str: ...


@dataclass
class Context:
    """Everything a handler may use; nothing else is global."""

    sender: str
    role: Role
    establishment: Establishment
    room_id: str
    event_id: str
    now: datetime
    db: sqlite_utils.Database
    config: Config
    renderer: Renderer
    messenger: Messenger
    registry: Registry
    command: CommandSpec | None = None
    sent: int = 0
    # Set by !oublie-moi confirmer: the command's own event is not kept in their name.
    sender_forgotten: bool = False
    # The establishment's room, when the command came in a private room with the bot
    # (None: the command was typed in the establishment's room itself).
    shared_room_id: str | None = None
    # In a private room: the establishments whose rooms the sender is a member of.
    choices: tuple[Establishment, ...] = ()

    @property
    def in_private(self) -> bool:
        """Whether the command came in a private room with the bot."""
        return self.shared_room_id is not None and self.shared_room_id != self.room_id

    @property
    def place(self) -> Place:
        """The academy's room, or an establishment's (its room or a private room for it)."""
        return Place.ACADEMY if self.establishment.id == ACADEMY_ID else Place.ESTABLISHMENT

    @property
    def room_for_all(self) -> str:
        """The establishment's room, where what everyone must see is posted."""
        return self.shared_room_id or self.room_id

    @property
    def prefix(self) -> str:
        """What starts a command here (``!`` unless configured): every mention of one uses it."""
        return self.config.bot.prefix

    def may(self, *roles: str, owner: str | None = None) -> bool:
        """Whether the sender has one of ``roles`` (admins have them all) or is ``owner``."""
        if owner is not None and self.sender == owner:
            return True
        return self.role is Role.ADMIN or self.role in roles_named(roles)

    def require_role(self, *roles: str, scope: str | None = None) -> None:
        """Refuse (``NotAllowed``) unless the sender has one of ``roles``.

        The answer is the role refusal for the command, then ``scope``
        (« … réservée aux référents numériques dans cet établissement »).
        """
        if not self.may(*roles):
            raise NotAllowed(roles_named(roles), scope=scope)

    def require_owner_or(
        self, *roles: str, owner: str, owner_label: str, action: str, reason: str | None = None
    ) -> None:
        """Refuse (``NotAllowed``) unless the sender is ``owner`` or has one of ``roles``.

        The answer says who may, ``owner_label`` naming the owner: « {reason} :
        seuls {owner_label} et les référents numériques peuvent {action}. »
        """
        if not roles:
            raise TypeError("require_owner_or: name the roles that may besides the owner")
        if not self.may(*roles, owner=owner):
            raise NotAllowed(
                roles_named(roles), owner_label=owner_label, action=action, reason=reason
            )

    def _next_txn(self) -> str:
        # Deterministic transaction ids: if a crash makes the bot handle the same
        # command again, the homeserver drops the repeated send.
        self.sent += 1
        return f"rupn-{self.event_id}-{self.sent}"

    def render(self, template: str, mentions: Iterable[str] = (), **values) -> Message:
        """Render a template with the common values (establishment, now, prefix)."""
        return render_for(self, template, mentions, **values)

    async def reply(
        self, template: str, mentions: Iterable[str] = (), *, alert: bool = False, **values
    ) -> str | None:
        """Answer the command in its room, as a reply, with a rendered template; its event id.

        A reply is a notice, which rings for nobody; an ``alert`` (a session
        planned for the people it mentions) rings for them.
        """
        return await self.send(self.render(template, mentions, **values), alert=alert)

    async def announce(
        self, template: str, mentions: Iterable[str] = (), *, alert: bool = False, **values
    ) -> str | None:
        """Answer where the establishment's room sees it; the event id of the room's copy.

        A command typed in a private room is answered there too, and its result
        (a planned session, a shared link) still goes to the establishment's room.
        """
        message = self.render(template, mentions, **values)
        if not self.in_private:
            return await self.send(message, alert=alert)
        posted = await self.send(message, room_id=self.room_for_all, alert=alert)
        await self.send(message)
        return posted

    async def send(
        self, message: Message, room_id: str | None = None, *, alert: bool = False
    ) -> str | None:
        """Send an already rendered message (to the command's room unless told)."""
        in_room = room_id is None or room_id == self.room_id
        return await self.messenger.send_message(
            room_id or self.room_id,
            message,
            reply_to=self.event_id if in_room else None,
            txn_id=self._next_txn(),
            alert=alert,
        )

    def post_file(
        self, filename: str, data: bytes, mimetype: str, *, dm_user: str, slot: str | None = None
    ) -> None:
        """Queue a file for a user's direct room (sent once they have joined it).

        A file in a ``slot`` replaces the one of that slot still waiting for them.
        """
        queue_message(
            self.db,
            establishment_id=self.establishment.id,
            dm_user=dm_user,
            body=filename,
            html=filename,
            mentions=(),
            txn_id=self._next_txn(),
            now=self.now,
            file=(filename, mimetype, data),
            slot=slot,
        )

    def count_reaction_once(self, target_event_id: str, purpose: str, item_id: int) -> bool:
        """Record the reaction being handled as acted on for ``item_id``; False if it
        already was (a sync delivered again after a restart): then do nothing."""
        return count_reaction(
            self.db,
            event_id=self.event_id,
            room_id=self.room_id,
            sender=self.sender,
            target_event_id=target_event_id,
            purpose=purpose,
            item_id=item_id,
            now=self.now,
        )

    def post(
        self,
        message: Message,
        *,
        dm_user: str | None = None,
        slot: str | None = None,
        alert: bool = False,
    ) -> None:
        """Queue a message to the establishment's room (or a user's direct room) with the change.

        For notices a command owes to other people (a waitlist promotion, a closed
        slot): queued with the change that causes them, sent right after the command.
        A direct message in a ``slot`` replaces the one of that slot still waiting.
        An ``alert`` rings for the people it mentions; a direct message always rings.
        """
        queue_message(
            self.db,
            establishment_id=self.establishment.id,
            room_id=None if dm_user else self.room_for_all,
            dm_user=dm_user,
            body=message.body,
            html=message.html,
            mentions=message.mentions,
            txn_id=self._next_txn(),
            now=self.now,
            slot=slot,
            alert=alert,
        )

    def post_elsewhere(self, establishment_id: str, message: Message) -> None:
        """Queue a message for another place's room, with the change: the academy's
        (``ACADEMY_ID``: a need forwarded to it), or an establishment's (its answer).

        Its transaction id comes from the command's event, so it goes once, even
        if the command is handled again after a crash.
        """
        queue_message(
            self.db,
            establishment_id=establishment_id,
            room_id=None,
            body=message.body,
            html=message.html,
            mentions=message.mentions,
            txn_id=self._next_txn(),
            now=self.now,
        )

    async def send_event(self, event_type: str, content: dict) -> str | None:
        """Send a raw event (a poll, say) to the establishment's room; returns its event id."""
        return await self.messenger.send_event(
            self.room_for_all, event_type, content, txn_id=self._next_txn()
        )

    async def send_file(self, filename: str, data: bytes, mimetype: str, room_id=None) -> None:
        """Upload a file to the command's room (or another room)."""
        await self.messenger.send_file(
            room_id or self.room_id,
            filename,
            data,
            mimetype,
            reply_to=self.event_id if room_id is None else None,
            txn_id=self._next_txn(),
        )


def render_for(ctx, template: str, mentions: Iterable[str] = (), **values) -> Message:
    """Render with what every template may use; shared by commands and jobs."""
    return ctx.renderer.render(
        template,
        mentions=tuple(mentions),
        establishment=ctx.establishment,
        now=ctx.now,
        prefix=ctx.prefix,
        mention=mention_with_names(lambda: display_names(ctx.db, ctx.establishment.id)),
        **values,
    )
