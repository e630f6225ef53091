"""The academy's room on a real Synapse: a need forwarded once, answered back once, and
neither repeated by a restart."""

from __future__ import annotations

import re

from bench.browser import open_page
from tests.e2e.test_bilan import content, download, is_file, wait_event
from tests.e2e.test_schedules import wait_notice


def from_bot(world, room: str, words: str):
    return lambda r, e: r == room and e.sender == world.bot_account.user_id and words in e.body


async def test_a_need_forwarded_to_the_academy_is_answered_in_the_establishment(world, users):
    room, academy = world.plain_room, world.academy_room
    referent, dane = await users("referent"), await users("conseillere-dane")
    recorded = await referent.ask(room, "!formation Créer un espace de cours sur l'ENT #ent")
    number = int(re.search(r"besoin n° (\d+)", recorded.body)[1])
    forwarded = await referent.ask(room, f"!formation dane {number}")
    assert "transmis à l'équipe académique, dans son salon" in forwarded.body

    reference = f"clg-clair-{number}"
    _, delivered = await wait_notice(dane, from_bot(world, academy, f"réf. `{reference}`"))
    assert "Besoin de formation transmis par le collège Clair" in delivered.body
    assert "Créer un espace de cours sur l'ENT" in delivered.body
    assert referent.account.user_id not in delivered.body

    answer = "Un parcours ENT est ouvert au plan de formation, inscriptions jusqu'au 15 janvier."
    confirmed = await dane.ask(academy, f"!academie besoin {reference} {answer}")
    assert confirmed.body.startswith("Réponse transmise dans le salon du collège Clair")
    _, back = await wait_notice(referent, from_bot(world, room, "Réponse de l'équipe académique"))
    assert answer in back.body

    figures = await dane.ask(academy, "!academie")
    assert figures.body.startswith("**Chiffres de l'académie de Test**")
    assert "Établissements servis : 3" in figures.body

    # After a restart, nothing is delivered again: one forward, one answer.
    world.bot.stop()
    world.bot.start()
    await dane.ask(academy, "!aide")  # the bot is back and has sent what it had queued
    await referent.ask(room, "!aide")
    assert len([e for r, e in dane.events if from_bot(world, academy, reference)(r, e)]) == 1
    answers = [e for r, e in referent.events if from_bot(world, room, answer)(r, e)]
    assert len(answers) == 1


async def test_a_broadcast_reaches_each_room_of_a_bassin_once(world, users):
    referent, lycee, dane = (
        await users("referent"),
        await users("referente-lycee"),
        await users("conseillere-dane"),
    )
    text = "Réunion des référents du bassin le 3 février au lycée Bréquigny."
    said = await dane.ask(world.academy_room, f"!academie diffuser bassin Rennes {text}")
    assert said.body.startswith("Je diffuse votre message dans 2 salons du bassin Rennes")
    for room in (world.plain_room, world.encrypted_room):
        await wait_notice(referent, from_bot(world, room, text))
    progress = await dane.ask(world.academy_room, "!academie diffusions")
    assert "reçu dans 2 salons sur 2" in progress.body
    # Only the bassin's rooms, and once each.
    await lycee.ask(world.lycee_room, "!aide")
    assert not [e for r, e in lycee.events if from_bot(world, world.lycee_room, text)(r, e)]
    for room in (world.plain_room, world.encrypted_room):
        assert len([e for r, e in referent.events if from_bot(world, room, text)(r, e)]) == 1


async def test_the_academy_report_arrives_as_a_page_and_a_table(world, users):
    dane, referent = await users("conseillere-dane"), await users("referent")
    # Something counted this year, so the pictures have something to show.
    await referent.ask(world.plain_room, "!formation Créer des cartes mentales --nouveau")
    command = await dane.say(world.academy_room, "!academie bilan")
    reply = await dane.wait_reply(command)
    assert reply.body.startswith("**Bilan 2026-2027 de l")
    assert "3 établissements" in reply.body
    files = {}
    for name in ("html", "csv"):
        _, event = await wait_event(
            dane,
            lambda r, e, name=name: (
                r == world.academy_room
                and is_file(e, "bilan-academie-", command)
                and content(e)["body"].endswith(name)
            ),
        )
        files[name] = await download(dane, event)
    rows = files["csv"].decode("utf-8-sig").splitlines()
    assert rows[0].startswith("UAI;Établissement;Bassin;Collectivité;")
    assert len(rows) == 1 + 3
    seen = open_page(files["html"].decode())
    assert seen.errors == () and seen.pictures and all(p.shown for p in seen.pictures)
