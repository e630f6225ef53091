"""Private messages with the bot on a real Synapse: the right establishment, nothing in the room.

A teacher opens a private room with the bot (as Element does: ``is_direct``,
encrypted) and types a command there: it acts for the establishment whose room
they are a member of, the answer stays private, and what the room must see (a
shared link) still goes to the room. A member of both rooms chooses once; an
outsider gets one sentence.
"""

from __future__ import annotations

import asyncio
import sqlite3

from nio import JoinedMembersResponse, RoomCreateResponse, RoomPreset

ENCRYPTION = {
    "type": "m.room.encryption",
    "state_key": "",
    "content": {"algorithm": "m.megolm.v1.aes-sha2"},
}


def member_of_plain_room_only(world, name: str) -> str:
    """Register ``name`` and make them a member of the plain room only."""
    if name not in world.people:
        account = world.synapse.register(name)
        world.synapse.api(
            "POST",
            f"/_matrix/client/v3/rooms/{world.plain_room}/invite",
            {"user_id": account.user_id},
            token=world.people["referent"].access_token,
        )
        world.synapse.join(account, world.plain_room)
        world.people[name] = account
    return name


async def open_private_room(world, user, timeout: float = 30) -> str:
    """Open an encrypted direct room with the bot; returns once the bot has joined it."""
    bot = world.bot_account.user_id
    resp = await user.client.room_create(
        is_direct=True, invite=[bot], preset=RoomPreset.trusted_private_chat,
        initial_state=[ENCRYPTION],
    )  # fmt: skip
    assert isinstance(resp, RoomCreateResponse), resp
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        members = await user.client.joined_members(resp.room_id)
        if isinstance(members, JoinedMembersResponse) and bot in {
            m.user_id for m in members.members
        }:
            await user.sync_once()
            return resp.room_id
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("the bot did not join the private room")
        await user.sync_once()


def incidents_of(world, user_id: str) -> list[tuple[str, str]]:
    """(establishment, description) of the breakdowns reported by ``user_id``."""
    with sqlite3.connect(world.workdir / "data" / "rupn.db") as db:
        return db.execute(
            "SELECT establishment_id, description FROM incidents WHERE reporter = ? ORDER BY id",
            (user_id,),
        ).fetchall()


async def test_a_private_command_acts_for_the_one_establishment_and_stays_private(world, users):
    name = member_of_plain_room_only(world, "prof-prive")
    teacher, colleague = await users(name), await users("prof2")
    private = await open_private_room(world, teacher)

    reply = await teacher.ask(private, "!panne mon ordinateur portable ne démarre plus")
    assert reply.body.startswith("Panne n°")
    assert reply.was_encrypted
    user_id = world.people[name].user_id
    assert incidents_of(world, user_id) == [
        ("clg-clair", "mon ordinateur portable ne démarre plus")
    ]
    listing = await teacher.ask(private, "!panne")
    assert "mon ordinateur portable" in listing.body
    # What the bot sends privately goes to the room the teacher writes from.
    await teacher.ask(private, "!mes-donnees")
    export = await teacher.wait_notice(lambda n: "Vos données dans rupn-bot" in n.body)
    assert export.event_id in {e.event_id for room, e in teacher.events if room == private}

    # A later command in the room is answered after everything the bot sent before:
    # by then, the breakdown would be in the room if it had leaked.
    await colleague.ask(world.plain_room, "!aide panne")
    in_room = {event.event_id for room_id, event in colleague.events if room_id == world.plain_room}
    seen = [n.body for n in colleague.notices if n.event_id in in_room]
    assert seen and not any("ordinateur portable" in body for body in seen)


async def test_a_member_of_two_establishments_chooses_once(world, users):
    prof = await users("prof1")  # a member of both rooms
    private = await open_private_room(world, prof)

    asked = await prof.ask(private, "!panne la borne wifi du CDI clignote")
    assert asked.body.startswith("Vous êtes membre de plusieurs établissements")
    assert "1. Collège Clair" in asked.body and "2. Collège Chiffré" in asked.body
    user_id = world.people["prof1"].user_id
    before = incidents_of(world, user_id)
    assert "la borne wifi du CDI clignote" not in [d for _, d in before]

    wrong = await prof.ask(private, "!etablissement 7")
    assert "Je ne trouve pas « 7 »" in wrong.body
    chosen = await prof.ask(private, "!etablissement 2")
    assert "pour **le collège Chiffré**" in chosen.body
    done = await prof.ask(private, "!panne la borne wifi du CDI clignote")
    assert done.body.startswith("Panne n°")
    assert incidents_of(world, user_id)[-1] == ("clg-chiffre", "la borne wifi du CDI clignote")

    by_name = await prof.ask(private, "!etablissement clair")
    assert "pour **le collège Clair**" in by_name.body
    shown = await prof.ask(private, "!etablissement")
    assert "vos commandes agissent pour **le collège Clair**" in shown.body


async def test_a_link_shared_in_private_goes_to_the_room(world, users):
    referent, colleague = await users("referent"), await users("prof2")
    private = await open_private_room(world, referent)
    await referent.ask(private, "!etablissement Collège Clair")
    shared = await referent.ask(private, "!veille https://example.org/prive-capsules capsules")
    assert "example.org" in shared.body
    announced = await colleague.wait_notice(lambda n: "example.org/prive-capsules" in n.body)
    in_room = {event.event_id for room_id, event in colleague.events if room_id == world.plain_room}
    assert announced.event_id in in_room


async def test_someone_in_no_establishment_gets_one_sentence(world, users):
    outsider = await users("outsider")
    private = await open_private_room(world, outsider)
    reply = await outsider.ask(private, "!panne rien ne marche")
    assert reply.body.startswith("Je ne réponds en message privé qu'aux membres du salon")
    assert len(reply.body.splitlines()) == 1
    assert incidents_of(world, world.people["outsider"].user_id) == []
