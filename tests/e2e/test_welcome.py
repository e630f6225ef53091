"""The welcome on a real Synapse: said once in each room the bot joined, never again.

The bot joined both rooms when the test world started: each got the welcome.
A restart says nothing more.
"""

from __future__ import annotations

import sqlite3

from nio import MessageDirection, RoomMessageNotice, RoomMessagesResponse

from tests.support.reading import as_read

WELCOME_START = "Bonjour à toutes et à tous ! Je suis le bot du numérique"


async def welcomes_in(user, room_id: str, bot: str) -> list[str]:
    """The welcome messages of the bot in the room's whole history."""
    found, start = [], ""
    while True:
        resp = await user.client.room_messages(
            room_id, start=start, direction=MessageDirection.back, limit=100
        )
        assert isinstance(resp, RoomMessagesResponse), resp
        bodies = [
            as_read(e.body)
            for e in resp.chunk
            if isinstance(e, RoomMessageNotice) and e.sender == bot
        ]
        found += [body for body in bodies if body.startswith(WELCOME_START)]
        if not resp.chunk or not resp.end:
            return found
        start = resp.end


def queued_welcomes(world) -> int:
    with sqlite3.connect(world.workdir / "data" / "rupn.db") as db:
        return db.execute(
            "SELECT count(*) FROM outbox WHERE txn_id LIKE 'rupn-bienvenue-%'"
        ).fetchone()[0]


async def test_each_room_is_welcomed_once_even_across_a_restart(world, users):
    prof = await users("prof2")
    bot = world.bot_account.user_id
    room = world.plain_room
    await prof.ask(room, "!aide")  # the bot is up and has sent what it queued first
    [welcome] = await welcomes_in(prof, room, bot)
    assert "du numérique du collège Clair" in welcome
    assert "!aide" in welcome and "!mes-donnees" in welcome
    assert queued_welcomes(world) == len(world.served_rooms)  # one per room

    world.bot.stop()
    world.bot.start()
    await prof.ask(room, "!aide")
    assert len(await welcomes_in(prof, room, bot)) == 1
    assert queued_welcomes(world) == len(world.served_rooms)
