"""Commands typed in a private room with the bot: the choice of establishment, where answers go.

The Matrix side (who is a member of which room) is exercised on a real
Synapse in ``tests/e2e/test_private.py``; here the handlers get the Context a
private room gives them.
"""

from __future__ import annotations

import dataclasses

import pytest

from bot.core.context import Context
from bot.core.dispatcher import Dispatcher
from storage.direct import chosen_establishment
from storage.donnees import export_user
from storage.establishments import sync_establishments
from storage.oubli import forget_user
from tests.conftest import REFERENT, TEACHER

PRIVATE_ROOM = "!prive:localhost"


@pytest.fixture
def two_schools(chat):
    first = chat.config.establishments[0]
    second = dataclasses.replace(
        first, id="clg-autre", name="Collège Autre", room="!autre:localhost"
    )
    sync_establishments(chat.db, [first, second], chat.now)
    return first, second


async def say_privately(chat, sender, body, establishment, choices) -> Context:
    chat.counter += 1
    ctx = chat.context(
        sender,
        f"$prive{chat.counter}",
        establishment=establishment,
        room_id=PRIVATE_ROOM,
        shared_room_id=establishment.room,
        choices=tuple(choices),
    )
    chat.outcome = await Dispatcher(chat.registry).handle(ctx, body)
    return ctx


async def test_a_member_of_two_schools_chooses_by_number_or_name(chat, two_schools):
    first, second = two_schools
    await say_privately(chat, TEACHER, "!etablissement", first, two_schools)
    listing = chat.messenger.last.body
    assert listing.startswith("Vous n'avez pas encore choisi d'établissement")
    assert "1. Collège" in listing and "2. Collège Autre" in listing

    await say_privately(chat, TEACHER, "!etablissement 2", first, two_schools)
    assert "vos commandes agissent désormais pour **le collège Autre**" in chat.messenger.last.body
    assert chosen_establishment(chat.db, TEACHER) == "clg-autre"
    await say_privately(chat, TEACHER, "!établissement 9", first, two_schools)
    assert "Je ne trouve pas « 9 » parmi vos établissements" in chat.messenger.last.body
    assert chosen_establishment(chat.db, TEACHER) == "clg-autre"  # a bad choice changes nothing
    await say_privately(chat, TEACHER, f"!etablissement {first.id}", second, two_schools)
    assert chosen_establishment(chat.db, TEACHER) == first.id
    assert all(s.room_id == PRIVATE_ROOM for s in chat.messenger.sent)

    # The choice is the person's: exported, and forgotten with them.
    assert (
        export_user(chat.db, TEACHER)["direct_choices.user_id"][0]["establishment_id"] == first.id
    )
    forget_user(chat.db, TEACHER)
    assert chosen_establishment(chat.db, TEACHER) is None


async def test_in_the_room_the_command_says_which_school_it_is(chat):
    reply = await chat.say(TEACHER, "!etablissement")
    assert reply.body.startswith("Ici, vos commandes agissent pour")


async def test_what_the_room_must_see_goes_there_and_the_answer_stays_private(chat):
    school = chat.config.establishments[0]
    await say_privately(
        chat,
        REFERENT,
        "!enquete ouvrir https://framaforms.org/bilan 9 décembre Bilan",
        school,
        [school],
    )
    to_room, in_private = chat.messenger.sent
    assert to_room.room_id == school.room and to_room.reply_to is None
    assert in_private.room_id == PRIVATE_ROOM and in_private.reply_to.startswith("$prive")
    assert to_room.message.body == in_private.message.body
    assert to_room.message.body.startswith("Enquête n° 1 ouverte : Bilan")

    # A private answer is never copied to the room.
    await say_privately(
        chat, TEACHER, "!panne mon ordinateur portable ne démarre plus", school, [school]
    )
    assert chat.messenger.sent[-1].room_id == PRIVATE_ROOM
    assert len([s for s in chat.messenger.sent if s.room_id == school.room]) == 1
