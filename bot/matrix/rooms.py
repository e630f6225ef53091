"""The rooms: each establishment's room, the rooms the bot is in, invitations, direct rooms.

- An establishment's room is configured by id or alias. An alias is resolved
  once and its room id pinned in the database: later starts use that room even
  if the alias now points elsewhere (or nowhere), until the config names
  another alias.
- After a restart on the same device the joined rooms are listed without their
  state, which is loaded when a room is first needed (a full-state sync of
  hundreds of rooms was most of the start-up).
- An invitation is accepted only to a served room and from someone allowed to invite.
- A direct room is created once per person, encrypted, and reused. Anyone may
  open one with the bot: a room of two, not an establishment's, is private.
- Who belongs to which establishment, for a private message, is read from the
  joined members of the establishments' rooms (loaded once per room).
"""

from __future__ import annotations

import asyncio
import fnmatch
import logging

from nio import (
    Event,
    InviteMemberEvent,
    JoinedMembersResponse,
    JoinedRoomsResponse,
    JoinError,
    MatrixRoom,
    RoomCreateResponse,
    RoomEncryptionEvent,
    RoomGetStateEventResponse,
    RoomGetStateResponse,
    RoomMemberEvent,
    RoomPreset,
    RoomResolveAliasResponse,
    SyncResponse,
)

from bot.core.config import ACADEMY_ID, Config, Establishment
from bot.core.roles import Role, role_of
from bot.matrix.session import Session
from storage import establishments as establishment_store
from storage import inbox

log = logging.getLogger(__name__)

# Member lists asked of the homeserver at once when a private message first needs them.
MEMBER_LISTS_AT_ONCE = 8


class RoomUnavailable(RuntimeError):
    """A room's state could not be read; ``resp`` is the homeserver's answer."""

    def __init__(self, room_id: str, resp) -> None:
        super().__init__(f"cannot read the state of {room_id}: {resp}")
        self.resp = resp


class Rooms:
    """The rooms the bot serves and is in, as nio knows them."""

    def __init__(self, config: Config, db, session: Session) -> None:
        self.config = config
        self.db = db
        self.session = session
        self.served: dict[str, Establishment] = {}  # by room id
        self.academy_room_id: str | None = None  # the academy's room, if configured
        self._joined_on_invite: set[str] = set()
        self._state_unknown: set[str] = set()  # rooms restored without their state yet
        # The direct room each person was invited to (one per person, as their dm: key).
        self._invited: dict[str, str] = {}
        self._synced = asyncio.Condition()

    @property
    def client(self):
        """The session's nio client."""
        return self.session.client

    async def resolve(self) -> None:
        """Map each establishment's room (id or alias) to its room id.

        An alias is asked of the homeserver only the first time it is
        configured: its room id is pinned, and starts read it back.
        """
        for establishment in self.config.establishments:
            room = establishment.room
            room_id = establishment_store.pinned_room_id(self.db, establishment.id, room)
            if room_id is None and room.startswith("#"):
                resp = await self.client.room_resolve_alias(room)
                if not isinstance(resp, RoomResolveAliasResponse):
                    log.error("%s: alias %s not found", establishment.id, room)
                    continue
                room_id = resp.room_id
                log.info("%s: alias %s resolved to %s, pinned", establishment.id, room, room_id)
            room_id = room_id or room
            self.served[room_id] = establishment
            establishment_store.set_room_id(self.db, establishment.id, room_id)
        if self.config.academy:
            self.academy_room_id = await self._resolved(self.config.academy.room)

    async def _resolved(self, room: str) -> str | None:
        """A room's id: itself, or what its alias points to now (None if nothing)."""
        if not room.startswith("#"):
            return room
        resp = await self.client.room_resolve_alias(room)
        if not isinstance(resp, RoomResolveAliasResponse):
            log.error("academy: alias %s not found", room)
            return None
        return resp.room_id

    def room_of(self, establishment_id: str | None) -> str | None:
        """The room id serving an establishment (or the academy), if it was resolved."""
        if establishment_id == ACADEMY_ID:
            return self.academy_room_id
        return next((room for room, e in self.served.items() if e.id == establishment_id), None)

    def is_academy(self, room_id: str) -> bool:
        """Whether this is the academy's room."""
        return room_id == self.academy_room_id

    async def restore(self) -> bool:
        """Know the rooms the bot is in without their state; False if they cannot be listed.

        Whether a room is encrypted comes from nio's store (it records every
        encrypted room it has seen), and ``with_state`` loads the rest before
        anything is sent there, so nothing goes out in clear by mistake.
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

    async def with_state(self, room_id: str) -> MatrixRoom | None:
        """nio's room, its state (encryption, members) loaded if the start-up skipped it."""
        room = self.client.rooms.get(room_id)
        if room is None or room_id not in self._state_unknown:
            return room
        resp = await self.client.room_get_state(room_id)
        if not isinstance(resp, RoomGetStateResponse):
            raise RoomUnavailable(room_id, resp)
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

    async def note_synced(self) -> None:
        """A sync was taken in: wake whoever waits for a room to appear."""
        async with self._synced:
            self._synced.notify_all()

    async def join_configured(self) -> None:
        """Join the served rooms (and the academy's) the bot is not in yet, if it may uninvited."""
        rooms = [(room_id, e.id) for room_id, e in self.served.items()]
        if self.academy_room_id:
            rooms.append((self.academy_room_id, ACADEMY_ID))
        for room_id, owner in rooms:
            if room_id in self.client.rooms or room_id in self._joined_on_invite:
                continue
            resp = await self.client.join(room_id)
            if isinstance(resp, JoinError):
                log.warning(
                    "%s: not in room %s and cannot join it (%s); invite the bot",
                    owner,
                    room_id,
                    resp.message,
                )
            else:
                log.info("%s: joined room %s", owner, room_id)

    async def answer_invites(self, resp: SyncResponse) -> None:
        """Join the served rooms an allowed person invites the bot to; leave the others."""
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
            establishment = self.served.get(room_id)
            if establishment is None and inviter and _invited_as_direct(info, self.client.user_id):
                # Someone opens a private room with the bot: whether they may use it is
                # decided when they write (members of an establishment's room only).
                await self.client.join(room_id)
                log.info("joined a private room %s opened by %s", room_id, inviter)
            elif establishment and inviter and self.may_invite(inviter, establishment):
                await self.client.join(room_id)
                self._joined_on_invite.add(room_id)
                log.info("joined %s on invitation from %s", room_id, inviter)
            elif self.is_academy(room_id) and inviter in self.config.bot.admins:
                await self.client.join(room_id)
                self._joined_on_invite.add(room_id)
                log.info("joined the academy's room %s on invitation from %s", room_id, inviter)
            else:
                await self.client.room_leave(room_id)
                log.info(
                    "refused invitation to %s from %s (room not served or inviter not allowed)",
                    room_id,
                    inviter,
                )

    def may_invite(self, user_id: str, establishment: Establishment) -> bool:
        """The establishment's own people and the admins, plus ``allowed_inviters``' patterns.

        The referent who creates the staff room is the one who invites the bot:
        a config that names them needs nothing more to be joined, nor does a
        referent or principal named by command (``!etablissement referent ajouter``).
        """
        if role_of(establishment, self.config, user_id, self.db) is not Role.TEACHER:
            return True
        patterns = self.config.bot.allowed_inviters
        return any(fnmatch.fnmatchcase(user_id, pattern) for pattern in patterns)

    async def direct_room(self, user_id: str) -> str:
        """The encrypted direct-message room with a user, created once and reused."""
        key = f"dm:{user_id}"
        room_id = inbox.get_state(self.db, key)
        room = await self.with_state(room_id) if room_id else None
        if room is not None and (user_id in room.users or await self._invited_to(room_id, user_id)):
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
        self._invited[user_id] = resp.room_id
        # The main sync loop will see the new room; wait for it so the first
        # send knows the room is encrypted.
        async with self._synced:
            await asyncio.wait_for(
                self._synced.wait_for(lambda: resp.room_id in self.client.rooms), 30
            )
        return resp.room_id

    async def _invited_to(self, room_id: str, user_id: str) -> bool:
        """Whether the person is invited to (or in) the room, as the homeserver says.

        Members are lazy-loaded: nio may never show the invitation of someone who
        has not written yet, and taking them for gone opened a new room at every
        pass of the outbox (a chase without end once they accepted the first ones).
        """
        if self._invited.get(user_id) == room_id:
            return True
        resp = await self.client.room_get_state_event(room_id, "m.room.member", user_id)
        if isinstance(resp, RoomGetStateEventResponse) and resp.content.get("membership") in (
            "invite",
            "join",
        ):
            self._invited[user_id] = room_id
            return True
        return False

    async def is_private(self, room_id: str) -> bool:
        """Whether a room is a private one with the bot: not served, two members at most."""
        if room_id in self.served or self.is_academy(room_id):
            return False
        try:
            room = await self.with_state(room_id)
        except RoomUnavailable as unavailable:
            log.warning("%s", unavailable)
            return False
        return room is not None and 0 < room.member_count <= 2

    async def establishments_of(self, user_id: str) -> list[Establishment]:
        """The establishments whose room the person has joined, in the config's order.

        The first time, each room's members are asked of the homeserver, a few
        rooms at a time: hundreds of rooms one after the other kept the first
        private command waiting.
        """
        gate = asyncio.Semaphore(MEMBER_LISTS_AT_ONCE)

        async def joined(room_id: str) -> bool:
            async with gate:
                return await self._has_joined(room_id, user_id)

        served = list(self.served.items())
        answers = await asyncio.gather(*(joined(room_id) for room_id, _ in served))
        found = [e for (_, e), yes in zip(served, answers, strict=True) if yes]
        order = {e.id: n for n, e in enumerate(self.config.establishments)}
        return sorted(found, key=lambda e: order.get(e.id, 0))

    def forget_direct_room(self, user_id: str, room_id: str) -> None:
        """Stop noting ``room_id`` as the direct room with a person (they were forgotten)."""
        key = f"dm:{user_id}"
        if inbox.get_state(self.db, key) == room_id:
            inbox.clear_state(self.db, key)
        if self._invited.get(user_id) == room_id:
            del self._invited[user_id]

    def note_private_room(self, user_id: str, room_id: str) -> None:
        """The private room someone writes from is where the bot's private messages go."""
        key = f"dm:{user_id}"
        if inbox.get_state(self.db, key) != room_id:
            inbox.set_state(self.db, key, room_id)

    async def _has_joined(self, room_id: str, user_id: str) -> bool:
        try:
            room = await self.with_state(room_id)
        except RoomUnavailable as unavailable:
            log.warning("%s", unavailable)
            return False
        if room is None:
            return False
        if not room.members_synced:
            # Members are lazy-loaded by the sync: the full list is asked once, and
            # later syncs keep it up to date.
            resp = await self.client.joined_members(room_id)
            if not isinstance(resp, JoinedMembersResponse):
                log.warning("cannot list the members of %s (%s)", room_id, resp)
                return False
        user = room.users.get(user_id)
        return user is not None and not user.invited


def _invited_as_direct(info, bot_id: str) -> bool:
    """Whether an invitation is to a direct room (``is_direct`` on the bot's invite)."""
    return any(
        isinstance(e, InviteMemberEvent)
        and e.state_key == bot_id
        and e.membership == "invite"
        and (e.content or {}).get("is_direct") is True
        for e in info.invite_state
    )
