"""Scheduled messages sent at the homeserver's pace: Synapse's default message rate, no 429 lost.

A second throw-away Synapse keeps its built-in ``rc_message`` (0.2 message a
second per user after a burst of 10; everything else is raised for set-up).
The scheduler's Friday 16:00 pass (``bench.scheduler_scale``) queues its
messages for a sample of establishments; then rupn-bot is started on that
database and sends its outbox as it does after any restart, meeting 429s and
waiting as told. A reader in every room, and each establishment's principal
(who accepts the bot's direct room: the monthly digest is a direct message),
count what arrives (Synapse's files in memory, as in ``bench/world.py``); a
teacher types ``!aide`` in the middle of it. The sample is sized for about
``target`` messages: at 0.2/s, all 430 establishments would take an hour and
a half, and the time for them is extrapolated from the pace measured. The bot's joins of the
sample's rooms, seconds before, use up the burst allowance (membership events
count as messages), so every message of the sample is paced; the
extrapolation credits the full allowance of a bot that has been idle.
"""

from __future__ import annotations

import asyncio
import math
import sqlite3
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

from nio import MegolmEvent, RoomMessage

from bench.scheduler_scale import run_every_job, unsent
from bench.seed import (
    NOW,
    academy_config,
    academy_raw_config,
    fresh_copy,
    principal_of,
    to_toml,
)
from bench.world import BOT_PASSWORD_ENV, FAST_HASHING, _parallel
from storage.stamps import from_stamp, to_stamp
from tests.support.testbed import BotProcess, ChatUser, LocalSynapse

SYNAPSE_DEFAULT_RATE = 0.2  # rc_message.per_second when homeserver.yaml does not set it
SYNAPSE_DEFAULT_BURST = 10


@dataclass
class PacedResult:
    establishments: int
    queued: int = 0
    delivered: int = 0
    duplicates: int = 0
    rate_limited: int = 0
    sent_at: list[float] = field(default_factory=list)  # seconds, homeserver-accepted sends
    unsent_left: int = 0
    reply_during_flush_s: float | None = None
    messages_per_establishment: float = 0.0

    @property
    def send_seconds(self) -> float:
        return self.sent_at[-1] - self.sent_at[0] if len(self.sent_at) > 1 else 0.0

    @property
    def interval(self) -> float:
        """Seconds between two messages once the homeserver paces them (the burst left out)."""
        gaps = [b - a for a, b in zip(self.sent_at, self.sent_at[1:], strict=False)]
        paced = [g for g in gaps if g > 0.5]
        return statistics.median(paced) if paced else float("nan")

    def extrapolate(self, establishments: int) -> float:
        """Seconds to send the same pass for ``establishments`` when the burst allowance is full."""
        messages = establishments * self.messages_per_establishment
        return max(messages - SYNAPSE_DEFAULT_BURST, 0) * self.interval


def sample_size(per_establishment: float, target: int, count: int) -> int:
    if per_establishment <= 0:
        return min(count, 4)
    return max(2, min(count, math.ceil(target / per_establishment)))


async def run(
    workdir: Path,
    ramdir: Path,
    seeded: Path,
    per_establishment: float,
    count: int,
    target: int = 12,
) -> PacedResult:
    n = sample_size(per_establishment, target, count)
    synapse = LocalSynapse(ramdir / "synapse-paced", overrides={**FAST_HASHING, "rc_message": None})
    synapse.start()
    bot = None
    try:
        ids = [f"etab-{i:03d}" for i in range(1, n + 1)]
        # Principals exist, as in production: their digest waits until they join.
        principals = [principal_of(eid).split(":")[0][1:] for eid in ids]
        names = ["rupn", "dane", "lecteur", *principals]
        accounts = dict(zip(names, _parallel(synapse.register, names), strict=True))
        created = _parallel(
            lambda eid: synapse.create_room(accounts["dane"], eid, public=True), ids
        )
        rooms = dict(zip(ids, created, strict=True))
        joins = [(accounts[who], room) for room in rooms.values() for who in ("rupn", "lecteur")]
        _parallel(lambda pair: synapse.join(*pair), joins)

        database = fresh_copy(seeded, workdir / "paced" / "rupn.db")
        queued = await run_every_job(academy_config(n, database=database, rooms=rooms))
        result = PacedResult(n, queued=queued.queued)
        result.messages_per_establishment = queued.queued / n

        raw = academy_raw_config(
            n,
            database="rupn.db",
            rooms=rooms,
            matrix={
                "homeserver": synapse.url,
                "user_id": accounts["rupn"].user_id,
                "password_env": BOT_PASSWORD_ENV,
                "store_path": "store",
            },
            bot={"log_level": "INFO", "simulated_start": NOW.isoformat()},
        )
        config_path = workdir / "paced" / "bot.toml"
        config_path.write_text(to_toml(raw), encoding="utf-8")
        readers = [
            ChatUser(synapse.url, accounts[name], ramdir / "clients" / name)
            for name in ("lecteur", *principals)
        ]
        await asyncio.gather(*(reader.start() for reader in readers))
        user = readers[0]
        bot = BotProcess(
            config_path,
            workdir / "paced" / "bot.log",
            env={BOT_PASSWORD_ENV: accounts["rupn"].password},
        )
        budget = 120 + result.queued / SYNAPSE_DEFAULT_RATE
        starting = asyncio.create_task(asyncio.to_thread(bot.start, budget))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + budget
        asked = asked_at = None
        bot_id = accounts["rupn"].user_id
        seen: dict[str, tuple[str, str]] = {}  # event id -> (room, body)
        first_room = rooms[ids[0]]
        ask = result.queued >= 4  # only when there is a queue to wait in
        while loop.time() < deadline:
            await asyncio.gather(*(reader.sync_once(timeout_ms=1000) for reader in readers))
            for reader in readers[1:]:
                await reader.accept_invites()
            for reader in readers:
                for room_id, event in reader.events:
                    if _scheduled_message(event, bot_id):
                        seen[event.event_id] = (room_id, getattr(event, "body", event.event_id))
                reader.events.clear()
            left = unsent(database)
            if ask and asked is None and result.queued - left >= 2:
                asked_at = time.perf_counter()
                asked = await user.say(first_room, "!aide")
            if asked and result.reply_during_flush_s is None and user.replies_to(asked):
                result.reply_during_flush_s = time.perf_counter() - asked_at
            answered = not ask or result.reply_during_flush_s is not None
            if left == 0 and len(seen) >= result.queued and answered:
                break
        await starting
        await asyncio.gather(*(reader.close() for reader in readers))
        result.delivered = len(seen)
        result.duplicates = len(seen) - len(set(seen.values()))
        result.unsent_left = unsent(database)
        result.sent_at = _sent_times(database)
        result.rate_limited = bot.log_text().count("rate limited by the homeserver")
        return result
    finally:
        if bot is not None:
            bot.stop()
        synapse.stop()


def _scheduled_message(event, bot_id: str) -> bool:
    """A message the bot posted on its own (not an answer, not a room's set-up state)."""
    if getattr(event, "sender", None) != bot_id:
        return False
    if not isinstance(event, RoomMessage | MegolmEvent):
        return False
    content = (getattr(event, "source", None) or {}).get("content", {})
    return "m.relates_to" not in content


def _sent_times(database: Path) -> list[float]:
    """When each message of this pass reached the homeserver, in seconds, in order."""
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        rows = conn.execute(
            "SELECT sent_at FROM outbox WHERE created_at >= ? AND sent_at IS NOT NULL"
            " ORDER BY sent_at",
            (to_stamp(NOW),),
        ).fetchall()
    finally:
        conn.close()
    return [from_stamp(row[0]).timestamp() for row in rows]
