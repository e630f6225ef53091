"""After ``!oublie-moi confirmer`` nothing in the database points back to the person.

The tests walk the schema: every column of every table, and the words of every
search index, are searched for the person's ID, their display name, the words
they typed and the ids of the events they sent. The establishment's counts stay.
"""

from __future__ import annotations

import re

import pytest

from bot.core.render import markdown_to_html, mention
from storage import oubli
from storage.donnees import PERSONAL_DATA, REMOVED_TEXT
from storage.establishments import record_member
from storage.formation import PollOption, attach_poll, record_poll_response
from storage.formation.needs import find_need
from storage.inbox import InboxItem, mark_handled
from storage.outbox import queue_message, unsent_messages
from tests.conftest import PRINCIPAL, REFERENT, TEACHER
from tests.support.stored import indexed_words, stored_values
from tests.unit.test_bilan import ask_report, numbers
from tests.unit.test_donnees import PROF2
from tests.unit.test_veille import offline_fetch

# Words nobody else writes: each person's texts carry theirs.
SECRET = "Quetzalcoatl"
PHONE = "0612345678"
OTHER_SECRET = "Tlaloc"
OTHER_PHONE = "0698765432"
NAMES = {PROF2: "Camille Dupontel", REFERENT: "Dominique Vasarely"}
WORDS = {PROF2: (SECRET, PHONE), REFERENT: (OTHER_SECRET, OTHER_PHONE)}

ACTIVITY = [
    (REFERENT, "!permanence ouvrir vendredi 13h 1 place B12"),
    (PROF2, f"!permanence réserver vendredi 13h {SECRET} sur Pronote"),
    (TEACHER, "!permanence réserver vendredi 13h ENT"),  # waits for PROF2's place
    (PROF2, f"!formation Programmer avec {SECRET}, me rappeler au {PHONE}"),
    (TEACHER, "!formation +1 1"),
    (PROF2, f"!panne le TBI de la salle 8 grésille, dit {SECRET} ({PHONE})"),
    (REFERENT, f"!panne le wifi du CDI tombe, {OTHER_SECRET} le confirme"),
    (REFERENT, f"!veille http://localhost/veille/page {OTHER_SECRET} recommande ce site #ia"),
    (REFERENT, f"!formation Le tableur en {OTHER_SECRET}"),
    (REFERENT, f"!formation clore 2 vu avec {OTHER_SECRET} au {OTHER_PHONE}"),
    (REFERENT, "!fiche ajouter wifi-cdi Le code du wifi est affiché au CDI."),
    (REFERENT, "!fiche modifier wifi-cdi Le code du wifi est affiché au CDI, près de l'entrée."),
    (PROF2, "!fiche wifi-cdi"),
    (PROF2, "!projet 4e B histoire Podcast sur la Révolution #podcast"),
    (PRINCIPAL, "!objectifs ajouter Former les collègues à l'ENT"),
    (REFERENT, f"!objectifs point 1 {OTHER_SECRET} a animé une session"),
    (PROF2, "!permanence annuler vendredi 13h"),  # TEACHER gets the place: a notice
    (PRINCIPAL, f"!etablissement referent ajouter {PROF2}"),
]


async def live(chat, monkeypatch) -> dict[str, list[str]]:
    """Everyone's activity, handled as the Matrix inbox does; each person's event ids."""
    offline_fetch(monkeypatch, title="Une page")
    for person, name in NAMES.items():
        record_member(chat.db, "clg-test", person, "teacher", chat.now, display_name=name)
    events: dict[str, list[str]] = {}
    for sender, text in ACTIVITY:
        await chat.say(sender, text)
        event_id = f"$cmd{chat.counter}"
        mark_handled(chat.db, InboxItem(event_id, "!abc:localhost", sender, text, 0), chat.now)
        events.setdefault(sender, []).append(event_id)
    # A date poll on the first need, answered by PROF2 and TEACHER.
    need = find_need(chat.db, "clg-test", 1)
    option = PollOption("date-1", chat.now)
    attach_poll(chat.db, need, "$poll", "!abc:localhost", [option], REFERENT, chat.now)
    for voter in (PROF2, TEACHER):
        answer = f"$answer-{voter}"
        record_poll_response(chat.db, "$poll", voter, answer, ["date-1"], 1)
        events.setdefault(voter, []).append(answer)
    # A message to the room, queued and not sent yet, that names both.
    text = f"{mention(PROF2, NAMES[PROF2])} et {mention(TEACHER)} : la session est confirmée."
    queue_message(
        chat.db,
        establishment_id="clg-test",
        body=f"{NAMES[PROF2]} et {TEACHER} : la session est confirmée.",
        html=markdown_to_html(text),
        mentions=(PROF2, TEACHER),
        txn_id=f"rupn-{events[PROF2][0]}-2",  # queued by one of PROF2's commands
        now=chat.now,
    )
    return events


@pytest.mark.parametrize("person", [PROF2, REFERENT])
async def test_nothing_points_back_to_the_forgotten_person(chat, monkeypatch, person):
    events = await live(chat, monkeypatch)
    assert OTHER_SECRET.lower() in indexed_words(chat.db.conn)  # the referent's comment
    _, before = await ask_report(chat)

    reply = await chat.say(person, "!oublie-moi confirmer")
    assert reply.body.startswith("C'est fait : ")
    mark_handled(chat.db, InboxItem("$forget", "!abc:localhost", person, "", 0), chat.now,
                 forgotten=True)  # fmt: skip

    traces = [person, NAMES[person], *WORDS[person], "$forget", *events[person]]
    # "$cmd1" is not "$cmd12": each trace is matched whole.
    found = re.compile("|".join(rf"{re.escape(trace)}(?![0-9])" for trace in traces))
    stored = stored_values(chat.db.conn)
    left = [(where, value) for where, value in stored if found.search(value)]
    assert left == [], left
    assert not {word.lower() for word in WORDS[person]} & indexed_words(chat.db.conn)
    _, after = await ask_report(chat)
    assert numbers(after[0][1]) == numbers(before[0][1])


async def test_each_row_kept_gets_its_own_anonymous_name(chat, monkeypatch):
    await live(chat, monkeypatch)
    await chat.say(PROF2, "!oublie-moi confirmer")
    tokens = [
        value
        for c in PERSONAL_DATA
        if c.erase == "anonymise"
        for (value,) in chat.db.execute(
            f"SELECT {c.column} FROM {c.table} WHERE {c.column} LIKE 'anonyme-%'"
        )
    ]
    assert len(tokens) >= 5 and len(set(tokens)) == len(tokens)


async def test_a_need_and_a_breakdown_keep_their_count_without_their_words(chat, monkeypatch):
    await live(chat, monkeypatch)
    await chat.say(PROF2, "!oublie-moi confirmer")
    need = chat.db.execute("SELECT id, text FROM training_needs WHERE number = 1").fetchone()
    assert need[1] == REMOVED_TEXT
    votes = chat.db.execute("SELECT count(*) FROM training_votes WHERE need_id = ?", (need[0],))
    assert votes.fetchone()[0] == 2
    descriptions = [row[0] for row in chat.db.execute("SELECT description FROM incidents")]
    assert len(descriptions) == 2 and REMOVED_TEXT in descriptions
    (response,) = chat.db.execute(
        "SELECT response_event_id, answers FROM training_poll_responses WHERE voter NOT LIKE '@%'"
    ).fetchall()
    assert response == ("", '["date-1"]')  # still counted for its date, by nobody's event


async def test_messages_meant_for_others_still_go_out_without_the_name(chat, monkeypatch):
    await live(chat, monkeypatch)
    queue_message(
        chat.db,
        establishment_id="clg-test",
        dm_user=PROF2,
        body="Votre place est confirmée.",
        html="<p>Votre place est confirmée.</p>",
        mentions=(),
        txn_id="direct",
        now=chat.now,
    )
    waiting_before = [m for m in unsent_messages(chat.db) if m.dm_user != PROF2]
    await chat.say(PROF2, "!oublie-moi confirmer")
    waiting = unsent_messages(chat.db)
    assert [m.id for m in waiting] == [m.id for m in waiting_before]  # only PROF2's went
    (notice,) = [m for m in waiting if "session est confirmée" in m.body]
    assert notice.body == f"anonyme et {TEACHER} : la session est confirmée."
    assert notice.mentions == (TEACHER,)
    assert f'<a href="https://matrix.to/#/{TEACHER}">' in notice.html
    assert PROF2 not in notice.html and NAMES[PROF2] not in notice.html
    assert notice.txn_id.startswith("rupn-anonyme-")


async def test_forgetting_says_what_goes_and_what_stays(chat, monkeypatch):
    await live(chat, monkeypatch)
    asked = await chat.say(PROF2, "!oublie-moi")
    assert "tapez `!oublie-moi confirmer`" in asked.body
    assert "**Ce que j'efface** :" in asked.body
    assert "[texte retiré à la demande de son auteur]" in asked.body
    assert "- Votre nom d'affichage et votre rôle dans l'établissement : 1" in asked.body
    assert "**Ce que je garde, sans votre nom**" in asked.body
    assert "- Besoins de formation que vous avez exprimés : 1" in asked.body
    assert "- Vos réponses aux sondages de date : 1" in asked.body
    done = await chat.say(PROF2, "!oublie-moi confirmer")
    assert done.body.startswith("C'est fait : j'ai oublié les ")
    assert "**Ce que j'ai gardé, sans votre nom**" in done.body
    assert "- Besoins de formation que vous avez exprimés : 1" in done.body
    again = await chat.say(PROF2, "!oublie-moi")
    assert again.body == "Je ne garde aucune donnée à votre nom : il n'y a rien à effacer."


def test_the_purge_keeps_a_need_s_words_and_clears_old_poll_answer_ids(db):
    from datetime import datetime

    from storage.formation import record_need
    from tests.conftest import PARIS

    autumn = datetime(2025, 10, 6, 9, 0, tzinfo=PARIS)
    need = record_need(db, "clg-test", "Pronote et le cahier de textes", (), TEACHER, autumn)
    attach_poll(db, need, "$poll", "!abc:localhost", [PollOption("a", autumn)], REFERENT, autumn)
    record_poll_response(db, "$poll", PROF2, "$answer", ["a"], int(autumn.timestamp() * 1000))
    oubli.purge_before(db, datetime(2026, 9, 1, tzinfo=PARIS))
    assert db.execute("SELECT text FROM training_needs").fetchone()[0].startswith("Pronote")
    assert db.execute("SELECT response_event_id FROM training_poll_responses").fetchone() == ("",)
