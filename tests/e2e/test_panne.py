"""!panne on a real Synapse: the projector checklist, the ticket link, the follow-up."""

from __future__ import annotations

import re


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
