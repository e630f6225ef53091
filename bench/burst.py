"""A burst: many people typing at once in many rooms, every command answered exactly once.

``clients`` real matrix-nio clients, each a teacher in the room of its own
establishment (half the rooms plain, half encrypted), type ``commands`` lines
in all, evenly spread over ``window`` seconds: the teachers' probes of
``bench.seed.COMMANDS`` (those marked ``burst``), with live slot numbers read
from the bot's database. Each client keeps syncing and notes every answer of
the bot (an event in reply to one of its commands). Counted: commands with no
answer (lost), with more than one (twice), and the time from the first
command sent to the last answer seen (drain).
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import time
from dataclasses import dataclass, field

from nio import MegolmEvent

from bench.seed import COMMANDS, fill
from bench.stats import summary
from bench.world import MORNING, World, cpu_seconds
from tests.support.testbed import ChatUser


@dataclass
class Sent:
    line: str
    started: float
    event_id: str | None = None
    sent_at: float | None = None
    answers: int = 0
    answered_at: float | None = None


@dataclass
class BurstResult:
    clients: int
    sent: int = 0
    answered: int = 0
    twice: int = 0
    undecryptable: int = 0
    send_window: float = 0.0
    drain: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    send_ms: list[float] = field(default_factory=list)
    send_errors: int = 0
    cpu_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def lost(self) -> int:
        return self.sent - self.answered

    def describe(self) -> list[str]:
        s = summary(self.latencies_ms)
        return [
            f"- {self.sent} commands from {self.clients} clients sent in {self.send_window:.1f} s;"
            f" answered {self.answered}, lost {self.lost}, answered twice {self.twice},"
            f" undecryptable answers {self.undecryptable}, send errors {self.send_errors}",
            f"- reply time during the burst: p50 {s.p50:.0f} ms, p95 {s.p95:.0f} ms,"
            f" max {s.max:.0f} ms; drained {self.drain:.1f} s after the first command",
            f"- sending a command (the client's request to the homeserver): p50"
            f" {summary(self.send_ms).p50:.0f} ms, p95 {summary(self.send_ms).p95:.0f} ms",
            "- CPU time used from the first command to the drain: "
            + ", ".join(f"{k} {v:.1f} s" for k, v in self.cpu_seconds.items()),
        ]


def burst_lines(world: World, per_client: int, rng: random.Random) -> list[list[str]]:
    """Each client's lines: teachers' burst probes with live values from the bot's database."""
    probes = [
        (family, p)
        for family, items in COMMANDS.items()
        for p in items
        if p.burst and p.role == "teacher"
    ]
    db = sqlite3.connect(f"file:{world.database}?mode=ro", uri=True)
    try:
        plans = []
        for _client, eid, _room in world.burst:
            lines: list[str] = []
            while len(lines) < per_client:
                family, probe = rng.choice(probes)
                lines += fill(probe, family, db, eid, MORNING, rng)
            plans.append(lines[:per_client])
        return plans
    finally:
        db.close()


async def run(world: World, commands: int = 1000, window: float = 10.0) -> BurstResult:
    clients = len(world.burst)
    per_client = commands // clients
    plans = burst_lines(world, per_client, random.Random(5))
    users = [
        ChatUser(world.synapse.url, account, world.ramdir / "clients" / account.user_id[1:9])
        for account, _eid, _room in world.burst
    ]
    await asyncio.gather(*(u.start() for u in users))
    # One message that is no command per room first: encryption sessions are shared then.
    await asyncio.gather(
        *(u.say(room, "bonjour") for u, (_a, _e, room) in zip(users, world.burst, strict=True))
    )
    bot_id = world.accounts["rupn"].user_id
    result = BurstResult(clients)
    sent: list[list[Sent]] = [[] for _ in users]
    loop = asyncio.get_running_loop()
    begin = loop.time() + 1.0
    sending_done = asyncio.Event()

    async def send_one(user: ChatUser, room: str, item: Sent) -> None:
        try:
            item.event_id = await user.say(room, item.line)
            item.sent_at = time.perf_counter()
        except Exception:
            result.send_errors += 1

    async def send(i: int) -> None:
        # Each line leaves at its time, whether the homeserver has taken the previous
        # one yet or not: the burst is spread over the window whatever its pace.
        user, room, pending = users[i], world.burst[i][2], []
        for j, line in enumerate(plans[i]):
            due = begin + (j + i / clients) * window / per_client
            await asyncio.sleep(max(0.0, due - loop.time()))
            item = Sent(line, time.perf_counter())
            sent[i].append(item)
            pending.append(asyncio.create_task(send_one(user, room, item)))
        await asyncio.gather(*pending)

    async def receive(i: int, deadline: float) -> None:
        user, seen, last_look = users[i], 0, False
        by_event = {}
        while True:
            for item in sent[i]:
                if item.event_id:
                    by_event[item.event_id] = item
            for _room, event in user.events[seen:]:
                if getattr(event, "sender", None) != bot_id:
                    continue
                if isinstance(event, MegolmEvent):
                    result.undecryptable += 1
                    continue
                content = (getattr(event, "source", None) or {}).get("content", {})
                target = content.get("m.relates_to", {}).get("m.in_reply_to", {}).get("event_id")
                if target in by_event:
                    item = by_event[target]
                    item.answers += 1
                    item.answered_at = item.answered_at or time.perf_counter()
            seen = len(user.events)
            done = sending_done.is_set() and all(s.answers for s in sent[i] if s.event_id)
            if last_look or loop.time() > deadline:
                return
            # Once all is answered, one more sync: an answer sent twice would show there.
            last_look = done
            await user.sync_once(timeout_ms=1500 if done else 1000)

    processes = {"rupn-bot": world.bot.process.pid, "Synapse": world.synapse.process.pid}
    cpu_before = {name: cpu_seconds(pid) for name, pid in processes.items()}
    bench_before = time.process_time()
    try:
        receivers = [asyncio.create_task(receive(i, begin + window + 180)) for i in range(clients)]
        await asyncio.gather(*(send(i) for i in range(clients)))
        sending_done.set()
        await asyncio.gather(*receivers)
        for name, pid in processes.items():
            result.cpu_seconds[name] = cpu_seconds(pid) - cpu_before[name]
        result.cpu_seconds["the clients (this process)"] = time.process_time() - bench_before
    finally:
        await asyncio.gather(*(u.close() for u in users), return_exceptions=True)

    items = [s for per in sent for s in per if s.event_id]
    result.sent = len(items)
    result.answered = sum(1 for s in items if s.answers)
    result.twice = sum(1 for s in items if s.answers > 1)
    first = min(s.started for s in items)
    result.send_window = max(s.started for s in items) - first
    answered = [s for s in items if s.answered_at]
    if answered:
        result.drain = max(s.answered_at for s in answered) - first
        result.latencies_ms = [(s.answered_at - s.started) * 1000 for s in answered]
    result.send_ms = [(s.sent_at - s.started) * 1000 for s in items]
    return result
