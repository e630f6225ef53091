"""Reactions on a real Synapse: 👍 on a need's message supports it, removing it withdraws.

Encrypted rooms encrypt reactions too; redactions (a removed reaction) stay in clear.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3

from nio import RoomRedactResponse, RoomSendResponse


def votes_of(world, establishment: str, number: int) -> int:
    with sqlite3.connect(world.workdir / "data" / "rupn.db") as db:
        return db.execute(
            "SELECT count(*) FROM training_votes v JOIN training_needs n ON n.id = v.need_id"
            " WHERE n.establishment_id = ? AND n.number = ?",
            (establishment, number),
        ).fetchone()[0]


async def until(condition, user, timeout: float = 30) -> None:
    """Sync ``user`` until ``condition()`` holds (the bot acts on its own syncs)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("condition not met in time")
        await user.sync_once()


async def test_a_thumbs_up_supports_a_need_and_removing_it_withdraws(world, users, room):
    prof, colleague = await users("prof1"), await users("prof2")
    establishment = "clg-clair" if room == world.plain_room else "clg-chiffre"
    recorded = await prof.ask(room, "!formation Apprendre à monter une vidéo avec --nouveau")
    number = int(re.search(r"besoin n° (\d+)", recorded.body)[1])
    assert "réagissant 👍 à ce message" in recorded.body
    await colleague.sync_once()

    sent = await colleague.client.room_send(
        room,
        "m.reaction",
        {"m.relates_to": {"rel_type": "m.annotation", "event_id": recorded.event_id, "key": "👍"}},
        ignore_unverified_devices=True,
    )
    assert isinstance(sent, RoomSendResponse), sent
    await until(lambda: votes_of(world, establishment, number) == 2, colleague)

    removed = await colleague.client.room_redact(room, sent.event_id)
    assert isinstance(removed, RoomRedactResponse), removed
    await until(lambda: votes_of(world, establishment, number) == 1, colleague)
    # The room was told nothing: the answers wait for the colleague's private room.
    listing = await colleague.ask(room, "!formation")
    assert "Apprendre à monter une vidéo" in listing.body
    in_room = {e.event_id for r, e in colleague.events if r == room}
    assert not any(
        "votre soutien" in n.body.lower() for n in colleague.notices if n.event_id in in_room
    )
