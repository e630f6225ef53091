"""!fiche on a real Synapse: a sheet written by the referent, found without accents,
announced by exactly one letter."""

from __future__ import annotations

SHEET = "Allumer le vidéoprojecteur : touche « Source » jusqu'à l'entrée HDMI."


async def test_a_sheet_is_found_without_accents_and_appears_in_exactly_one_letter(
    world, users, room
):
    referent, prof = await users("referent"), await users("prof1")

    added = await referent.ask(room, f"!fiche ajouter vp-allumage {SHEET}")
    assert added.body.startswith("Fiche `vp-allumage` enregistrée")
    assert added.was_encrypted is (room == world.encrypted_room)

    found = await prof.ask(room, "!fiche cherche video projecteur")
    assert found.body.startswith("**Fiches : 1 pour « video projecteur »**")
    assert "- `vp-allumage` : Allumer le vidéoprojecteur" in found.body
    shown = await prof.ask(room, "!fiche VP Allumage")
    assert shown.body.startswith(f"**Fiche vp-allumage**\n\n{SHEET}")
    assert shown.content["m.mentions"] == {"user_ids": []}

    await referent.say(room, "!lettre envoyer")
    letter = await prof.wait_notice(
        lambda n: "Lettre d'information numérique" in n.body and "vp-allumage" in n.body
    )
    assert "- `!fiche vp-allumage` (nouvelle) : Allumer le vidéoprojecteur" in letter.body

    # Something else new: the next letter goes, without the sheet.
    title = f"Enquête fiche e2e {room[1:7]}"
    opened = await referent.ask(
        room, f"!enquete ouvrir https://framaforms.org/e2e-fiche dans 15 jours {title}"
    )
    assert opened.body.startswith("Enquête n° ")
    await referent.say(room, "!lettre envoyer")
    second = await prof.wait_notice(
        lambda n: "Lettre d'information numérique" in n.body and title in n.body
    )
    assert "vp-allumage" not in second.body
