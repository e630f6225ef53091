"""!panne on a real Synapse: the projector checklist, the ticket link, the follow-up."""

from __future__ import annotations

import re

from tests.e2e.test_bilan import content, download, is_file, wait_event


async def test_projector_breakdown_gets_checklist_and_ticket_link(world, users, room):
    prof = await users("prof1")
    reply = await prof.ask(room, "!panne vidéoprojecteur salle 12 ne s'allume pas")
    first = reply.body.splitlines()[0]
    number = int(
        re.match(r"Panne n° (\d+) notée \(vidéoprojecteur ou tableau interactif\)", first)[1]
    )
    assert "2. Source : touche « Source » ou « Input »" in reply.body
    assert "3. Câble HDMI ou VGA" in reply.body
    assert '<a href="https://support.example.org/glpi">' in reply.html
    assert "- salle 12 et l'équipement" in reply.body
    assert reply.content["m.mentions"] == {"user_ids": []}
    assert reply.was_encrypted is (room == world.encrypted_room)

    ticket = await prof.ask(room, f"!panne ticket {number} GLPI-4242")
    assert ticket.body.startswith(f"Ticket GLPI-4242 noté pour la panne n° {number}")
    mine = await prof.ask(room, "!panne")
    assert f"**n° {number}**" in mine.body and "ticket GLPI-4242" in mine.body
    done = await prof.ask(room, f"!panne résolue {number}")
    assert "marquée réparée" in done.body


async def test_empty_panne_logs_nothing(world, users):
    prof = await users("prof2")
    empty = await prof.ask(world.plain_room, "!panne ...")
    assert empty.body.splitlines()[0] == (
        "Décrivez la panne en quelques mots : l'appareil, la salle, ce qui ne marche pas."
    )
    listing = await prof.ask(world.plain_room, "!panne")
    assert listing.body.startswith("Vous n'avez aucune panne en cours.")


async def test_two_reports_of_one_projector_make_one_breakdown_and_both_are_told(
    world, users, room
):
    prof1, prof2, referent = await users("prof1"), await users("prof2"), await users("referent")
    where = "B17" if room == world.encrypted_room else "B18"  # a room of this test alone
    first = await prof1.ask(room, f"!panne le vidéoprojecteur de la salle {where} reste noir")
    number = int(re.match(r"Panne n° (\d+) notée", first.body)[1])
    second = await prof2.ask(room, f"!panne VPI en panne en {where.lower()}, plus d'image")
    assert second.body.startswith(
        f"Panne déjà signalée : n° {number}, pas encore de ticket ;"
        " vous serez prévenu(e) de la réparation."
    )
    assert second.content["m.mentions"] == {"user_ids": []}
    listing = await prof2.ask(room, f"!panne salle {where}")
    assert f"**n° {number}**" in listing.body and "(2 personnes concernées)" in listing.body

    command = await referent.say(room, "!panne visite")
    visit = await referent.wait_reply(command)
    assert f"**Salle {where}**" in visit.body
    files = {}
    for extension in ("csv", "html"):
        _, event = await wait_event(
            referent,
            lambda r, e, ext=extension: (
                r == room
                and is_file(e, "visite-pannes-", command)
                and content(e)["body"].endswith(ext)
            ),
        )
        files[extension] = (await download(referent, event)).decode("utf-8-sig")
    row = next(line for line in files["csv"].splitlines() if line.startswith(f"Salle {where};"))
    assert row.split(";")[1] == str(number) and row.endswith(";2")
    assert f"<h2>Salle {where}</h2>" in files["html"]
    for document in files.values():
        assert "@prof" not in document

    done = await referent.ask(room, f"!panne résolue {number}")
    assert done.body.endswith("Je préviens les 2 personnes qui l'avaient signalée.")
    told = f"la panne n° {number} que vous aviez signalée"
    for prof in (prof1, prof2):
        notice = await prof.wait_notice(lambda n: told in n.body)
        mentioned = notice.content["m.mentions"]["user_ids"]
        assert sorted(mentioned) == sorted([prof1.account.user_id, prof2.account.user_id])
        await prof.wait_notified(notice.event_id)  # it rang for each of them
    await prof2.sync_once()
    assert len([n for n in prof2.notices if told in n.body]) == 1
