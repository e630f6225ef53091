"""Faults injected on the real Synapse: racing clients, a crash with commands in flight."""

import asyncio
import re
import signal
import sqlite3

from tests.e2e.conftest import OpenedClients


def slot_number(opened_reply) -> int:
    return int(re.search(r"n° (\d+) :", opened_reply.body).group(1))


async def test_twenty_clients_race_for_the_last_seat(world, users):
    names = world.more_teachers(20)
    referent = await users("referent")
    room = world.plain_room
    number = slot_number(await referent.ask(room, "!permanence ouvrir lundi 14h 1 place"))
    clients = await asyncio.gather(*(users(name) for name in names))
    commands = await asyncio.gather(
        *(c.say(room, f"!permanence réserver {number}") for c in clients)
    )
    replies = await asyncio.gather(
        *(c.wait_reply(e) for c, e in zip(clients, commands, strict=True))
    )
    booked = [r for r in replies if "vous avez une place" in r.body]
    waiting = [r for r in replies if "vous êtes **en liste d'attente**" in r.body]
    assert (len(booked), len(waiting)) == (1, 19)
    positions = sorted(int(re.search(r"position (\d+)", r.body).group(1)) for r in waiting)
    assert positions == list(range(1, 20))


def is_reminder(number):
    return lambda n: (
        n.body.startswith("Rappel — permanence numérique") and f"(n° {number}" in n.body
    )


async def test_kill_9_with_fifty_commands_in_flight_loses_and_doubles_nothing(world):
    names = world.more_teachers(10)
    room = world.encrypted_room
    async with OpenedClients(world) as open_user:
        referent = await open_user("referent")
        number = slot_number(await referent.ask(room, "!permanence ouvrir mardi 10h50 30 places"))
        clients = await asyncio.gather(*(open_user(name) for name in names))
        # 50 commands at once: a booking and four help requests from each of ten teachers.
        sends = []
        for client in clients:
            sends.append(client.say(room, f"!permanence réserver {number}"))
            sends += [
                client.say(room, f"!aide {topic}") for topic in ("permanence", "aide", "", "statut")
            ]
        events = await asyncio.gather(*sends)
        owners = [clients[i // 5] for i in range(50)]
        await owners[0].wait_reply(events[0])  # the bot is busy with them: crash now
        world.bot.stop(signal.SIGKILL)
        world.bot.start()

        for owner, event in zip(owners, events, strict=True):
            await owner.wait_reply(event, timeout=60)
        await clients[0].wait_notice(is_reminder(number), timeout=60)
        # A command answered after everything else proves nothing more is on its way.
        await clients[0].ask(room, "!permanence mes")
        for owner, event in zip(owners, events, strict=True):
            assert len(owner.replies_to(event)) == 1, event
        assert len([n for n in clients[0].notices if is_reminder(number)(n)]) == 1

    with sqlite3.connect(world.workdir / "data" / "rupn.db") as db:
        rows = db.execute(
            "SELECT b.user_id, b.status FROM permanence_bookings b JOIN permanence_slots s"
            " ON s.id = b.slot_id WHERE s.establishment_id = 'clg-chiffre' AND s.number = ?",
            (number,),
        ).fetchall()
    assert sorted(rows) == sorted((world.people[n].user_id, "booked") for n in names)
