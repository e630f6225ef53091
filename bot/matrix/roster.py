"""Who is in each establishment's room, kept in the database for a survey's audience.

A survey for everyone is for the room's members, not only for those who once
typed a command; the jobs that remind them read the database, not the
homeserver, so the members are written there (``storage.establishments``):

- each served room's joined members are read once per start (and when the bot
  joins a room), a few rooms at a time, in the background: hundreds of rooms
  must not hold up the first answers;
- then every join and departure the sync delivers is followed as it comes.

The bot itself is never a member here: nobody reminds the bot.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from nio import JoinedMembersResponse, RoomMemberEvent

from bot.core.config import Establishment
from bot.matrix.lifecycle import Lifecycle
from bot.matrix.rooms import Rooms
from storage import establishments as establishment_store

if TYPE_CHECKING:
    import sqlite_utils

log = logging.getLogger(__name__)

# Member lists read from the homeserver at once.
ROOMS_READ_AT_ONCE = 8
# A member's state after which they are no longer in the room.
GONE = ("leave", "ban")


class Roster:
    """Writes each served room's joined members, and follows them as the sync goes."""

    def __init__(
        self,
        db: sqlite_utils.Database,
        rooms: Rooms,
        clock: Callable[[], datetime],
        lifecycle: Lifecycle,
    ) -> None:
        self.db = db
        self.rooms = rooms
        self.clock = clock
        self.lifecycle = lifecycle
        self._read: set[str] = set()  # rooms whose members were read (or are being read)
        self._gate = asyncio.Semaphore(ROOMS_READ_AT_ONCE)

    def read_new_rooms(self) -> int:
        """Start reading the members of each served room joined and not read yet; how many."""
        joined = self.rooms.client.rooms
        started = 0
        for room_id, establishment in self.rooms.served.items():
            if room_id in self._read or room_id not in joined:
                continue
            self._read.add(room_id)
            self.lifecycle.track(asyncio.create_task(self._read_room(room_id, establishment)))
            started += 1
        return started

    def follow(self, room_id: str, events: Iterable) -> None:
        """Note the joins and departures among a served room's events, in their order."""
        establishment = self.rooms.served.get(room_id)
        if establishment is None:
            return
        bot = self.rooms.client.user_id
        for event in events:
            if not isinstance(event, RoomMemberEvent) or event.state_key == bot:
                continue
            if event.membership == "join" or event.membership in GONE:
                establishment_store.note_room_membership(
                    self.db,
                    establishment.id,
                    event.state_key,
                    joined=event.membership == "join",
                    now=self.clock(),
                )

    async def _read_room(self, room_id: str, establishment: Establishment) -> None:
        async with self._gate:
            resp = await self.rooms.client.joined_members(room_id)
        if not isinstance(resp, JoinedMembersResponse):
            # Read again at the next sync: until then the known people stand for them.
            self._read.discard(room_id)
            log.warning("%s: cannot list the room's members (%s)", establishment.id, resp)
            return
        bot = self.rooms.client.user_id
        members = [m.user_id for m in resp.members if m.user_id != bot]
        establishment_store.replace_room_members(self.db, establishment.id, members, self.clock())
        log.debug("%s: %d member(s) in the room", establishment.id, len(members))
