"""Scheduled letters on a real Synapse: the newsletter in the room, the digest in a direct room.

The bot runs with the real clock, so the test does not wait for Friday: the
referent sends the letter with ``!lettre envoyer`` and the principal asks for
the digest of the month so far with ``!synthese``; both go through the same
outbox and Matrix path as the scheduled ones.
"""

from __future__ import annotations

import asyncio
import re

from nio import RoomMessageNotice, RoomMessageText

from tests.e2e.test_bilan import content as content_of
from tests.e2e.test_bilan import download, wait_event
from tests.support.testbed import ChatUser


async def wait_notice(user: ChatUser, predicate, timeout: float = 30):
    """The first notice seen by ``user`` that matches, as (room id, event)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        for room_id, event in user.events:
            if isinstance(event, RoomMessageNotice | RoomMessageText) and predicate(room_id, event):
                return room_id, event
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("no matching notice")
        await user.sync_once()
        await user.accept_invites()


async def test_lettre_envoyer_posts_the_newsletter_in_the_room(world, users):
    referent, prof = await users("referent"), await users("prof2")
    room = world.plain_room
    opened = await referent.ask(
        room, "!enquete ouvrir https://framaforms.org/e2e-lettre dans 15 jours Enquête lettre e2e"
    )
    assert opened.body.startswith("Enquête n° ")
    await referent.say(room, "!lettre envoyer")
    _, letter = await wait_notice(
        prof, lambda r, e: r == room and "Lettre d'information numérique" in e.body
    )
    assert letter.sender == world.bot_account.user_id
    assert "Enquête lettre e2e" in letter.body
    html = letter.source["content"]["formatted_body"]
    assert "<strong>Lettre d'information numérique du collège Clair</strong>" in html
    # Sent once: asked again, there is nothing new.
    again = await referent.ask(room, "!lettre envoyer")
    assert again.body.startswith("Rien de nouveau depuis la dernière lettre")


async def test_the_digest_reaches_the_principal_in_a_direct_room(world, users):
    referent, prof = await users("referent"), await users("prof1")
    principal = await users("principal")
    room = world.encrypted_room
    title = "Enquête synthèse e2e"
    opened = await referent.ask(
        room, f"!enquete ouvrir https://framaforms.org/e2e-synthese dans 20 jours {title}"
    )
    number = re.search(r"Enquête n° (\d+)", opened.body)[1]  # other tests open surveys too
    assert "Merci" in (await prof.ask(room, f"!enquete fait {number}")).body
    # A need this month: the picture of the year has something to show.
    await prof.ask(room, "!formation Faire des cartes mentales en classe --nouveau")

    reply = await principal.ask(room, "!synthese")
    assert "en message privé" in reply.body
    establishment_rooms = {world.plain_room, world.encrypted_room}
    dm, digest = await wait_notice(
        principal, lambda r, e: r not in establishment_rooms and f"{title} : 1" in e.body
    )
    assert digest.sender == world.bot_account.user_id
    assert digest.decrypted  # the direct room is end-to-end encrypted
    assert set(principal.client.rooms[dm].users) == {
        world.bot_account.user_id,
        world.people["principal"].user_id,
    }
    content = digest.source["content"]
    text = digest.body + content["formatted_body"]
    for name, account in world.people.items():
        assert account.user_id not in text and name not in text
    assert content["m.mentions"] == {"user_ids": []}
    # Its picture follows in the same room: an encrypted image the phone shows inline.
    _, picture = await wait_event(
        principal, lambda r, e: r == dm and content_of(e).get("msgtype") == "m.image"
    )
    shown = content_of(picture)
    assert shown["body"].startswith("synthese-") and shown["body"].endswith(".png")
    assert shown["info"] | {"size": 0} == {"mimetype": "image/png", "w": 800, "h": 420, "size": 0}
    assert "file" in shown and "url" not in shown  # encrypted, as the room is
    assert (await download(principal, picture))[:8] == b"\x89PNG\r\n\x1a\n"

    # Asked again: the same direct room, not a new one.
    seen = {digest.event_id}
    await principal.ask(room, "!synthese")
    second_room, _ = await wait_notice(
        principal,
        lambda r, e: r not in establishment_rooms and e.event_id not in seen and title in e.body,
    )
    assert second_room == dm
    direct_rooms = [r for r in principal.client.rooms if r not in establishment_rooms]
    assert direct_rooms == [dm]
