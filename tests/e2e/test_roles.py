"""Roles given by command on a real Synapse: effective at the next command, kept in the history."""

from __future__ import annotations

OPEN = "!permanence ouvrir vendredi 7h45 30min 1 place salle R1"


async def test_the_principal_makes_a_teacher_referent_at_once(world, users):
    principal, prof2, prof1 = await users("principal"), await users("prof2"), await users("prof1")
    room, other_room = world.plain_room, world.encrypted_room
    prof2_id = world.people["prof2"].user_id

    before = await prof2.ask(room, OPEN)
    assert "réservée aux référents numériques" in before.body
    by_a_teacher = await prof1.ask(room, f"!etablissement referent ajouter {prof2_id}")
    assert "réservée à la direction" in by_a_teacher.body

    try:
        granted = await principal.ask(room, f"!etablissement referent ajouter {prof2_id}")
        assert "fait désormais partie des référents numériques du collège Clair" in granted.body
        assert granted.content["m.mentions"] == {"user_ids": [prof2_id]}

        # No restart: prof2's very next command is a referent's.
        opened = await prof2.ask(room, OPEN)
        assert "chaque vendredi à 7 h 45, pendant 30 min, 1 place, salle R1" in opened.body
        closed = await prof2.ask(room, "!permanence fermer vendredi 7h45")
        assert "est annulée" in closed.body
        # In the other establishment, prof2 is still a teacher.
        elsewhere = await prof2.ask(other_room, OPEN)
        assert "réservée aux référents numériques" in elsewhere.body

        history = await principal.ask(room, "!etablissement historique")
        assert "a ajouté" in history.body and "aux référents numériques." in history.body
        assert f'href="https://matrix.to/#/{prof2_id}"' in history.html
        assert f'href="https://matrix.to/#/{world.people["principal"].user_id}"' in history.html
        # Nothing of the teacher who tried: a refusal writes nothing.
        assert world.people["prof1"].user_id not in history.html
        roles = await prof1.ask(room, "!etablissement roles")
        assert "ajouté par" in roles.body
    finally:
        withdrawn = await principal.ask(room, f"!etablissement referent retirer {prof2_id}")
    assert "ne fait plus partie des référents numériques" in withdrawn.body
    after = await prof2.ask(room, OPEN)
    assert "réservée aux référents numériques" in after.body
