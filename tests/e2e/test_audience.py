"""The room is a survey's audience: colleagues who never typed a command count, and are
reminded in private; the room learns how many, never who."""

from __future__ import annotations

import asyncio

from tests.e2e.conftest import LYCEE_ROOM_PEOPLE
from tests.e2e.test_schedules import wait_notice

FORM = "https://framaforms.org/e2e-salles"


async def test_everyone_in_the_room_is_asked_and_reminded_by_direct_message(world, users):
    room = world.lycee_room
    referent = await users("referente-lycee")
    opened = await referent.ask(room, f"!enquete ouvrir {FORM} dans 15 jours Équipement des salles")
    assert opened.body.startswith("Enquête n° 1")
    # Six people have joined the room (the bot aside); only the referent ever wrote to it.
    state = await referent.ask(room, "!enquete état")
    assert "n° 1 (Équipement des salles) : 0 sur 6 a dit l'avoir remplie" in state.body
    await referent.ask(room, "!enquete fait")

    colleagues = await asyncio.gather(*(users(name) for name in LYCEE_ROOM_PEOPLE[1:]))
    reminded = await referent.ask(room, "!enquete rappeler")
    assert reminded.body == (
        "C'est fait : je rappelle l'enquête n° 1 (Équipement des salles) à 5 collègues,"
        " en message privé."
    )
    for colleague in colleagues:
        dm, reminder = await wait_notice(
            colleague, lambda r, e: r != room and "Rappel : enquête n° 1" in e.body
        )
        assert reminder.sender == world.bot_account.user_id
        assert FORM in reminder.body and "enquete fait 1" in reminder.body
        assert reminder.source["content"]["msgtype"] == "m.text"  # it rings
        assert set(colleague.client.rooms[dm].users) == {
            world.bot_account.user_id,
            colleague.account.user_id,
        }
    # In the room: how many, and nobody named or mentioned.
    _, count = await wait_notice(
        referent, lambda r, e: r == room and "n'ont pas encore dit l'avoir remplie" in e.body
    )
    assert "5 collègues n'ont pas encore dit l'avoir remplie" in count.body
    said_in_room = [
        e.body
        for r, e in referent.events
        if r == room and e.sender == world.bot_account.user_id and hasattr(e, "body")
    ]
    for colleague in colleagues:
        localpart = colleague.account.user_id.split(":")[0][1:]
        assert not any(localpart in body for body in said_in_room)
    assert count.source["content"]["m.mentions"] == {"user_ids": []}

    # One who answers is counted; the room's count says so.
    await colleagues[0].ask(room, "!enquete fait")
    state = await referent.ask(room, "!enquete état")
    assert "2 sur 6 ont dit l'avoir remplie" in state.body

    # Someone who leaves the room is no longer asked.
    await colleagues[4].client.room_leave(room)
    state = await referent.ask(room, "!enquete état")
    assert "2 sur 5 ont dit l'avoir remplie" in state.body
