"""The Friday pass sent at the bot's own pace, and a teacher's `!aide` answered meanwhile.

A second throw-away Synapse lets the bot's account send more than the bot's
pace (``rc_message`` at ``HOMESERVER_RATE`` a second after a burst of 10; the
rest is raised for set-up), and the bot keeps its messages to ``[bot]
messages_per_second`` (``BOT_RATE``, its default, what Tchap asks of bots).
The scheduler's Friday 16:00 pass
(``bench.scheduler_scale``) queues its messages for a sample of
establishments; then rupn-bot is started on that database and sends its
outbox as it does after any restart. A reader in every room, and each
establishment's principal and referent (who accept the bot's direct rooms: the
monthly digest and the permanence's preparation are direct messages), count
what arrives (Synapse's files in memory,
as in ``bench/world.py``); a teacher types ``!aide`` a few times while the
queue is being sent, and the time to each answer is read from the
homeserver's own timestamps (the command's and the answer's), so the
readers' syncs do not blur it. The sample is sized for about ``target``
messages; the time for all 430 establishments is extrapolated from the pace
measured.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import sqlite3
import statistics
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
    referent_of,
    to_toml,
)
from bench.world import BOT_PASSWORD_ENV, FAST_HASHING, _parallel
from bot.matrix.welcome import WELCOMED
from storage.stamps import from_stamp, to_stamp
from tests.support.testbed import BotProcess, ChatUser, LocalSynapse

BOT_RATE = 1.0  # [bot] messages_per_second: its default, what Tchap asks of bots
# rc_message.per_second: more than the bot's pace, as the homeserver counts every event
# the account creates, and the sample's principals and referents get their direct room
# created (a room and an invitation each) during the pass; with 1.2, one message in 27
# met a 429.
HOMESERVER_RATE = 2.0
HOMESERVER_BURST = 10
ASKS = 3  # times a teacher types !aide during the pass, one after the other's answer


@dataclass
class PacedResult:
    establishments: int
    queued: int = 0
    delivered: int = 0
    duplicates: int = 0
    rate_limited: int = 0  # 429s met by any request of the bot's account
    messages_limited: int = 0  # of which on sending a message (the rest: rooms created…)
    sent_at: list[float] = field(default_factory=list)  # seconds, homeserver-accepted sends
    unsent_left: int = 0
    # Seconds from each !aide to its answer, by the homeserver's timestamps.
    replies_during_pass_s: list[float] = field(default_factory=list)
    messages_per_establishment: float = 0.0
    bot_rate: float = BOT_RATE
    homeserver_rate: float = HOMESERVER_RATE

    @property
    def send_seconds(self) -> float:
        return self.sent_at[-1] - self.sent_at[0] if len(self.sent_at) > 1 else 0.0

    @property
    def interval(self) -> float:
        """Seconds between two scheduled messages (the median: an answer takes a slot)."""
        gaps = [b - a for a, b in zip(self.sent_at, self.sent_at[1:], strict=False)]
        return statistics.median(gaps) if gaps else float("nan")

    def extrapolate(self, establishments: int) -> float:
        """Seconds to send the same pass for ``establishments`` at the pace measured."""
        messages = establishments * self.messages_per_establishment
        return max(messages - 1, 0) * self.interval

    @property
    def slots(self) -> float:
        """The longest answer during the pass, in send slots of the bot's pace."""
        return max(self.replies_during_pass_s, default=0.0) * self.bot_rate


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
    rc_message = {"per_second": HOMESERVER_RATE, "burst_count": HOMESERVER_BURST}
    synapse = LocalSynapse(
        ramdir / "synapse-paced", overrides={**FAST_HASHING, "rc_message": rc_message}
    )
    synapse.start()
    bot = None
    try:
        ids = [f"etab-{i:03d}" for i in range(1, n + 1)]
        # Principals and referents exist, as in production: their direct messages (the
        # digest, the permanence's preparation) wait until they join.
        recipients = [
            person(eid).split(":")[0][1:] for eid in ids for person in (principal_of, referent_of)
        ]
        names = ["rupn", "dane", "lecteur", *recipients]
        accounts = dict(zip(names, _parallel(synapse.register, names), strict=True))
        created = _parallel(
            lambda eid: synapse.create_room(accounts["dane"], eid, public=True), ids
        )
        rooms = dict(zip(ids, created, strict=True))
        joins = [(accounts[who], room) for room in rooms.values() for who in ("rupn", "lecteur")]
        _parallel(lambda pair: synapse.join(*pair), joins)

        database = fresh_copy(seeded, workdir / "paced" / "rupn.db")
        # Rooms served for a year were greeted long ago: only the Friday pass goes out.
        with contextlib.closing(sqlite3.connect(database)) as db, db:
            db.executemany(
                "INSERT OR IGNORE INTO bot_state (key, value) VALUES (?, 'servi')",
                [(WELCOMED + room,) for room in rooms.values()],
            )
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
            bot={
                "log_level": "INFO",
                "simulated_start": NOW.isoformat(),
                "messages_per_second": BOT_RATE,
            },
        )
        config_path = workdir / "paced" / "bot.toml"
        config_path.write_text(to_toml(raw), encoding="utf-8")
        readers = [
            ChatUser(synapse.url, accounts[name], ramdir / "clients" / name)
            for name in ("lecteur", *recipients)
        ]
        await asyncio.gather(*(reader.start() for reader in readers))
        user = readers[0]
        bot = BotProcess(
            config_path,
            workdir / "paced" / "bot.log",
            env={BOT_PASSWORD_ENV: accounts["rupn"].password},
        )
        budget = 120 + result.queued / BOT_RATE
        starting = asyncio.create_task(asyncio.to_thread(bot.start, budget))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + budget
        asked: str | None = None  # the !aide waiting for its answer
        asks = 0
        bot_id = accounts["rupn"].user_id
        seen: dict[str, tuple[str, str]] = {}  # event id -> (room, body)
        stamps: dict[str, int] = {}  # the teacher's view: event id -> homeserver time (ms)
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
                    if reader is user:
                        stamps[event.event_id] = event.server_timestamp
                reader.events.clear()
            left = unsent(database)
            if asked and (answers := user.replies_to(asked)) and answers[0].event_id in stamps:
                result.replies_during_pass_s.append(
                    (stamps[answers[0].event_id] - stamps[asked]) / 1000
                )
                asked = None
            # Typed while the queue is being sent: once it has started, well before its end.
            sending = result.queued - left >= 2 and left >= 3
            if ask and asked is None and asks < ASKS and sending:
                asked = await user.say(first_room, "!aide")
                asks += 1
            answered = not ask or (asked is None and asks > 0)
            if left == 0 and len(seen) >= result.queued and answered:
                break
        await starting
        await asyncio.gather(*(reader.close() for reader in readers))
        result.delivered = len(seen)
        result.duplicates = len(seen) - len(set(seen.values()))
        result.unsent_left = unsent(database)
        result.sent_at = _sent_times(database)
        limited = [
            line for line in bot.log_text().splitlines() if "rate limited by the homeserver" in line
        ]
        result.rate_limited = len(limited)
        result.messages_limited = sum("RoomSendError" in line for line in limited)
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
