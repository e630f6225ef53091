"""What must ring rings, on the real Synapse with its default push rules.

A person's ``/notifications`` lists what the homeserver's push rules decided to
notify them of: what reaches their phone. Every ``m.notice`` is suppressed
before any mention or one-to-one rule, so alerts must be ``m.text``.
"""

from __future__ import annotations

import re

from tests.e2e.test_permanence import is_reminder_for
from tests.e2e.test_schedules import wait_notice


async def test_the_promoted_teacher_is_notified(world, users):
    referent, first, second = await users("referent"), await users("prof1"), await users("prof2")
    room = world.plain_room
    await referent.ask(room, "!permanence ouvrir mercredi 14h 1 place")
    await first.ask(room, "!permanence réserver mercredi 14h")
    waiting = await second.ask(room, "!permanence réserver mercredi 14h")
    assert "liste d'attente" in waiting.body
    await first.ask(room, "!permanence annuler mercredi 14h")
    promotion = await second.wait_notice(lambda n: "une place s'est libérée" in n.body)
    assert promotion.content["msgtype"] == "m.text"
    assert promotion.content["m.mentions"] == {"user_ids": [second.account.user_id]}
    notified = await second.wait_notified(promotion.event_id)
    assert "highlight" in str(notified["actions"])  # a mention: it rings
    # A plain reply to a command stays a notice, which notifies nobody.
    notified_ids = {n["event"]["event_id"] for n in second.notifications()}
    assert waiting.content["msgtype"] == "m.notice" and waiting.event_id not in notified_ids


async def test_the_reminded_teacher_is_notified(world, users):
    referent, prof = await users("referent"), await users("prof1")
    room = world.plain_room
    await referent.ask(room, "!permanence ouvrir mardi 10h20 2 places")
    await prof.ask(room, "!permanence réserver mardi 10h20")
    reminder = await prof.wait_notice(
        lambda n: is_reminder_for(prof.account.user_id)(n) and re.search(r"10\s?h\s?20", n.body)
    )
    assert reminder.content["msgtype"] == "m.text"
    await prof.wait_notified(reminder.event_id)


async def test_the_principal_is_notified_of_the_digest_by_direct_message(world, users):
    principal = await users("principal")
    reply = await principal.ask(world.plain_room, "!synthese")
    assert "en message privé" in reply.body
    establishment_rooms = {world.plain_room, world.encrypted_room}
    _, digest = await wait_notice(
        principal,
        lambda r, e: r not in establishment_rooms and e.body.startswith("**Synthèse mensuelle"),
    )
    # The direct room is encrypted: the homeserver notifies any message in it, but the
    # phone decrypts it and applies the same rules, where a notice is suppressed.
    assert digest.source["content"]["msgtype"] == "m.text"
    await principal.wait_notified(digest.event_id)
