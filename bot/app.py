"""Assemble the bot from a configuration: database, registry, renderer, Matrix client."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import Callable
from datetime import datetime, time, timedelta

from bot.core.config import Config, Establishment
from bot.core.render import Renderer
from bot.core.scheduler import Scheduler
from bot.matrix.bot import Connection, MatrixBot
from bot.matrix.devices import retire_devices
from bot.matrix.identity import keep_identity_once_ready
from bot.matrix.session import Credentials
from bot.ops.systemd import Notifier
from bot.toolkit.clock import utc_now
from commands import load_registry
from storage import migrate, open_database
from storage.db import BackgroundCheckpoints
from storage.enquete import AcademySurvey, sync_academy_surveys
from storage.establishments import sync_establishments

log = logging.getLogger(__name__)


def build_bot(
    config: Config, clock: Callable[[], datetime] = utc_now, notifier: Notifier | None = None
) -> MatrixBot:
    """Open and migrate the database, sync establishments, and wire the bot.

    ``notifier`` tells systemd when the bot is ready and alive; none outside systemd.
    """
    db = open_database(config.bot.database)
    applied = migrate(db)
    if applied:
        log.info("database %s migrated: %s", config.bot.database, ", ".join(applied))
    sync_establishments(db, config.establishments, clock())
    for e in config.establishments:
        sync_academy_surveys(db, e.id, academy_surveys(config, e), clock())
    if config.bot.simulated_start is not None:
        clock = simulated_clock(config.bot.simulated_start, clock)
        log.warning("simulated clock: time starts at %s", config.bot.simulated_start.isoformat())
    registry, renderer = load_registry(), Renderer()
    # The connection first: the scheduler flushes its outbox after each run.
    connection = Connection(config, db, clock, notifier)
    scheduler = Scheduler(
        registry.jobs,
        config,
        db,
        renderer,
        clock,
        after_run=connection.outbox.request_flush,
        tick=timedelta(seconds=config.bot.tick_seconds),
        registry=registry,
    )
    return MatrixBot(connection, registry, renderer, scheduler)


def academy_surveys(config: Config, establishment: Establishment) -> list[AcademySurvey]:
    """The config's ``[[survey]]`` tables for one establishment, opening at its local midnight."""
    return [
        AcademySurvey(
            key=s.url,
            title=s.title,
            url=s.url,
            audience=s.audience,
            opens_at=datetime.combine(s.opens, time(0), tzinfo=establishment.tz),
            deadline=s.deadline,
        )
        for s in config.surveys
    ]


def settle_memory() -> None:
    """Take what start-up built out of the garbage collector's rounds.

    Full collections walked every object of nio, the templates and the registry
    at each round: 40 to 80 ms during which nobody was answered, the tail of the
    handling times. Those objects live as long as the process anyway.
    """
    gc.collect()
    gc.freeze()


def simulated_clock(start: datetime, real: Callable[[], datetime]) -> Callable[[], datetime]:
    """A clock that starts at ``start`` and then runs at the real clock's pace."""
    origin = real()
    return lambda: start + (real() - origin)


async def run_bot(config: Config) -> None:
    """Run until SIGINT/SIGTERM; commands not answered yet stay in the inbox for next start."""
    notifier = Notifier.from_environment()
    bot = build_bot(config, notifier=notifier)
    settle_memory()
    checkpoints = BackgroundCheckpoints(bot.db).start()
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, main.cancel)
    identity: asyncio.Task | None = None
    try:
        client = await bot.login()
        # After a restore: the devices used before are logged out once the new one exists.
        await retire_devices(
            config.matrix,
            Credentials(
                config.matrix.homeserver, client.user_id, client.device_id, client.access_token
            ),
        )
        # Once the first sync has uploaded the device's keys: signed by the account's identity.
        identity = asyncio.create_task(
            keep_identity_once_ready(bot.sync.ready, config.matrix, client)
        )
        await bot.run()
    except asyncio.CancelledError:
        log.info("stopping on signal")
    finally:
        # Said first: closing may take seconds, and systemd must not read it as a hang.
        notifier.stopping()
        if identity is not None:
            identity.cancel()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(bot.close(), 10)
        checkpoints.stop()
        bot.db.close()
        notifier.close()
