"""Every registered command, with every role: the declared role is what the dispatcher enforces."""

import copy

import pytest

from bot.core.config import parse_config
from bot.core.dispatcher import Outcome
from bot.core.places import Place
from bot.core.roles import Role
from tests.conftest import MINIMAL_CONFIG, PRINCIPAL, REFERENT, TEACHER, ChatHarness

OTHER_REFERENT = "@referent-ailleurs:localhost"  # referent of another establishment
ADMIN = "@dane:localhost"
PEOPLE = {TEACHER: Role.TEACHER, REFERENT: Role.REFERENT, PRINCIPAL: Role.PRINCIPAL,
          OTHER_REFERENT: Role.TEACHER, ADMIN: Role.ADMIN}  # fmt: skip


@pytest.fixture
def two_schools(chat, tmp_path):
    raw = copy.deepcopy(MINIMAL_CONFIG)
    raw["establishment"].append(dict(raw["establishment"][0], id="lyc-autre", room="!autre:l",
                                     referents=[OTHER_REFERENT], principals=[]))  # fmt: skip
    raw["bot"]["admins"] = [ADMIN]
    raw["academy"] = {"room": "!academie:l", "name": "Académie de Test"}
    chat.config = parse_config(raw, tmp_path)
    return chat


def every_command(registry):
    for spec in registry.commands:
        yield spec
        yield from spec.sub_commands


async def test_every_command_enforces_its_declared_role(two_schools: ChatHarness):
    refusals = 0
    for spec in every_command(two_schools.registry):
        for person, role in PEOPLE.items():
            # Each command where it is used: the academy's in the academy's room.
            in_academy = not spec.used_in(Place.ESTABLISHMENT)
            await two_schools.say(person, f"!{spec.full_name}", in_academy=in_academy)
            forbidden = two_schools.outcome is Outcome.FORBIDDEN
            assert forbidden == (not spec.allows(role)), (spec.full_name, person)
            refusals += forbidden
    # The other establishment's referent is refused wherever a teacher is.
    assert refusals > 0
