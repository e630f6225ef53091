"""End-to-end fixtures: a real Synapse on a free loopback port and the real bot process.

Synapse and the bot are started once per test session; every test uses real
matrix-nio clients. Users keep one device (and crypto store) for the session,
as people do.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio

from bot.testbed import Account, BotProcess, ChatUser, LocalSynapse

PEOPLE = ("referent", "prof1", "prof2", "principal", "outsider")
SIMULATED_START = "2026-11-24T09:00:00+01:00"


@dataclass
class World:
    synapse: LocalSynapse
    bot_account: Account
    people: dict[str, Account]
    plain_room: str
    encrypted_room: str
    bot: BotProcess
    workdir: Path

    def user(self, name: str) -> ChatUser:
        return ChatUser(self.synapse.url, self.people[name], self.workdir / "clients" / name)


def write_bot_config(path: Path, world_url: str, bot: Account, people, plain: str, encrypted: str):
    establishments = ""
    for eid, name, room in (
        ("clg-clair", "Collège Clair", plain),
        ("clg-chiffre", "Collège Chiffré", encrypted),
    ):
        establishments += f'''
[[establishment]]
id = "{eid}"
name = "{name}"
room = "{room}"
zone = "B"
timezone = "Europe/Paris"
referents = ["{people["referent"].user_id}"]
principals = ["{people["principal"].user_id}"]
ticket_url = "https://support.example.org/glpi"
'''
    path.write_text(f'''
[matrix]
homeserver = "{world_url}"
user_id = "{bot.user_id}"
password_env = "RUPN_TEST_BOT_PASSWORD"
store_path = "data/store"

[bot]
database = "data/rupn.db"
allowed_inviters = ["@referent:localhost"]
log_level = "INFO"
allow_private_links = true
# A school Tuesday in zone B, whatever day the tests run; reminders checked twice a second.
simulated_start = "{SIMULATED_START}"
tick_seconds = 0.5
{establishments}''')


@pytest.fixture(scope="session")
def world(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("e2e")
    synapse = LocalSynapse(workdir / "synapse")
    synapse.start()
    try:
        bot_account = synapse.register("bot")
        people = {name: synapse.register(name) for name in PEOPLE}
        members = [bot_account.user_id] + [people[n].user_id for n in PEOPLE if n != "outsider"]
        rooms = {}
        for encrypted in (False, True):
            room = synapse.create_room(
                people["referent"],
                "Salle des profs",
                invite=members[:1] + members[2:],
                encrypted=encrypted,
            )
            for name in ("prof1", "prof2", "principal"):
                synapse.join(people[name], room)
            rooms[encrypted] = room
        config_path = workdir / "bot.toml"
        write_bot_config(config_path, synapse.url, bot_account, people, rooms[False], rooms[True])
        bot = BotProcess(
            config_path, workdir / "bot.log", env={"RUPN_TEST_BOT_PASSWORD": bot_account.password}
        )
        bot.start()
        yield World(synapse, bot_account, people, rooms[False], rooms[True], bot, workdir)
        bot.stop()
    finally:
        synapse.stop()


@pytest_asyncio.fixture
async def users(world):
    """Open chat clients by name: ``await users("prof1")``; closed after the test."""
    opened: list[ChatUser] = []

    async def open_user(name: str) -> ChatUser:
        user = world.user(name)
        await user.start()
        opened.append(user)
        return user

    yield open_user
    for user in opened:
        await user.close()


@pytest.fixture(params=["plain", "encrypted"])
def room(request, world) -> str:
    return world.plain_room if request.param == "plain" else world.encrypted_room
