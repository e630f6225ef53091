"""!permanence on the real Synapse, in the encrypted room, on a simulated school Tuesday."""

import json
from urllib.parse import quote

from tests.e2e.test_schedules import wait_notice

# Nothing but the rooms one is invited to.
INVITES_ONLY = {
    "room": {"timeline": {"limit": 0}, "state": {"types": []}, "ephemeral": {"types": []}},
    "presence": {"types": []},
    "account_data": {"types": []},
}


async def test_a_teacher_books_with_a_french_date_and_is_told_when_it_is_closed(world, users):
    referent, prof = await users("referent"), await users("prof1")
    room = world.encrypted_room
    opened = await referent.ask(room, "!permanence ouvrir jeudi 17h 45min 3 places CDI")
    assert "chaque jeudi à 17 h, pendant 45 min, 3 places, au CDI" in opened.body

    booked = await prof.ask(room, "!permanence réserver jeudi 17h Pronote et cahier de textes")
    assert "vous avez une place à la permanence numérique" in booked.body
    assert "du jeudi 26 novembre à 17 h (n° " in booked.body and ", au CDI)" in booked.body
    assert booked.was_encrypted

    closed = await referent.ask(room, "!permanence fermer jeudi 17h")
    assert "est annulée. 1 personne prévenue." in closed.body
    notice = await prof.wait_notice(lambda n: "est **annulée**" in n.body)
    assert notice.content["m.mentions"] == {"user_ids": [prof.account.user_id]}
    assert "la permanence numérique" in notice.body and "jeudi 26 novembre à 17 h" in notice.body


async def test_bad_arguments_get_a_french_sentence(world, users):
    prof = await users("prof2")
    reply = await prof.ask(world.encrypted_room, "!permanence réserver mercredi 25h")
    assert reply.body.startswith("Je ne comprends pas la date « mercredi 25h »")
    assert "Par exemple : `!permanence réserver 2 Pronote`" in reply.body


def is_reminder_for(user_id):
    def matches(notice):
        mentioned = notice.content.get("m.mentions", {}).get("user_ids", [])
        return notice.body.startswith("Rappel — permanence numérique") and user_id in mentioned

    return matches


async def test_a_reminder_arrives_once_even_across_a_restart(world, users):
    referent, prof = await users("referent"), await users("prof2")
    room = world.encrypted_room
    await referent.ask(room, "!permanence ouvrir mardi 10h30 2 places")
    await prof.ask(room, "!permanence réserver mardi 10h30")
    first = await prof.wait_notice(is_reminder_for(prof.account.user_id))
    assert "mardi 24 novembre à 10 h 30" in first.body

    world.bot.stop()
    world.bot.start()
    # A second slot and its reminder prove the reminder job ran again after the restart.
    await referent.ask(room, "!permanence ouvrir mardi 10h45 2 places")
    await prof.ask(room, "!permanence réserver mardi 10h45")
    await prof.wait_notice(
        lambda n: is_reminder_for(prof.account.user_id)(n) and "10 h 45" in n.body
    )
    reminders = [n for n in prof.notices if is_reminder_for(prof.account.user_id)(n)]
    assert [("10 h 30" in n.body, "10 h 45" in n.body) for n in reminders] == [
        (True, False),
        (False, True),
    ]


async def test_the_referent_gets_the_subjects_privately_before_the_slot(world, users):
    referent, prof = await users("referent"), await users("prof1")
    room = world.plain_room
    await referent.ask(room, "!permanence ouvrir mardi 10h55 3 places")
    booked = await prof.ask(room, "!permanence réserver mardi 10h55 exporter les notes de Pronote")
    assert "vous avez une place à la permanence numérique du mardi 24 novembre" in booked.body

    # The bot may have invited the referent to their direct room in an earlier test, seen
    # by a client since closed: an incremental sync never shows that invitation again.
    fresh = world.synapse.api(
        "GET",
        f"/_matrix/client/v3/sync?filter={quote(json.dumps(INVITES_ONLY))}",
        token=referent.account.access_token,
    )
    for invited in fresh.get("rooms", {}).get("invite", {}):
        await referent.client.join(invited)

    # The booked teacher's reminder is due two hours before: at once; the recap with it.
    direct, recap = await wait_notice(
        referent,
        lambda _, event: (
            event.body.startswith("Pour préparer la permanence numérique")
            and "10 h 55" in event.body
        ),
    )
    assert direct not in world.served_rooms
    assert "mardi 24 novembre à 10 h 55" in recap.body and "1 inscrit sur 3 places" in recap.body
    assert ": exporter les notes de Pronote" in recap.body
    assert "!permanence fait " in recap.body
    # Only the referent sees it: nothing of it in the room.
    assert not [n for n in prof.notices if n.body.startswith("Pour préparer")]
