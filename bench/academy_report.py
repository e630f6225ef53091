"""``!academie bilan`` at the scale of an académie, and what it does to the others' answers.

The academy's report counts every establishment's year (one query per figure
and establishment) and has its pictures drawn in the chart process; both must
leave the event loop free. The real bot is built on a copy of the seeded
database (as the handling part does, bench/handling.py), with its real chart
process. First, lines of several families are typed one after another: their
time to the reply is the reference. Lines arrive at a steady 200 a second
(an académie's busiest minute is far below), each timed from its arrival,
waiting included. Then ``!academie bilan`` is typed a few times, and while each
runs the same lines arrive at the same pace: their times are compared with the
reference, side by side in one run. The report's own time runs from the inbox
write to its last file sent.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.handling import Typist, offline_bot, offline_titles, production_logging
from bench.seed import fresh_copy, sender_for

INTERVAL = 0.005  # seconds between two lines typed

# What teachers and referents type while the academy's report is being made.
MEANWHILE = (
    ("aide", "!aide", "teacher"),
    ("permanence", "!permanence", "teacher"),
    ("formation", "!formation", "teacher"),
    ("panne", "!panne", "referent"),
    ("veille", "!veille", "teacher"),
    ("statut", "!statut", "referent"),
)


@dataclass
class ReportTimes:
    """Nanoseconds: each report whole, and the other lines alone and beside a report."""

    reports: list[int] = field(default_factory=list)
    alone: list[int] = field(default_factory=list)
    beside: list[int] = field(default_factory=list)


async def measure(seeded: Path, workdir: Path, count: int, runs: int = 5, lines: int = 1000):
    """Time ``runs`` academy reports and ``lines`` other lines alone, then beside them."""
    database = fresh_copy(seeded, workdir / "academy-report.db")
    with production_logging(workdir / "academy-report.log"), offline_titles():
        return await _measure(database, count, runs, lines)


async def _measure(database: Path, count: int, runs: int, lines: int) -> ReportTimes:
    bot, transport, outcomes = offline_bot(database, count)
    typist = Typist(bot, transport, outcomes)
    rng = random.Random(7)
    establishments = list(bot.config.establishments)
    academy = bot.config.academy.place
    admin = bot.config.bot.admins[0]
    times = ReportTimes()

    async def other_line() -> int:
        family, line, role = rng.choice(MEANWHILE)
        establishment = rng.choice(establishments)
        sender = sender_for(role, establishment.id, rng)
        elapsed, _, _ = await typist.type_line(
            family, line, sender, establishment, alone=False, arrived_ns=time.perf_counter_ns()
        )
        return elapsed

    async def type_steadily(samples: list[int], until) -> None:
        """A line every ``INTERVAL``, each timed from its arrival, until ``until()``."""
        lines, tick = [], time.perf_counter()
        while not until(len(lines)):
            lines.append(asyncio.ensure_future(other_line()))
            tick += INTERVAL
            await asyncio.sleep(max(0.0, tick - time.perf_counter()))
        samples += await asyncio.gather(*lines)

    async def report() -> int:
        _, complete, _ = await typist.type_line("academie", "!academie bilan", admin, academy)
        return complete

    try:
        await report()  # warm-up: the chart process started, templates compiled
        await type_steadily(times.alone, lambda typed: typed >= lines)
        for _ in range(runs):
            running = asyncio.ensure_future(report())
            await type_steadily(times.beside, lambda typed, report=running: report.done())
            times.reports.append(running.result())
            await bot.drain()
    finally:
        bot.renderer.charts.close()
        bot.db.close()
    return times
