"""Reply time as a person sees it: the echo bot and rupn-bot, alternately, by one real client.

One matrix-nio client (``ChatUser``, a teacher) types in turn ``!ping`` to the
echo bot, then ``!aide`` and ``!permanence`` to rupn-bot, in a plain room and
in an encrypted room, and waits each time for the answer before typing the next
line. A reply time runs from just before the client sends the command to the
sync that brings the answer back to it (decrypted in the encrypted room).
Alternating line by line means the machine's load, whatever it is, weighs on
both bots alike. The first rounds are not counted (encryption sessions are
shared on the first message of each room).
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass

from bench.world import World, cpu_seconds
from tests.support.testbed import ChatUser

KINDS = ("plain", "encrypted")


@dataclass(frozen=True)
class Line:
    label: str  # "echo !ping", "rupn-bot !aide", …
    text: str
    expect: str  # a piece of the answer's body


LINES = (
    Line("echo !ping", "!ping", "pong"),
    Line("rupn-bot !aide", "!aide", "Commandes d"),  # « de l’… », « du collège … »
    Line("rupn-bot !permanence", "!permanence", "ermanence"),
)


@dataclass
class ReplyTimes:
    samples: dict[tuple[str, str], list[float]]  # (room kind, line label) -> milliseconds
    # The homeserver's timestamps of the command and of its answer: the bot's part of the
    # reply time (sync delivery, handling, send), without the client's own requests.
    turnaround: dict[tuple[str, str], list[float]]
    cpu_ms_per_command: dict[str, float]  # bot -> CPU milliseconds per command it answered


async def measure(world: World, rounds: int = 200, warmup: int = 5) -> ReplyTimes:
    """Milliseconds per (room kind, line label), ``rounds`` samples each."""
    user = ChatUser(world.synapse.url, world.accounts["mesure"], world.ramdir / "clients" / "m")
    await user.start()
    samples: dict[tuple[str, str], list[float]] = defaultdict(list)
    turnaround: dict[tuple[str, str], list[float]] = defaultdict(list)
    pids = {"echo": world.echo.process.pid, "rupn-bot": world.bot.process.pid}
    cpu: dict[str, float] = {}
    try:
        for round_ in range(warmup + rounds):
            if round_ == warmup:
                cpu = {name: cpu_seconds(pid) for name, pid in pids.items()}
            for kind in KINDS:
                for line in LINES:
                    rooms = world.echo_rooms if line.label.startswith("echo") else world.reply_rooms
                    start = time.perf_counter()
                    command = await user.say(rooms[kind], line.text)
                    reply = await user.wait_reply(command, timeout=30)
                    elapsed = (time.perf_counter() - start) * 1000
                    if line.expect not in reply.body:
                        raise RuntimeError(
                            f"{line.label} in {kind}: unexpected {reply.body[:80]!r}"
                        )
                    if kind == "encrypted" and not reply.was_encrypted:
                        raise RuntimeError(f"{line.label}: the answer was not encrypted")
                    if round_ >= warmup:
                        samples[(kind, line.label)].append(elapsed)
                        stamps = _server_stamps(user, (command, reply.event_id))
                        if len(stamps) == 2:
                            turnaround[(kind, line.label)].append(stamps[1] - stamps[0])
            user.notices.clear()
            user.events.clear()
        per_bot = {"echo": 1, "rupn-bot": len(LINES) - 1}
        cpu_ms = {
            name: (cpu_seconds(pid) - cpu[name]) * 1000 / (rounds * len(KINDS) * per_bot[name])
            for name, pid in pids.items()
        }
    finally:
        await user.close()
    return ReplyTimes(dict(samples), dict(turnaround), cpu_ms)


def _server_stamps(user: ChatUser, event_ids: tuple[str, ...]) -> list[int]:
    """The homeserver's timestamps (ms) of these events, in that order, from what was synced."""
    stamps = {
        event.event_id: event.server_timestamp
        for _room, event in user.events
        if getattr(event, "event_id", None) in event_ids
    }
    return [stamps[e] for e in event_ids if e in stamps]
