"""Scheduled jobs: APScheduler triggers, a ledger that makes each run happen once.

A job is declared in its command family with ``@job(...)`` and is a plain
function of a ``JobContext`` (the establishment, ``now``, the database). It is
synchronous on purpose: the scheduler runs it inside one database transaction
together with its ledger row (``ctx.claim(period)``) and the messages it queues
(``ctx.post(...)``), so a crash either keeps all of them or none. Nothing is
sent inside the transaction; the outbox is flushed afterwards with transaction
ids derived from the job, so a resend after a crash is dropped by the homeserver.
A job that sends a picture (the monthly digest) is ``async``: it reads and draws
first, outside any transaction (other commands are answered while it waits),
then opens ``ctx.db.atomic()`` itself around its claim and its posts.

APScheduler only decides *when* to call; the ledger decides *whether* the work
is still to do. On start, a run missed while the bot was down is caught up
once, if it is still within the job's ``catch_up`` window.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import logging
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.core.context import render_for
from bot.core.render import Message, Renderer
from storage import ledger, outbox
from storage.inbox import get_state, set_state
from storage.stamps import from_stamp, to_stamp

FIRST_START = "scheduler_first_start"
# How a job's messages' transaction ids start: the outbox sends them as scheduled
# messages, in their own slots after every command's answer.
JOB_TXN_PREFIX = "rupn-job-"

if TYPE_CHECKING:
    import sqlite_utils

    from bot.core.config import Config, Establishment
    from bot.core.registry import Registry

log = logging.getLogger(__name__)

CronFields = dict[str, Any]
# How long a missed run stays worth doing: a fixed delay, or a function giving the
# last instant it still makes sense for a run scheduled at a given time.
CatchUp = timedelta | Callable[[datetime], datetime]
# How far back a catch-up given as a function looks for a missed run.
CATCH_UP_HORIZON = timedelta(days=32)


def until_end_of_day(scheduled_for: datetime) -> datetime:
    """Catch-up rule: a missed run is still worth doing until the end of its day."""
    next_day = scheduled_for.date() + timedelta(days=1)
    return datetime.combine(next_day, time(0), tzinfo=scheduled_for.tzinfo)


def until_end_of_month(scheduled_for: datetime) -> datetime:
    """Catch-up rule: a missed run is still worth doing until the end of its month."""
    year, month = divmod(scheduled_for.year * 12 + scheduled_for.month, 12)
    return datetime(year, month + 1, 1, tzinfo=scheduled_for.tzinfo)


def recipient_key(user_id: str) -> str:
    """A short digest standing for a person in a scheduled message's transaction id."""
    return hashlib.sha256(user_id.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Job:
    """A declared job: its name, body, and when it runs for an establishment."""

    name: str
    body: Callable[[JobContext], None]
    cron: CronFields | Callable[[Establishment], CronFields] | None = None
    every: timedelta | None = None
    catch_up: CatchUp | None = None

    def trigger(self, establishment: Establishment, tick: timedelta | None = None):
        """The APScheduler trigger for this job in the establishment's time zone."""
        if self.every is not None:
            return IntervalTrigger(seconds=(tick or self.every).total_seconds(), timezone=UTC)
        return CronTrigger(timezone=establishment.tz, **self._cron_fields(establishment))

    def timing(self, establishment: Establishment) -> Hashable:
        """Equal for two establishments whose runs of this job fall at the same instants."""
        if self.every is not None:
            return "every"
        fields = tuple(sorted(self._cron_fields(establishment).items()))
        return (fields, establishment.timezone)

    def _cron_fields(self, establishment: Establishment) -> CronFields:
        return self.cron(establishment) if callable(self.cron) else dict(self.cron or {})

    def last_due(self, establishment: Establishment, now: datetime) -> datetime | None:
        """The latest scheduled time at or before ``now`` within the catch-up window."""
        if self.cron is None or self.catch_up is None:
            return None
        fixed = isinstance(self.catch_up, timedelta)
        horizon = self.catch_up if fixed else CATCH_UP_HORIZON
        trigger = self.trigger(establishment)
        due, cursor = None, trigger.get_next_fire_time(None, now - horizon)
        while cursor is not None and cursor <= now:
            due = cursor
            cursor = trigger.get_next_fire_time(cursor, cursor + timedelta(seconds=1))
        if due is not None and not fixed and now >= self.catch_up(due):
            return None  # the latest missed run is stale; earlier ones even more so
        return due


def job(
    name: str,
    *,
    cron: CronFields | Callable[[Establishment], CronFields] | None = None,
    every: timedelta | None = None,
    catch_up: CatchUp | None = None,
) -> Callable[[Callable[[JobContext], None]], Job]:
    """Declare a job: ``@job("lettre", cron={"day_of_week": "fri", "hour": 16}, ...)``.

    ``cron`` may be a function of the establishment (per-establishment times);
    ``catch_up`` is how long a run missed while the bot was down is still done
    on start: a delay, or a function such as ``until_end_of_month``.
    """
    if (cron is None) == (every is None):
        raise ValueError(f"job {name}: give cron or every")

    def decorate(body: Callable[[JobContext], None]) -> Job:
        return Job(name, body, cron, every, catch_up)

    return decorate


@dataclass
class JobContext:
    """What a job body may use; ``scheduled_for`` is the run being served (late on catch-up)."""

    job: str
    establishment: Establishment
    now: datetime
    scheduled_for: datetime
    db: sqlite_utils.Database
    config: Config
    renderer: Renderer
    # The command registry, for jobs that gather what families declared
    # (newsletter sections, digest figures).
    registry: Registry | None = None
    posted: int = field(default=0)

    @property
    def prefix(self) -> str:
        """What starts a command (``!`` unless configured), for messages that mention one."""
        return self.config.bot.prefix

    def claim(self, period: str) -> bool:
        """Take the ledger slot for ``period``; False means it was already done."""
        return ledger.claim_run(self.db, self.job, self.establishment.id, period, self.now)

    def render(self, template: str, mentions: Iterable[str] = (), **values) -> Message:
        """Render a template with the common values."""
        return render_for(self, template, mentions, **values)

    def done(self, period: str) -> bool:
        """Whether the run for ``period`` was already made (no claim taken)."""
        return ledger.has_run(self.db, self.job, self.establishment.id, period)

    def post(
        self,
        message: Message,
        key: str,
        *,
        dm_user: str | None = None,
        alert: bool = False,
        file: tuple[str, str, bytes] | None = None,
    ) -> None:
        """Queue a message for the establishment's room, or a user's direct room.

        ``key`` names this message within the job (e.g. the period): it makes
        the transaction id, so the same decision is never sent twice. A direct
        message adds its recipient to it, as a digest: the ID stays out of an id
        that travels in URLs and logs.
        An ``alert`` (a reminder) rings for the people it mentions; a direct
        message always rings. A ``file`` (name, mimetype, bytes) is sent
        instead of the message, which only names it. Queued in quiet hours (a
        Sunday, a run caught up at night), it waits for the establishment's
        sending window to open.
        """
        window = self.establishment.sending_window
        self.posted += 1
        outbox.queue_message(
            self.db,
            establishment_id=self.establishment.id,
            room_id=None,
            dm_user=dm_user,
            body=message.body,
            html=message.html,
            mentions=message.mentions,
            txn_id=f"{JOB_TXN_PREFIX}{self.job}-{self.establishment.id}-{key}"
            + (f"-{recipient_key(dm_user)}" if dm_user else ""),
            now=self.now,
            alert=alert,
            not_before=None if window.contains(self.now) else window.next_opening(self.now),
            file=file,
        )

    def post_file(
        self, filename: str, data: bytes, mimetype: str, key: str, *, dm_user: str
    ) -> None:
        """Queue a file (a picture) for a user's direct room, once per ``key`` as ``post``."""
        file = (filename, mimetype, data)
        self.post(Message(filename, filename), key, dm_user=dm_user, file=file)


@dataclass(eq=False)
class Scheduler:
    """Runs every job for every establishment; tests call ``run`` directly with any clock."""

    jobs: list[Job]
    config: Config
    db: sqlite_utils.Database
    renderer: Renderer
    clock: Callable[[], datetime]
    after_run: Callable[[], None] | None = None
    tick: timedelta | None = None
    registry: Registry | None = None
    _aps: AsyncIOScheduler | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.jobs = list(self.jobs)

    def start(self) -> None:
        """Register each job with APScheduler once per distinct timing, and start it.

        Establishments whose runs fall at the same instants share one trigger:
        an académie is hundreds of establishments with the same few timings,
        and one APScheduler job per (job, establishment) made start-up and
        every wake-up hundreds of times the work.
        """
        self._aps = AsyncIOScheduler(timezone=UTC)
        groups = self.timing_groups()
        for item, establishments in groups:
            self._aps.add_job(
                self.run_for,
                item.trigger(establishments[0], self.tick),
                args=[item, establishments],
                id=f"{item.name}:{establishments[0].id}",
                coalesce=True,
                max_instances=1,
                misfire_grace_time=300,
            )
        self._aps.start()
        log.info(
            "scheduler started: %d job(s) × %d establishment(s), %d trigger(s)",
            len(self.jobs),
            len(self.config.establishments),
            len(groups),
        )

    def timing_groups(self) -> list[tuple[Job, list[Establishment]]]:
        """For each job, the establishments grouped by timing, in configuration order."""
        groups = []
        for item in self.jobs:
            by_timing: dict[Hashable, list[Establishment]] = {}
            for establishment in self.config.establishments:
                by_timing.setdefault(item.timing(establishment), []).append(establishment)
            groups += [(item, establishments) for establishments in by_timing.values()]
        return groups

    async def run_for(
        self,
        item: Job,
        establishments: Iterable[Establishment],
        scheduled_for: datetime | None = None,
    ) -> int:
        """Run a job for several establishments, letting commands be answered in between."""
        count = 0
        for establishment in establishments:
            count += await self.run(item, establishment, scheduled_for=scheduled_for)
            await asyncio.sleep(0)
        return count

    def shutdown(self) -> None:
        """Stop firing jobs."""
        if self._aps and self._aps.running:
            self._aps.shutdown(wait=False)

    async def catch_up(self) -> int:
        """Run, once, the runs missed while the bot was down that still matter.

        Runs scheduled before the bot's very first start were not missed: a new
        install does not send last month's digest or last Friday's letter.
        """
        first_start = get_state(self.db, FIRST_START)
        if first_start is None:
            set_state(self.db, FIRST_START, to_stamp(self.clock()))
            return 0
        count, first = 0, from_stamp(first_start)
        now = self.clock()
        for item, establishments in self.timing_groups():
            due = item.last_due(establishments[0], now.astimezone(establishments[0].tz))
            if due is not None and due >= first:
                count += await self.run_for(item, establishments, scheduled_for=due)
        return count

    async def run(
        self, item: Job, establishment: Establishment, scheduled_for: datetime | None = None
    ) -> int:
        """Run one job for one establishment now; returns the number of messages queued."""
        now = self.clock().astimezone(establishment.tz)
        ctx = JobContext(
            job=item.name,
            establishment=establishment,
            now=now,
            scheduled_for=(scheduled_for or now).astimezone(establishment.tz),
            db=self.db,
            config=self.config,
            renderer=self.renderer,
            registry=self.registry,
        )
        try:
            if inspect.iscoroutinefunction(item.body):
                await item.body(ctx)
            else:
                with self.db.atomic():
                    item.body(ctx)
        except Exception:
            log.exception("job %s failed for %s", item.name, establishment.id)
            return 0
        if ctx.posted:
            log.info("job %s for %s queued %d message(s)", item.name, establishment.id, ctx.posted)
            if self.after_run:
                self.after_run()
        return ctx.posted
