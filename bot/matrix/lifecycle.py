"""How the Matrix side lives and stops: its background tasks, its supervisor, its chores.

Answers and outbox flushes run as tasks beside the sync loop; a stop lets the
current sync finish and waits for them, so nothing half done is left behind.
A service manager (systemd's ``Notifier`` in production) is told when the bot
is ready and that its loop is alive; without one nothing is told.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

HANDLED_RETENTION = timedelta(days=30)
# Forgetting what is older than the retention is a write: once an hour is enough.
PRUNE_EVERY = timedelta(hours=1)


class Supervisor(Protocol):
    """What watches the bot from outside: told once it serves, then that it is alive."""

    def ready(self, status: str) -> None:
        """Start-up is over: the bot serves its rooms."""

    def watchdog(self) -> None:
        """The bot's loop went round once more, or waits on purpose."""


class Unsupervised:
    """No service manager listens (a terminal, the tests): nothing to tell."""

    def ready(self, status: str) -> None:
        """Nobody to tell that the bot is ready."""

    def watchdog(self) -> None:
        """Nobody to tell that the bot is alive."""


class Lifecycle:
    """The stop request and the tasks the bot leaves running until they are done."""

    def __init__(self) -> None:
        self._stopping = asyncio.Event()
        self._tasks: set[asyncio.Task] = set()

    @property
    def stopping(self) -> bool:
        """Whether a stop was asked for."""
        return self._stopping.is_set()

    def stop(self) -> None:
        """Ask the loops to finish after what they are doing."""
        self._stopping.set()

    def track(self, task: asyncio.Task) -> None:
        """Keep a task until it ends, so that ``drain`` waits for it."""
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for the tracked tasks (commands being answered, the outbox being sent)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds``, or less if a stop is asked for meanwhile."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)


class Chore:
    """Something worth doing at most once per period, such as forgetting old rows."""

    def __init__(self, clock: Callable[[], datetime], every: timedelta) -> None:
        self.clock = clock
        self.every = every
        self._done_at: datetime | None = None

    def due(self) -> bool:
        """Whether the period has passed since the last time; if so, it counts as done now."""
        now = self.clock()
        if self._done_at is not None and now - self._done_at < self.every:
            return False
        self._done_at = now
        return True
