"""Scheduled work at the scale of an académie, in-process.

Every job the registry holds (``registry.jobs``: today the permanence calendar
and reminders; the weekly newsletter ``lettre`` and the other scheduled
families as soon as their modules are there) is run once for every
establishment at ``NOW``, a school Friday at 16:00, through the bot's own
``Scheduler.run``: one transaction per job and establishment, templates
rendered, messages queued in the outbox. Nothing is sent here: sending at the
homeserver's pace is ``bench/paced.py``.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.handling import production_logging
from bench.seed import NOW
from bot.app import build_bot
from bot.core.config import Config


@dataclass
class JobsRun:
    """What one pass of every job over every establishment did."""

    establishments: int
    seconds: float = 0.0
    queued: int = 0
    per_job: dict[str, tuple[float, int]] = field(default_factory=dict)

    @property
    def job_names(self) -> list[str]:
        return list(self.per_job)


async def run_every_job(config: Config, log_path: Path | None = None) -> JobsRun:
    """Run each job for each establishment of ``config`` on its database; nothing is sent."""
    log_path = log_path or Path(config.bot.database).with_suffix(".log")
    with production_logging(log_path):
        return await _run_every_job(config)


async def _run_every_job(config: Config) -> JobsRun:
    bot = build_bot(config, clock=lambda: NOW)
    scheduler = bot.scheduler
    scheduler.after_run = None  # queue only
    result = JobsRun(len(config.establishments))
    try:
        start = time.perf_counter()
        for item in scheduler.jobs:
            job_start, queued = time.perf_counter(), 0
            for establishment in config.establishments:
                queued += await scheduler.run(item, establishment)
            result.per_job[item.name] = (time.perf_counter() - job_start, queued)
            result.queued += queued
        result.seconds = time.perf_counter() - start
    finally:
        bot.renderer.charts.close()
        bot.db.close()
    return result


def unsent(database: Path) -> int:
    """Messages waiting in the outbox of a database."""
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT count(*) FROM outbox WHERE sent_at IS NULL").fetchone()[0]
    finally:
        conn.close()
