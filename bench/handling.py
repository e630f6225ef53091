"""Handling time inside the bot, at the scale of an académie, without a homeserver.

The bot is built by ``bot.app.build_bot`` on a copy of the seeded database and
a configuration of every establishment, exactly as ``rupn-bot run`` builds it;
only its transport is replaced by one that records instead of sending. Each
command then takes the bot's own path: stored in the inbox with the sync token
as the sync loop does (``Inbox.accept``), then ``Inbox.answer``
(context, role, dispatch, conversion, storage, template, reply, member
bookkeeping, outbox flush). The time measured runs from
the inbox write, when the event has been received, to the first send call of
the reply: what a person waits for, minus the network. The outbox flush the
bot starts in the background after answering (notices to others, direct
messages) is awaited before the next command is typed: left running, it would
be counted in the next command's time, whatever its family, or even send
first and stop that command's clock early. The notes also give, per command,
the time to the end of the answer: every message of it sent or queued and the
event marked handled (``!bilan`` sends its two files after its reply).

Sharing a link (``!veille <url>``) reads the page's title on the web before
answering; here that read answers at once with a title, as sending does:
network time is not handling time, and the benchmark has no network.

Logging is on at INFO into a file and WAL checkpoints are taken by a thread
(``storage.db.BackgroundCheckpoints``), as ``rupn-bot run`` does. Each probe is typed once
before measuring (the first render of a template compiles it), then families
take turns so that none runs on a warmer cache than another.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import commands.veille
from bench.seed import COMMANDS, NOW, academy_config, fill, fresh_copy, sender_for
from bench.stats import summary
from bot.app import build_bot, settle_memory
from bot.core.charts import ChartDrawer
from bot.core.dispatcher import Outcome
from bot.toolkit.links import TitleResult
from bot.toolkit.urls import normalize_url
from storage import inbox
from storage.db import BackgroundCheckpoints

BLANK_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


@dataclass
class FamilyTimes:
    """Handling times of one family, in nanoseconds, per line typed."""

    samples: list[int] = field(default_factory=list)
    by_command: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    # From the inbox write to the handler's end: every message of the answer sent.
    complete_by_command: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    outcomes: Counter = field(default_factory=Counter)


class RecordingTransport:
    """Takes the place of the Matrix side: notes when the first message leaves."""

    def __init__(self) -> None:
        self.first_send_ns: int | None = None
        # The first reply to each command, by its event: commands answered side by side.
        self.first_reply_ns: dict[str, int] = {}
        self.sent = 0

    def _note(self, reply_to: str | None = None) -> str:
        now = time.perf_counter_ns()
        if self.first_send_ns is None:
            self.first_send_ns = now
        if reply_to is not None:
            self.first_reply_ns.setdefault(reply_to, now)
        self.sent += 1
        return f"$bench-sent-{self.sent}"

    async def send_message(self, room_id, message, *, reply_to=None, txn_id=None, alert=False):
        return self._note(reply_to)

    async def send_file(self, room_id, filename, data, mimetype, *, reply_to=None, txn_id=None):
        return self._note(reply_to)

    async def send_event(self, room_id, event_type, content, *, txn_id=None):
        return self._note()

    # The outbox's way in: the same, without the handlers' logging of refusals, in a lane.
    async def deliver_message(self, room_id, message, *, scheduled=False, **options):
        return self._note()

    async def deliver_file(self, room_id, filename, data, mimetype, *, scheduled=False, **options):
        return self._note()

    async def direct_room(self, user_id):
        return f"!bench-dm-{user_id}"


def offline_bot(database: Path, count: int):
    """The real bot on ``database``, its transport replaced by a RecordingTransport."""
    config = academy_config(count, database=database)
    bot = build_bot(config, clock=lambda: NOW)
    transport = RecordingTransport()
    for name in ("send_message", "send_file", "send_event", "deliver_message", "deliver_file"):
        setattr(bot.sender, name, getattr(transport, name))
    bot.rooms.direct_room = transport.direct_room
    bot.session.client = SimpleNamespace(user_id=config.matrix.user_id, rooms={})
    bot.rooms.served.update({e.room: e for e in config.establishments})
    bot.rooms.academy_room_id = config.academy.room if config.academy else None
    outcomes: list[Outcome] = []
    handle = bot.inbox.dispatcher.handle

    async def handle_and_note(ctx, body):
        outcome = await handle(ctx, body)
        outcomes.append(outcome)
        return outcome

    bot.inbox.dispatcher.handle = handle_and_note
    settle_memory()  # as rupn-bot run does once the bot is built
    return bot, transport, outcomes


class PicturesAtOnce(ChartDrawer):
    """A chart drawer whose pictures (one blank pixel) come at once: drawing happens in
    the chart process, off the event loop, like the network it is not handling time."""

    async def draw(self, chart):
        return None if chart.empty else BLANK_PNG


@contextlib.contextmanager
def offline_titles():
    """Page titles of shared links answered at once, without the network."""
    fetch = commands.veille.fetch_title

    async def offline_fetch(url, policy, session=None) -> TitleResult:
        return TitleResult("Ressource partagée", normalize_url(url), None)

    commands.veille.fetch_title = offline_fetch
    try:
        yield
    finally:
        commands.veille.fetch_title = fetch


@contextlib.contextmanager
def production_logging(path: Path):
    """INFO lines to a file with the bot's format, as ``rupn-bot run`` logs them."""
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    level, others = root.level, list(root.handlers)
    for other in others:
        root.removeHandler(other)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield
    finally:
        root.removeHandler(handler)
        handler.close()
        root.setLevel(level)
        for other in others:
            root.addHandler(other)


async def measure(
    seeded: Path,
    workdir: Path,
    count: int,
    per_family: int = 1000,
    seed: int = 11,
    background_checkpoints: bool = True,
) -> dict[str, FamilyTimes]:
    """Type ``per_family`` lines of every family of ``COMMANDS``; their handling times."""
    database = fresh_copy(seeded, workdir / "handling.db")
    with production_logging(workdir / "handling.log"), offline_titles():
        return await _measure(database, count, per_family, seed, background_checkpoints)


class Typist:
    """Types lines into the offline bot as the sync loop hands them over, and times them."""

    def __init__(self, bot, transport: RecordingTransport, outcomes: list[Outcome]) -> None:
        self.bot, self.transport, self.outcomes = bot, transport, outcomes
        self.counter = 0

    def item(self, family: str, line: str, sender: str, establishment) -> inbox.InboxItem:
        """The line as the sync loop stores it, with the sync token, in the inbox."""
        self.counter += 1
        # The academy's commands are typed in its room, the others in the establishment's.
        room = establishment.room if family != "academie" else self.bot.config.academy.room
        item = inbox.InboxItem(
            f"$bench-{self.counter}", room, sender, line, 1_800_000_000_000 + self.counter
        )
        self.bot.inbox.accept([item], f"s{self.counter}")
        return item

    async def type_line(
        self,
        family: str,
        line: str,
        sender: str,
        establishment,
        *,
        alone: bool = True,
        arrived_ns: int | None = None,
    ) -> tuple[int, int, Outcome]:
        """(to the first message sent, to the handler's end) in ns, and the outcome.

        ``alone``: nothing else is being answered, so the first message sent is
        this command's (a poll's event counts), and the outbox flush it starts is
        awaited before the next is timed. Typed beside others, its first reply
        is told apart by the event it replies to, and its time counts from
        ``arrived_ns`` (when it reached the bot, before waiting for its turn).
        """
        self.transport.first_send_ns = None
        start = arrived_ns or time.perf_counter_ns()
        item = self.item(family, line, sender, establishment)
        await self.bot.inbox.answer(item)
        done_ns = time.perf_counter_ns()
        reply_ns = self.transport.first_reply_ns.pop(item.event_id, None)
        sent_ns = self.transport.first_send_ns if alone else reply_ns
        if alone:
            await self.bot.drain()
        if sent_ns is None:
            raise RuntimeError(f"{line!r} was not answered")
        return sent_ns - start, done_ns - start, self.outcomes[-1]


async def _measure(database, count, per_family, seed, background_checkpoints):
    bot, transport, outcomes = offline_bot(database, count)
    # Pictures are drawn in the chart process, not by the handler: here they come at once.
    bot.renderer.charts = PicturesAtOnce()
    checkpoints = BackgroundCheckpoints(bot.db).start() if background_checkpoints else None
    rng = random.Random(seed)
    establishments = list(bot.config.establishments)
    typist = Typist(bot, transport, outcomes)

    async def type_probe(family, probe, times: FamilyTimes | None) -> int:
        establishment = rng.choice(establishments)
        sender = sender_for(probe.role, establishment.id, rng)
        lines = fill(probe, family, bot.db, establishment.id, NOW, rng)
        for line, template in zip(lines, probe.lines, strict=True):
            elapsed, complete, outcome = await typist.type_line(family, line, sender, establishment)
            if times is not None:
                times.samples.append(elapsed)
                times.by_command[template].append(elapsed)
                times.complete_by_command[template].append(complete)
                times.outcomes[outcome.value] += 1
        return len(lines)

    try:
        for family, probes in COMMANDS.items():  # warm-up: templates compiled, caches filled
            for probe in probes:
                await type_probe(family, probe, None)
        results = {family: FamilyTimes() for family in COMMANDS}
        cursors = dict.fromkeys(COMMANDS, 0)
        while any(len(results[f].samples) < per_family for f in COMMANDS):
            for family, probes in COMMANDS.items():
                if len(results[family].samples) >= per_family:
                    continue
                probe = probes[cursors[family] % len(probes)]
                cursors[family] += 1
                await type_probe(family, probe, results[family])
                await asyncio.sleep(0)
    finally:
        if checkpoints is not None:
            checkpoints.stop()
        bot.db.close()
    return results


def describe(results: dict[str, FamilyTimes]) -> list[str]:
    """Notes: per command line, p50/p99 to the reply and to the handler's end, outcomes."""
    lines = []
    for family, times in results.items():
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(times.outcomes.items()))
        lines.append(f"- {family}: {len(times.samples)} commands ({outcomes})")
        for command, samples in times.by_command.items():
            s = summary([x / 1e6 for x in samples])
            done = summary([x / 1e6 for x in times.complete_by_command[command]])
            lines.append(
                f"    - `{command}`: n={s.count} p50 {s.p50:.2f} ms, p99 {s.p99:.2f} ms,"
                f" max {s.max:.2f} ms; whole answer sent: p50 {done.p50:.2f} ms,"
                f" p99 {done.p99:.2f} ms"
            )
    return lines
