"""The homeserver side of the benchmarks: a throw-away Synapse, accounts, rooms, bots.

One room per establishment of the académie (``ESTABLISHMENTS``), all joined by
rupn-bot, which runs as a real child process (``rupn-bot run``) on a copy of
the seeded database with a configuration of every establishment. Rooms are
end-to-end encrypted, as Tchap staff rooms are, except those the benchmarks
want plain. Which rooms the clients use:

- reply time: ``etab-001`` (plain) and ``etab-002`` (encrypted) for rupn-bot, and
  two rooms of the same shape for the echo bot. The echo bot is also a member
  of every establishment room where nobody types, so both bots carry nearly the
  same homeserver load (a member of 430 rooms waits longer for each sync than a
  member of two: about 10 ms a reply, measured here). It answers only in its own
  two rooms, where rupn-bot is not: in a shared room rupn-bot would answer
  ``!ping`` itself (unknown command), and each bot would read the other's
  traffic, so the two would slow each other;
- burst: one room per client from ``etab-003`` on, half plain, half encrypted.

Rooms are created with the public preset (no invitation to send: set-up is a
third faster) and hold the bots, the account that created them and the
benchmark's client; a real room has dozens of members, so member state,
start-up and memory are lower bounds there.

Synapse's files and the clients' stores live in ``ramdir`` (``/dev/shm`` when
there is one): Synapse on SQLite fsyncs every commit, and on a disk shared with
other work that made the homeserver, not the bots, the bottleneck (sending one
message took 0.6 to 1 s during a burst). A production homeserver runs on
PostgreSQL and its own disks. The bots keep their files on the disk, as in
production.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from bench.echo_bot import EchoBotProcess
from bench.seed import NOW, academy_raw_config, establishment_id, fresh_copy, to_toml
from bot.matrix.welcome import WELCOMED
from tests.support.testbed import Account, BotProcess, LocalSynapse

BOT_PASSWORD_ENV = "RUPN_BENCH_BOT_PASSWORD"
# Passwords hashed with 4 bcrypt rounds, not 12: registering 60 accounts is set-up.
FAST_HASHING = {"bcrypt_rounds": 4}
# The bot's clock: the seeded Friday, in the morning, when no reminder is due
# (the paced benchmark, not this one, sends the 16:00 messages).
MORNING = NOW.replace(hour=10)
THREADS = 4


@dataclass
class World:
    synapse: LocalSynapse
    workdir: Path
    ramdir: Path
    accounts: dict[str, Account]
    rooms: dict[str, str]  # establishment id -> room id
    reply_rooms: dict[str, str]  # "plain" / "encrypted" -> rupn-bot's room
    echo_rooms: dict[str, str]  # "plain" / "encrypted" -> the echo bot's room
    burst: list[tuple[Account, str, str]]  # client, establishment id, room id
    database: Path
    bot: BotProcess
    echo: EchoBotProcess
    timings: dict[str, float] = field(default_factory=dict)

    def stop(self) -> None:
        for process in (self.echo, self.bot):
            with contextlib.suppress(Exception):  # tear-down goes on whatever happened
                process.stop()
        self.synapse.stop()


def _parallel(function, items):
    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(function, items))


def ram_directory(fallback: Path) -> Path:
    """A fresh directory in memory (``/dev/shm``), or ``fallback`` where there is none."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        return Path(tempfile.mkdtemp(prefix="rupn-bench-", dir=shm))
    fallback.mkdir(parents=True, exist_ok=True)
    return fallback


def build_world(workdir: Path, ramdir: Path, seeded: Path, count: int, burst_clients: int) -> World:
    """Start Synapse, create everyone and every room, start rupn-bot and the echo bot."""
    timings: dict[str, float] = {}
    started = time.monotonic()
    synapse = LocalSynapse(ramdir / "synapse", overrides=FAST_HASHING)
    synapse.start()
    try:
        timings["synapse start"] = time.monotonic() - started
        return _populate(synapse, workdir, ramdir, seeded, count, burst_clients, timings)
    except BaseException:
        synapse.stop()
        raise


def _populate(synapse, workdir, ramdir, seeded, count, burst_clients, timings) -> World:
    mark = time.monotonic()
    names = ["rupn", "echo", "dane", "mesure"] + [f"prof-b{i:02d}" for i in range(burst_clients)]
    accounts = dict(zip(names, _parallel(synapse.register, names), strict=True))
    bot, owner, measurer = accounts["rupn"], accounts["dane"], accounts["mesure"]
    bursters = [accounts[n] for n in names[4:]]
    timings["accounts"] = time.monotonic() - mark

    mark = time.monotonic()
    ids = [establishment_id(i) for i in range(1, count + 1)]
    plain = {ids[0]} | set(ids[2 : 2 + burst_clients // 2])
    burst = list(zip(bursters, ids[2:], strict=False))
    created = _parallel(
        lambda eid: synapse.create_room(owner, eid, encrypted=eid not in plain, public=True), ids
    )
    rooms = dict(zip(ids, created, strict=True))
    echo_rooms = {
        kind: synapse.create_room(owner, f"echo-{kind}", encrypted=kind == "encrypted", public=True)
        for kind in ("plain", "encrypted")
    }
    typed_in = {ids[0], ids[1]} | {eid for _client, eid in burst}
    joins = [(bot, room) for room in rooms.values()]
    joins += [(accounts["echo"], rooms[eid]) for eid in ids if eid not in typed_in]
    joins += [(accounts["echo"], room) for room in echo_rooms.values()]
    joins += [(measurer, room) for room in (rooms[ids[0]], rooms[ids[1]], *echo_rooms.values())]
    joins += [(client, rooms[eid]) for client, eid in burst]
    _parallel(lambda pair: synapse.join(*pair), joins)
    timings["rooms"] = time.monotonic() - mark

    database = fresh_copy(seeded, workdir / "data" / "rupn.db")
    # The seeded academy has been served for a year: its rooms were greeted long
    # ago, and 430 greetings at the first start would be measured with the replies.
    with contextlib.closing(sqlite3.connect(database)) as db, db:
        db.executemany(
            "INSERT OR IGNORE INTO bot_state (key, value) VALUES (?, 'servi')",
            [(WELCOMED + room,) for room in rooms.values()],
        )
    raw = academy_raw_config(
        count,
        database="data/rupn.db",
        rooms=rooms,
        matrix={
            "homeserver": synapse.url,
            "user_id": bot.user_id,
            "password_env": BOT_PASSWORD_ENV,
            "store_path": "data/store",
        },
        bot={"log_level": "INFO", "simulated_start": MORNING.isoformat()},
    )
    config_path = workdir / "bot.toml"
    config_path.write_text(to_toml(raw), encoding="utf-8")
    process = BotProcess(config_path, workdir / "bot.log", env={BOT_PASSWORD_ENV: bot.password})
    echo = EchoBotProcess(
        synapse.url, accounts["echo"], workdir / "echo-store", workdir / "echo.log"
    )
    mark = time.monotonic()
    try:
        process.start(timeout=300)
        timings["first start"] = time.monotonic() - mark
        echo.start()
    except BaseException:
        echo.stop()
        process.stop()
        raise
    return World(
        synapse=synapse,
        workdir=workdir,
        ramdir=ramdir,
        accounts=accounts,
        rooms=rooms,
        reply_rooms={"plain": rooms[ids[0]], "encrypted": rooms[ids[1]]},
        echo_rooms=echo_rooms,
        burst=[(client, eid, rooms[eid]) for client, eid in burst],
        database=database,
        bot=process,
        echo=echo,
        timings=timings,
    )


def rss_kib(pid: int) -> tuple[int, int]:
    """Resident memory now and its peak (VmRSS, VmHWM) of a process, in KiB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0])
    return fields["VmRSS"], fields["VmHWM"]


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
