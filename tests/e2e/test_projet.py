"""!projet on a real Synapse: a class project recorded by a teacher appears in exactly one
letter, and in the « Projets à valoriser » section of the year's report."""

from __future__ import annotations

from tests.e2e.test_bilan import content, download, is_file, wait_event


async def test_a_project_appears_in_one_letter_and_in_the_report(world, users, room):
    referent, prof = await users("referent"), await users("prof1")
    # Words of this room only (letters and digits, written as typed in the report's
    # Markdown): the report lists the projects of both rooms' runs.
    mark = "".join(c for c in room[1:10] if c.isalnum())
    text = f"Podcast sur la Révolution enregistré en classe {mark}"

    added = await prof.ask(room, f"!projet 4e B histoire {text} #podcast")
    assert added.body.startswith("Projet n° ")
    assert "recensé : 4e B, histoire-géographie (#podcast)." in added.body
    assert added.was_encrypted is (room == world.encrypted_room)

    await referent.say(room, "!lettre envoyer")
    letter = await prof.wait_notice(
        lambda n: "Lettre d'information numérique" in n.body and text in n.body
    )
    assert f"- 4e B, histoire-géographie : {text} (#podcast)" in letter.body

    # Something else new: the next letter goes, without the first project.
    other = f"Herbier photographié sur tablettes {mark}"
    await prof.ask(room, f"!projet CM2 sciences {other}")
    await referent.say(room, "!lettre envoyer")
    second = await prof.wait_notice(
        lambda n: "Lettre d'information numérique" in n.body and other in n.body
    )
    assert text not in second.body

    command = await referent.say(room, "!bilan")
    reply = await referent.wait_reply(command)
    assert "projets de classe à valoriser." in reply.body
    _, markdown = await wait_event(
        referent, lambda r, e: r == room and is_file(e, "bilan-2026-2027-", command)
    )
    assert content(markdown)["body"].endswith(".md")
    report = (await download(referent, markdown)).decode()
    section = report.split("## 6. Projets à valoriser", 1)[1].split("## Annexe", 1)[0]
    assert f"| 4e B | histoire-géographie | {text} | #podcast |" in section
    assert f"| CM2 | sciences | {other} | – |" in section
    assert "@" not in section
