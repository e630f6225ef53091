"""Privacy and the activity report on a real Synapse: what a teacher did, exported then forgotten.

A teacher books a permanence, supports a training need and reports a
breakdown; ``!mes-donnees`` sends them all of it in a direct room (a summary
and a JSON file, end-to-end encrypted); after ``!oublie-moi confirmer`` the bot
holds nothing in their name, and the referent's ``!bilan`` counts the same as
before. The report is asked in the plain room, its Markdown file downloaded.
"""

from __future__ import annotations

import asyncio
import json
import re

from nio import MemoryDownloadResponse
from nio.crypto.attachments import decrypt_attachment

from tests.support.testbed import ChatUser


async def wait_event(user: ChatUser, predicate, timeout: float = 30):
    """The first event seen by ``user`` that matches, as (room id, event); joins invitations."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        for room_id, event in user.events:
            if predicate(room_id, event):
                return room_id, event
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("expected event not seen")
        await user.sync_once()
        await user.accept_invites()


def content(event) -> dict:
    return (getattr(event, "source", None) or {}).get("content", {})


def is_file(event, name_start: str, reply_to: str | None = None) -> bool:
    found = content(event)
    replying = found.get("m.relates_to", {}).get("m.in_reply_to", {}).get("event_id")
    return (
        found.get("msgtype") == "m.file"
        and found.get("body", "").startswith(name_start)
        and (reply_to is None or replying == reply_to)
    )


async def download(user: ChatUser, event) -> bytes:
    """A file event's bytes, decrypted when it came through an encrypted room."""
    found = content(event)
    encrypted = found.get("file")
    response = await user.client.download(mxc=encrypted["url"] if encrypted else found["url"])
    assert isinstance(response, MemoryDownloadResponse), response
    if not encrypted:
        return response.body
    return decrypt_attachment(
        response.body, encrypted["key"]["k"], encrypted["hashes"]["sha256"], encrypted["iv"]
    )


async def report_markdown(referent: ChatUser, room: str) -> str:
    """Ask ``!bilan`` and download the Markdown file it uploads."""
    command = await referent.say(room, "!bilan")
    reply = await referent.wait_reply(command)
    assert reply.body.startswith("**Compte-rendu d'activités 2026-2027** du collège Clair")
    _, markdown = await wait_event(
        referent, lambda r, e: r == room and is_file(e, "bilan-2026-2027-", command)
    )
    assert content(markdown)["body"] == "bilan-2026-2027-clg-clair.md"
    _, page = await wait_event(
        referent, lambda r, e: r == room and is_file(e, "bilan-2026-2027-clg-clair.html", command)
    )
    assert content(page)["info"]["mimetype"] == "text/html"
    assert (await download(referent, page)).startswith(b"<!DOCTYPE html>")
    return (await download(referent, markdown)).decode()


def counted(markdown: str, label: str) -> int:
    return int(re.search(rf"^\| {re.escape(label)} \| (\d+) \|$", markdown, re.M)[1])


async def test_a_teacher_s_data_exported_then_forgotten_and_the_report_unchanged(world, users):
    room = world.plain_room
    name = world.newcomer()
    teacher, referent = await users(name), await users("referent")
    user_id = world.people[name].user_id

    # What the teacher does: book, support a need, report a breakdown.
    await referent.ask(room, "!permanence ouvrir vendredi 13h05 4 places B12")
    booked = await teacher.ask(room, "!permanence réserver vendredi 13h05 tablettes")
    assert "vous avez une place à la permanence numérique" in booked.body
    need = await referent.ask(room, "!formation Découvrir la baladodiffusion --nouveau")
    number = re.search(r"besoin n° (\d+)", need.body)[1]
    voted = await teacher.ask(room, f"!formation +1 {number}")
    assert voted.body.startswith(f"Merci, votre soutien au besoin n° {number}")
    broken = await teacher.ask(room, "!panne le wifi ne marche pas en salle 14")
    assert broken.body.startswith("Panne n° ")

    before = await report_markdown(referent, room)
    assert counted(before, "Pannes signalées") >= 1

    # Everything the bot holds about the teacher, in a direct room.
    asked = await teacher.ask(room, "!mes-donnees")
    assert asked.body.startswith("Je vous envoie vos données en message privé")
    served = {world.plain_room, world.encrypted_room}
    title = "Vos données dans rupn-bot"
    dm, summary = await wait_event(
        teacher, lambda r, e: r not in served and title in getattr(e, "body", "")
    )
    assert "- Vos réservations de permanence numérique : 1" in summary.body
    assert "- Besoins de formation que vous avez soutenus : 1" in summary.body
    assert "- Pannes que vous avez signalées : 1" in summary.body
    _, document = await wait_event(teacher, lambda r, e: r == dm and is_file(e, "mes-donnees-"))
    assert "file" in content(document)  # the direct room is end-to-end encrypted
    data = json.loads(await download(teacher, document))
    assert data["utilisateur"] == user_id
    held = data["données"]
    assert [b["subject"] for b in held["permanence_bookings.user_id"]] == ["tablettes"]
    assert [v["voter"] for v in held["training_votes.voter"]] == [user_id]
    assert [i["description"] for i in held["incidents.reporter"]] == [
        "le wifi ne marche pas en salle 14"
    ]

    # Forgotten: nothing left in their name, and the report counts the same.
    asked = await teacher.ask(room, "!oublie-moi confirmer")
    assert asked.body.startswith("C'est fait : ")
    nothing = await teacher.ask(room, "!mes-donnees")
    assert nothing.body == "Je ne garde aucune donnée à votre nom."
    after = await report_markdown(referent, room)
    assert after == before
    assert user_id not in after and name not in after
