"""The Matrix side assembled: one process serving every configured establishment's room.

It is built in two steps, in dependency order, by ``bot.app``:

- ``Connection``: the device (``session``), its ``rooms``, the ``sender`` with
  the account's pacing (answers first, scheduled messages spaced), and the
  ``outbox`` pump. It needs nothing of the
  commands, so the scheduler can be given the pump before the bot exists.
- ``MatrixBot``: the ``inbox`` that answers commands and the ``sync`` loop,
  on top of a connection, with the scheduler started after the first sync.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from nio import AsyncClient

from bot.core.config import Config
from bot.core.registry import Registry
from bot.core.render import Renderer
from bot.core.scheduler import Scheduler
from bot.matrix.inbox import Inbox
from bot.matrix.lifecycle import Lifecycle, Supervisor, Unsupervised
from bot.matrix.outbox import OutboxPump
from bot.matrix.rooms import Rooms
from bot.matrix.roster import Roster
from bot.matrix.sender import Pacing, Sender
from bot.matrix.session import Session
from bot.matrix.sync import SyncLoop
from bot.matrix.welcome import Welcome


class Connection:
    """The bot's device on the homeserver, its rooms, what it sends and what waits to go."""

    def __init__(
        self,
        config: Config,
        db,
        clock: Callable[[], datetime],
        supervisor: Supervisor | None = None,
    ) -> None:
        """``supervisor`` (systemd's notifier) is told when the bot is ready and alive."""
        self.config = config
        self.db = db
        self.clock = clock
        self.supervisor = supervisor or Unsupervised()
        self.lifecycle = Lifecycle()
        pacing = Pacing(config.bot.messages_per_second)
        self.session = Session(
            config.matrix, alive=self.supervisor.watchdog, on_error=pacing.on_error_response
        )
        self.rooms = Rooms(config, db, self.session)
        self.sender = Sender(self.session, self.rooms, pacing)
        self.outbox = OutboxPump(db, clock, self.sender, self.rooms, self.lifecycle)


class MatrixBot:
    """One process serving every configured establishment's room."""

    def __init__(
        self,
        connection: Connection,
        registry: Registry,
        renderer: Renderer,
        scheduler: Scheduler | None = None,
    ) -> None:
        """``scheduler`` is started once the first sync is done and shut down on close."""
        self.config = connection.config
        self.db = connection.db
        self.session = connection.session
        self.rooms = connection.rooms
        self.sender = connection.sender
        self.outbox = connection.outbox
        self.lifecycle = connection.lifecycle
        self.scheduler = scheduler
        self.renderer = renderer
        self.inbox = Inbox(
            connection.config,
            connection.db,
            registry,
            renderer,
            connection.clock,
            session=self.session,
            rooms=self.rooms,
            messenger=self.sender,
            outbox=self.outbox,
            lifecycle=self.lifecycle,
        )
        self.sync = SyncLoop(
            connection.db,
            session=self.session,
            rooms=self.rooms,
            inbox=self.inbox,
            outbox=self.outbox,
            scheduler=scheduler,
            lifecycle=self.lifecycle,
            supervisor=connection.supervisor,
            welcome=Welcome(
                connection.db, connection.config, self.rooms, renderer, connection.clock
            ),
            roster=Roster(connection.db, self.rooms, connection.clock, self.lifecycle),
        )

    async def login(self) -> AsyncClient:
        """Restore the stored device, or log in once and store it."""
        return await self.session.login()

    async def run(self) -> None:
        """Sync until stopped; answer every command once."""
        await self.sync.run()

    def stop(self) -> None:
        """Ask the loop to finish after the current sync."""
        self.lifecycle.stop()

    async def drain(self) -> None:
        """Wait for commands being answered and the outbox being sent."""
        await self.lifecycle.drain()

    async def close(self) -> None:
        """Finish in-flight answers and close the HTTP session."""
        if self.scheduler is not None:
            self.scheduler.shutdown()
        await self.drain()
        await self.session.close()
        self.renderer.charts.close()
