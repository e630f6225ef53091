"""The welcome: when the bot first joins an establishment's room, it says what it does.

Three lines on what it does, ``!aide``, and where privacy is explained. Once
per room, ever: the room is marked in the bot's state in the transaction that
queues the message, so neither a restart nor a second join says it again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from bot.core.config import Config
from bot.core.render import Renderer
from bot.matrix.rooms import Rooms
from storage import inbox as state
from storage.outbox import queue_message
from storage.stamps import to_stamp

if TYPE_CHECKING:
    import sqlite_utils

# bot_state key prefix, followed by the room id: the room was welcomed.
WELCOMED = "bienvenue:"
# How the welcome's transaction id starts: the outbox sends it as a scheduled message.
WELCOME_TXN_PREFIX = "rupn-bienvenue-"


class Welcome:
    """Queues the welcome message of each served room the bot has joined, once."""

    def __init__(
        self,
        db: sqlite_utils.Database,
        config: Config,
        rooms: Rooms,
        renderer: Renderer,
        clock: Callable[[], datetime],
    ) -> None:
        self.db = db
        self.config = config
        self.rooms = rooms
        self.renderer = renderer
        self.clock = clock
        self._settled: set[str] = set()  # welcomed, now or before: not looked up again

    def greet_new_rooms(self) -> int:
        """Queue the welcome of each served room joined and not welcomed yet; how many."""
        greeted = 0
        joined = self.rooms.client.rooms
        for room_id, establishment in self.rooms.served.items():
            if room_id in self._settled or room_id not in joined:
                continue
            key = WELCOMED + room_id
            with self.db.atomic():
                if state.get_state(self.db, key) is None:
                    message = self.renderer.render(
                        "bienvenue/salon",
                        establishment=establishment,
                        prefix=self.config.bot.prefix,
                    )
                    now = self.clock()
                    queue_message(
                        self.db,
                        establishment_id=establishment.id,
                        room_id=room_id,
                        body=message.body,
                        html=message.html,
                        mentions=(),
                        txn_id=WELCOME_TXN_PREFIX
                        + hashlib.sha256(room_id.encode()).hexdigest()[:16],
                        now=now,
                    )
                    state.set_state(self.db, key, to_stamp(now))
                    greeted += 1
            self._settled.add(room_id)
        return greeted
