"""!formation on a real Synapse: needs, a caught look-alike, votes, a Matrix poll, mentions."""

from __future__ import annotations

import asyncio
import re

from nio import RoomSendResponse


def number_in(body: str) -> int:
    return int(re.search(r"besoin n° (\d+)", body).group(1))


async def wait_event(user, room: str, matches, timeout: float = 30) -> dict:
    """Sync until an event of the room satisfies ``matches``; returns its source."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        for room_id, event in user.events:
            source = getattr(event, "source", None) or {}
            if room_id == room and matches(source):
                return source
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("expected event not seen")
        await user.sync_once()


async def answer_poll(user, room: str, poll_id: str, answer, *, stable: bool) -> None:
    """Answer as Element does: one answer id, or the list of every date ticked."""
    relation = {"rel_type": "m.reference", "event_id": poll_id}
    selections = [answer] if isinstance(answer, str) else list(answer)
    if stable:
        event_type, content = (
            "m.poll.response",
            {"m.relates_to": relation, "m.selections": selections},
        )
    else:
        event_type = "org.matrix.msc3381.poll.response"
        content = {
            "m.relates_to": relation,
            "org.matrix.msc3381.poll.response": {"answers": selections},
        }
    resp = await user.client.room_send(room, event_type, content, ignore_unverified_devices=True)
    assert isinstance(resp, RoomSendResponse), resp


async def test_needs_votes_poll_and_planned_session_in_the_encrypted_room(world, users):
    room = world.encrypted_room
    prof1, prof2, referent = await users("prof1"), await users("prof2"), await users("referent")
    ids = {name: world.people[name].user_id for name in ("prof1", "prof2", "referent")}

    # Three teachers express needs (the referent teaches too).
    video = await prof1.ask(room, "!formation Créer des capsules vidéo avec mes élèves")
    assert "Thèmes : Création de contenus (proposés d'après vos mots)." in video.body
    pronote = await prof2.ask(
        room, "!formation Utiliser Pronote pour le cahier de textes #communication-collaboration"
    )
    passwords = await referent.ask(room, "!formation Sécuriser les mots de passe des élèves")
    a, b, c = (number_in(r.body) for r in (video, pronote, passwords))
    assert len({a, b, c}) == 3

    # The similar one is caught and nothing is recorded.
    twin = await prof2.ask(room, "!formation capsules vidéo pour les élèves")
    assert f"Un besoin proche existe déjà : **n° {a}**" in twin.body
    assert f"`!formation +1 {a}`" in twin.body

    # Votes rank the list.
    await prof2.ask(room, f"!formation +1 {a}")
    await referent.ask(room, f"!formation +1 {a}")
    again = await referent.ask(room, f"!formation +1 {a}")
    assert "Vous soutenez déjà" in again.body
    await prof1.ask(room, f"!formation +1 {c}")
    listing = await prof1.ask(room, "!formation")
    positions = [listing.body.index(f"**n° {n}**") for n in (a, c, b)]
    assert positions == sorted(positions)
    assert f"**n° {a}** « Créer des capsules vidéo avec mes élèves » : 3 soutiens" in listing.body
    assert "capsules vidéo pour les élèves" not in listing.body

    # The referent posts a date poll; those who asked or voted are told.
    asked = await referent.ask(room, f"!formation sondage {a} jeudi 12h30 | vendredi 12h30")
    assert f"Sondage publié pour le besoin n° {a}" in asked.body
    assert set(asked.content["m.mentions"]["user_ids"]) == {ids["prof1"], ids["prof2"]}
    poll = await wait_event(
        prof1,
        room,
        lambda e: (
            e.get("type") == "org.matrix.msc3381.poll.start"
            and e.get("sender") == world.bot_account.user_id
            and f"besoin n° {a})" in e["content"]["m.poll"]["question"]["m.text"][0]["body"]
        ),
    )
    answers = poll["content"]["org.matrix.msc3381.poll.start"]["answers"]
    assert [x["org.matrix.msc1767.text"].split()[0] for x in answers] == ["jeudi", "vendredi"]
    friday = answers[1]

    # Answers come in both shapes. Friday wins only if prof2's last (stable) answer
    # replaced their first: otherwise Thursday leads, or ties and wins as the earlier.
    thursday = answers[0]
    await answer_poll(prof1, room, poll["event_id"], friday["id"], stable=False)
    await answer_poll(prof2, room, poll["event_id"], thursday["id"], stable=True)
    await answer_poll(referent, room, poll["event_id"], thursday["id"], stable=False)
    await answer_poll(prof2, room, poll["event_id"], friday["id"], stable=True)

    planned = await referent.ask(room, f"!formation planifier {a} sondage salle B12")
    assert planned.body.splitlines()[0] == (
        f"Session de formation planifiée : **{friday['org.matrix.msc1767.text']}**, salle B12."
    )
    assert "date choisie par le sondage" in planned.body
    mentioned = planned.content["m.mentions"]["user_ids"]
    assert set(mentioned) == {ids["prof1"], ids["prof2"]}
    for user_id in mentioned:
        assert f'href="https://matrix.to/#/{user_id}"' in planned.html
    assert planned.was_encrypted

    # The poll is closed in clients, and the session shows in the list.
    await wait_event(
        prof1,
        room,
        lambda e: (
            e.get("type") == "org.matrix.msc3381.poll.end"
            and e["content"].get("m.relates_to", {}).get("event_id") == poll["event_id"]
        ),
    )
    listing = await prof2.ask(room, "!formation")
    assert "**Sessions prévues**" in listing.body
    assert f"(salle B12) : n° {a} « Créer des capsules vidéo avec mes élèves »" in listing.body


async def test_a_teacher_ticks_two_dates_and_planning_takes_the_one_both_chose(world, users, room):
    prof1, prof2, referent = await users("prof1"), await users("prof2"), await users("referent")
    recorded = await prof1.ask(
        room, "!formation Lancer une web radio au collège #creation-contenus"
    )
    n = number_in(recorded.body)
    asked = await referent.ask(
        room, f"!formation sondage {n} jeudi 12h30 | vendredi 12h30 | lundi 17h"
    )
    assert "cochez toutes les dates qui vous conviennent" in asked.body
    poll = await wait_event(
        prof1,
        room,
        lambda e: (
            e.get("type") == "org.matrix.msc3381.poll.start"
            and e.get("sender") == world.bot_account.user_id
            and f"besoin n° {n})" in e["content"]["m.poll"]["question"]["m.text"][0]["body"]
        ),
    )
    # Checkboxes in Element and Tchap: every date may be ticked.
    start = poll["content"]["org.matrix.msc3381.poll.start"]
    assert start["max_selections"] == 3 and poll["content"]["m.poll"]["max_selections"] == 3
    assert "(plusieurs choix possibles)" in start["question"]["org.matrix.msc1767.text"]
    thursday, friday, _ = start["answers"]

    await answer_poll(prof1, room, poll["event_id"], [thursday["id"], friday["id"]], stable=True)
    await answer_poll(prof2, room, poll["event_id"], [friday["id"]], stable=False)
    listing = await prof2.ask(room, "!formation")
    assert (
        f"Sondage de date en cours, 2 réponses : {thursday['org.matrix.msc1767.text']} : 1 ;"
        f" {friday['org.matrix.msc1767.text']} : 2 ;" in listing.body
    )

    planned = await referent.ask(room, f"!formation planifier {n} sondage")
    assert planned.body.splitlines()[:2] == [
        f"Session de formation planifiée : **{friday['org.matrix.msc1767.text']}**.",
        f"Besoin n° {n} « Lancer une web radio au collège » ; date choisie par le sondage :"
        " les 2 collègues qui ont répondu peuvent venir.",
    ]
    ended = await wait_event(
        prof2,
        room,
        lambda e: (
            e.get("type") == "org.matrix.msc3381.poll.end"
            and e["content"].get("m.relates_to", {}).get("event_id") == poll["event_id"]
        ),
    )
    assert "les 2 collègues qui ont répondu peuvent venir" in ended["content"]["m.text"][0]["body"]


async def test_bad_input_changes_nothing_and_user_text_pings_nobody(world, users):
    room = world.plain_room
    prof, referent = await users("prof2"), await users("referent")
    before = await prof.ask(room, "!formation")

    wrong_number = await prof.ask(room, "!formation +1 abc")
    assert wrong_number.body.splitlines()[0] == "« abc » n'est pas un numéro."
    missing = await referent.ask(room, "!formation planifier 999 demain")
    assert missing.body.startswith("Le besoin n° 999 n'existe pas")
    for reply in (wrong_number, missing):
        assert reply.content["m.mentions"] == {"user_ids": []}
    assert (await prof.ask(room, "!formation")).body == before.body

    hostile = await prof.ask(room, "!formation Genially <b>en classe</b> <script>x</script> @room")
    assert "&lt;b&gt;en classe&lt;/b&gt;" in hostile.html
    assert "<script>" not in hostile.html and "<b>" not in hostile.html
    assert "@room" not in hostile.body and "@room" not in (hostile.html or "")
    assert hostile.content["m.mentions"] == {"user_ids": []}
