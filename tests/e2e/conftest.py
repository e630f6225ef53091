"""End-to-end fixtures: a real Synapse on a free loopback port and the real bot process.

Synapse and the bot are started once per test session; every test uses real
matrix-nio clients. Users keep one device (and crypto store) for the session,
as people do.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import pytest_asyncio

from tests.support.notify import NotifyListener
from tests.support.testbed import Account, BotProcess, ChatUser, LocalSynapse, establishment_toml

PEOPLE = ("referent", "prof1", "prof2", "principal", "outsider")
# A third establishment, a lycée: a room of six people of whom only its referent
# uses the bot (the others never typed a command), and a principal outside it.
LYCEE_ROOM_PEOPLE = ("referente-lycee", *(f"lycee-prof{n}" for n in range(1, 6)))
LYCEE_PEOPLE = (*LYCEE_ROOM_PEOPLE, "proviseure")
# The academy's team (bot.admins), in the academy's own room.
ACADEMY_PEOPLE = ("conseillere-dane",)
SIMULATED_START = "2026-11-24T09:00:00+01:00"


@dataclass
class World:
    """A homeserver, its accounts, the two establishment rooms and the bot process."""

    synapse: LocalSynapse
    bot_account: Account
    people: dict[str, Account]
    plain_room: str
    encrypted_room: str
    lycee_room: str
    academy_room: str
    bot: BotProcess
    workdir: Path
    notify: NotifyListener  # the bot runs as under systemd's Type=notify
    teachers: list[Account] = field(default_factory=list)

    @property
    def served_rooms(self) -> tuple[str, ...]:
        """Every establishment's room, one per establishment of the config."""
        return (self.plain_room, self.encrypted_room, self.lycee_room)

    def user(self, name: str) -> ChatUser:
        return ChatUser(self.synapse.url, self.people[name], self.workdir / "clients" / name)

    def more_teachers(self, count: int) -> list[str]:
        """At least ``count`` extra teachers, members of both rooms; returns their names."""
        while len(self.teachers) < count:
            name = f"prof-extra{len(self.teachers) + 1}"
            account = self.synapse.register(name)
            for room in (self.plain_room, self.encrypted_room):
                self.synapse.bring_in(self.people["referent"], account, room)
            self.people[name] = account
            self.teachers.append(account)
        return [f"prof-extra{n + 1}" for n in range(count)]

    def newcomer(self) -> str:
        """The name of a new teacher, member of both rooms, whom the bot never saw."""
        return self.more_teachers(len(self.teachers) + 1)[-1]

    def stop(self) -> None:
        self.bot.stop()
        self.synapse.stop()
        self.notify.close()


def bot_config(
    world_url: str,
    bot: Account,
    people,
    plain: str,
    encrypted: str,
    lycee: str | None = None,
    academy: str | None = None,
    *,
    commands_per_minute: int = 1000,
) -> str:
    establishments = ""
    for eid, name, room in (
        ("clg-clair", "Collège Clair", plain),
        ("clg-chiffre", "Collège Chiffré", encrypted),
    ):
        establishments += establishment_toml(
            eid, name, room, people["referent"].user_id, people["principal"].user_id, "Rennes"
        )
    academy_tables = ""
    if academy:
        academy_tables = (
            f'admins = ["{people["conseillere-dane"].user_id}"]\n\n'
            f'[academy]\nroom = "{academy}"\nname = "Académie de Test"\n'
        )
    if lycee:
        establishments += establishment_toml(
            "lyc-ouvert",
            "Lycée Ouvert",
            lycee,
            people["referente-lycee"].user_id,
            people["proviseure"].user_id,
            "Brest",
        )
    return f'''
[matrix]
homeserver = "{world_url}"
user_id = "{bot.user_id}"
password_env = "RUPN_TEST_BOT_PASSWORD"
store_path = "data/store"

[bot]
database = "data/rupn.db"
log_level = "INFO"
allow_private_links = true
# A school Tuesday in zone B, whatever day the tests run; reminders checked twice a second.
simulated_start = "{SIMULATED_START}"
tick_seconds = 0.5
# The tests' people type far more than a colleague does; test_budget.py keeps the default.
commands_per_minute = {commands_per_minute}
# The tests' scheduled messages go at once (one a second is the default, for Tchap):
# a test would otherwise wait for them behind its own commands' answers.
messages_per_second = 20
{academy_tables}{establishments}'''


def build_world(
    workdir: Path, *, relaxed_rate_limits: bool = True, commands_per_minute: int = 1000
) -> World:
    """Start Synapse, register everyone, create a plain and an encrypted room, start the bot."""
    synapse = LocalSynapse(workdir / "synapse", relaxed_rate_limits=relaxed_rate_limits)
    synapse.start()
    notify = NotifyListener(workdir / "notify.sock", workdir / "bot.log")
    try:
        bot_account = synapse.register("bot")
        people = {name: synapse.register(name) for name in PEOPLE}
        members = [bot_account.user_id] + [
            people[n].user_id for n in PEOPLE if n not in ("outsider", "referent")
        ]
        rooms = {}
        for encrypted in (False, True):
            room = synapse.create_room(
                people["referent"], "Salle des profs", invite=members, encrypted=encrypted
            )
            for name in ("prof1", "prof2", "principal"):
                synapse.join(people[name], room)
            rooms[encrypted] = room
        people |= {name: synapse.register(name) for name in LYCEE_PEOPLE}
        lycee_members = [bot_account.user_id] + [people[n].user_id for n in LYCEE_ROOM_PEOPLE[1:]]
        lycee = synapse.create_room(
            people["referente-lycee"], "Salle des profs du lycée", invite=lycee_members
        )
        for name in LYCEE_ROOM_PEOPLE[1:]:
            synapse.join(people[name], lycee)
        people |= {name: synapse.register(name) for name in ACADEMY_PEOPLE}
        academy = synapse.create_room(
            people["conseillere-dane"], "DANE", invite=[bot_account.user_id]
        )
        config_path = workdir / "bot.toml"
        config_path.write_text(
            bot_config(
                synapse.url,
                bot_account,
                people,
                rooms[False],
                rooms[True],
                lycee,
                academy,
                commands_per_minute=commands_per_minute,
            )
        )
        bot = BotProcess(
            config_path,
            workdir / "bot.log",
            env={"RUPN_TEST_BOT_PASSWORD": bot_account.password, **notify.env},
        )
        bot.start()
    except BaseException:
        synapse.stop()
        notify.close()
        raise
    return World(
        synapse,
        bot_account,
        people,
        rooms[False],
        rooms[True],
        lycee,
        academy,
        bot,
        workdir,
        notify,
    )


@pytest.fixture(scope="session")
def world(tmp_path_factory):
    world = build_world(tmp_path_factory.mktemp("e2e"))
    yield world
    world.stop()
    assert_no_secret_in_log(world)


def assert_no_secret_in_log(world: World) -> None:
    """After the whole run: no password and no access token ever reached the log."""
    log = world.bot.log_text()
    credentials = world.workdir / "data" / "store" / "credentials.json"
    secrets = [world.bot_account.password, json.loads(credentials.read_text())["access_token"]]
    secrets += [account.access_token for account in world.people.values()]
    leaked = [s[:6] + "…" for s in secrets if s in log]
    assert not leaked, f"secrets found in the bot log: {leaked}"


@pytest_asyncio.fixture
async def users(world):
    """Open chat clients by name: ``await users("prof1")``; closed after the test."""
    async with OpenedClients(world) as open_user:
        yield open_user


class OpenedClients:
    """Opens ChatUsers of a world on demand and closes them all at the end."""

    def __init__(self, world: World):
        self.world = world
        self.opened: list[ChatUser] = []

    async def __aenter__(self):
        return self.open

    async def open(self, name: str) -> ChatUser:
        user = self.world.user(name)
        await user.start()
        self.opened.append(user)
        return user

    async def __aexit__(self, *exc):
        for user in self.opened:
            await user.close()


@pytest.fixture(params=["plain", "encrypted"])
def room(request, world) -> str:
    return world.plain_room if request.param == "plain" else world.encrypted_room
