"""!formation through the real dispatcher and a temp SQLite file; similarity and tags by table."""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import datetime, timedelta

import pytest

from bot.core.dispatcher import Outcome
from bot.core.errors import BadArgument
from bot.toolkit.polls import (
    POLL_END_TYPE,
    POLL_START_TYPE,
    poll_selections,
    valid_selections,
)
from bot.toolkit.text import split_words
from commands.formation import NeedText, record_poll_answer
from storage import donnees, open_database
from storage.formation import (
    find_need,
    find_poll,
    looks_similar,
    normalize_tag,
    record_need,
    suggest_tags,
    upcoming_sessions,
    vote,
)
from tests.conftest import PARIS, PRINCIPAL, REFERENT, TEACHER

PROF2 = "@prof2:localhost"
PROF3 = "@prof3:localhost"


def snapshot(db) -> dict[str, list]:
    """Every row of the family's tables, to prove a refused command wrote nothing."""
    tables = (
        "training_needs",
        "training_votes",
        "training_sessions",
        "training_polls",
        "training_poll_responses",
    )
    return {t: db.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in tables}


# --- similarity, tags ------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "similar"),
    [
        ("Créer des capsules vidéo avec mes élèves", "capsules vidéo avec les élèves", True),
        ("Créer des capsules vidéo", "créer une capsule vidéo", True),
        ("Utiliser Pronote pour le cahier de textes", "le cahier de textes de Pronote", True),
        ("Pronote", "PRONOTE", True),
        ("Les tableaux numériques interactifs", "tableau numérique interactif", True),
        ("Sécurité des mots de passe", "mots de passe : la sécurité", True),
        ("Utiliser Pronote", "Utiliser Genially", False),
        ("Pronote", "Pronote : saisir les compétences du socle", False),
        ("Créer des capsules vidéo", "Créer des cartes mentales", False),
        ("Faire un podcast en classe", "Utiliser l'ENT en classe", False),
        ("de la et le", "de la et le", False),  # only stop words: nothing to compare
        ("", "Pronote", False),
    ],
)
def test_similar_needs_by_word_overlap(a, b, similar):
    assert looks_similar(a, b) is similar
    assert looks_similar(b, a) is similar


@pytest.mark.parametrize(
    ("text", "tags"),
    [
        ("Créer des capsules vidéo", ("creation-contenus",)),
        ("Utiliser Pronote avec les parents", ("communication-collaboration",)),
        ("Mots de passe et RGPD", ("protection-securite",)),
        ("Rechercher des sources fiables, l'esprit critique", ("information-donnees",)),
        ("Ranger ses fichiers et dossiers, la clé USB", ("environnement-numerique",)),
        ("Utiliser le VPI et créer des vidéos", ("creation-contenus", "environnement-numerique")),
        ("Gérer les élèves en sortie scolaire", ()),
        ("L'IA générative en classe", ("information-donnees",)),
    ],
)
def test_crcn_tags_suggested_from_keywords(text, tags):
    assert suggest_tags(text) == tags


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("creation-contenus", "creation-contenus"),
        ("Création-de-Contenus", "creation-contenus"),
        ("#securite", "protection-securite"),
        ("info", "information-donnees"),
        ("Information-et-données", "information-donnees"),
        ("pronote", "pronote"),
        ("---", None),
    ],
)
def test_tags_are_normalised_to_crcn_slugs(typed, stored):
    assert normalize_tag(typed) == stored


def read_need_text(text: str):
    return NeedText.consume(split_words(text), text, None)[0]


def test_need_text_takes_trailing_tags_and_the_nouveau_option_out():
    need = read_need_text("Faire un #podcast en classe #creation-contenus #pronote --nouveau")
    assert need.text == "Faire un #podcast en classe"
    assert need.tags == ("podcast", "creation-contenus", "pronote")
    assert need.flags == {"nouveau"}
    assert read_need_text("Podcast —nouveau").flags == {"nouveau"}  # phones turn -- into —
    with pytest.raises(BadArgument, match="Il manque le texte"):
        read_need_text("#pronote")
    with pytest.raises(BadArgument, match="Je ne connais pas l'option « --vite »"):
        read_need_text("Podcast --vite")


# --- recording, duplicates, votes ---------------------------------------------------


async def test_a_need_gets_a_number_and_suggested_tags(chat):
    reply = await chat.say(TEACHER, "!formation Créer des capsules vidéo avec mes élèves")
    assert reply.body.splitlines() == [
        "C'est noté : **besoin n° 1** « Créer des capsules vidéo avec mes élèves ».",
        "Thèmes : Création de contenus (proposés d'après vos mots).",
        "Les collègues intéressés peuvent le soutenir en réagissant 👍 à ce message, ou avec "
        "`!formation +1 1`.",
    ]
    need = find_need(chat.db, "clg-test", 1)
    assert need.author == TEACHER and need.votes == 1 and need.tags == ("creation-contenus",)


async def test_tags_given_by_the_teacher_win_over_suggestions(chat):
    reply = await chat.say(TEACHER, "!formation Capsules vidéo #securite #Pronote")
    assert "Thèmes : Protection et sécurité, #pronote." in reply.body
    assert "proposés" not in reply.body
    reply = await chat.say(PROF2, "!formation Organiser la sortie au musée")
    assert "Je n'ai pas reconnu de thème" in reply.body and "`#creation-contenus`" in reply.body


async def test_a_similar_open_need_is_pointed_out_instead_of_recorded(chat):
    await chat.say(TEACHER, "!formation Créer des capsules vidéo avec mes élèves")
    before = snapshot(chat.db)
    reply = await chat.say(PROF2, "!formation capsules vidéo avec les élèves")
    assert "Un besoin proche existe déjà : **n° 1**" in reply.body
    assert "`!formation +1 1`" in reply.body
    assert "`!formation nouveau : capsules vidéo avec les élèves`" in reply.body
    assert snapshot(chat.db) == before
    forced = await chat.say(PROF2, "!formation nouveau : capsules vidéo avec les élèves")
    assert "besoin n° 2" in forced.body
    assert "« capsules vidéo avec les élèves »" in forced.body
    again = await chat.say(TEACHER, "!formation Nouveau: capsules vidéo pour la classe")
    assert "besoin n° 3" in again.body and "« capsules vidéo pour la classe »" in again.body


async def test_needs_are_listed_by_support_with_their_tags(chat):
    await chat.say(TEACHER, "!formation Utiliser Pronote pour le cahier de textes")
    await chat.say(PROF2, "!formation Créer des capsules vidéo")
    await chat.say(PROF3, "!formation Mots de passe des élèves")
    for sender in (TEACHER, PROF3):
        await chat.say(sender, "!formation +1 2")
    await chat.say(TEACHER, "!formation +1 3")
    reply = await chat.say(PRINCIPAL, "!formation")
    lines = [line for line in reply.body.splitlines() if line.startswith("- ")]
    assert lines == [
        "- **n° 2** « Créer des capsules vidéo » : 3 soutiens (Création de contenus)",
        "- **n° 3** « Mots de passe des élèves » : 2 soutiens (Protection et sécurité)",
        "- **n° 1** « Utiliser Pronote pour le cahier de textes » : 1 soutien"
        " (Communication et collaboration)",
    ]


async def test_empty_list_says_how_to_start(chat):
    reply = await chat.say(TEACHER, "!formation")
    assert reply.body.startswith("Aucun besoin de formation en cours au collège Test.")


async def test_a_person_supports_a_need_once_and_may_withdraw(chat):
    await chat.say(TEACHER, "!formation Créer des capsules vidéo")
    assert "est compté : 2 soutiens" in (await chat.say(PROF2, "!formation +1 1")).body
    again = await chat.say(PROF2, "!formation +1 n°1")
    assert "Vous soutenez déjà le besoin n° 1 (2 soutiens)" in again.body
    assert "Vous soutenez déjà" in (await chat.say(TEACHER, "!formation +1 1")).body  # the author
    assert "vous ne soutenez plus" in (await chat.say(PROF2, "!formation -1 1")).body
    assert "rien à retirer" in (await chat.say(PROF2, "!formation -1 1")).body
    assert find_need(chat.db, "clg-test", 1).votes == 1


async def test_two_simultaneous_votes_of_one_person_count_once(chat):
    await chat.say(TEACHER, "!formation Créer des capsules vidéo")
    await asyncio.gather(*(chat.say(PROF2, "!formation +1 1") for _ in range(5)))
    assert find_need(chat.db, "clg-test", 1).votes == 2


def test_votes_from_two_connections_at_once_count_once(db):
    """The primary key, not the code path, guarantees one vote per person."""
    need = record_need(db, "clg-test", "Podcast", (), TEACHER, datetime.now(PARIS))
    path = db.execute("PRAGMA database_list").fetchone()[2]
    barrier = threading.Barrier(4)
    results = []

    def cast():
        conn = open_database(path)
        barrier.wait()
        results.append(vote(conn, need.id, PROF2, datetime.now(PARIS)))
        conn.close()

    threads = [threading.Thread(target=cast) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False, False, False, True]
    assert find_need(db, "clg-test", need.number).votes == 2


def test_numbers_are_per_establishment(db):
    db.execute(
        "INSERT INTO establishments (id, name, room, zone, timezone)"
        " VALUES ('lyc-autre', 'Lycée Autre', '!x:localhost', 'A', 'Europe/Paris')"
    )
    now = datetime.now(PARIS)
    first = record_need(db, "clg-test", "Podcast", (), TEACHER, now)
    other = record_need(db, "lyc-autre", "Podcast", (), TEACHER, now)
    second = record_need(db, "clg-test", "Genially", (), TEACHER, now)
    assert (first.number, other.number, second.number) == (1, 1, 2)


# --- bad input ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sender", "command", "sentence"),
    [
        (PROF2, "!formation +1 abc", "« abc » n'est pas un numéro."),
        (PROF2, "!formation +1", "Précisez le numéro du besoin."),
        (PROF2, "!formation +1 42", "Le besoin n° 42 n'existe pas"),
        (REFERENT, "!formation planifier 999 demain", "Le besoin n° 999 n'existe pas"),
        (REFERENT, "!formation planifier 1 le 2/11/2026 12h", "Cette date est déjà passée"),
        (REFERENT, "!formation planifier 1 mercredi 25h", "Je ne comprends pas la date"),
        (REFERENT, "!formation planifier 1 sondage", "Aucun sondage n'a été lancé"),
        (TEACHER, "!formation planifier 1 demain", "réservée aux référents numériques"),
        (REFERENT, "!formation sondage 1 demain 12h", "au moins deux dates"),
        (
            REFERENT,
            "!formation sondage 1 demain 12h | hier",
            "Je ne comprends pas la date « hier »",
        ),
        (REFERENT, "!formation sondage 1 demain 12h | 2/11/2026", "est déjà passée"),
        (REFERENT, "!formation sondage 1 demain 12h | demain 12h", "proposée deux fois"),
        (PROF2, "!formation #pronote", "Il manque le texte"),
        (PROF2, "!formation " + "très long " * 40, "Le texte est trop long"),
    ],
)
async def test_bad_input_gets_a_french_sentence_and_changes_nothing(
    chat, sender, command, sentence
):
    await chat.say(TEACHER, "!formation Créer des capsules vidéo")
    before = snapshot(chat.db)
    sent = len(chat.messenger.sent)
    reply = await chat.say(sender, command)
    assert sentence in reply.body
    assert snapshot(chat.db) == before
    assert len(chat.messenger.sent) == sent + 1  # the answer, no poll, no notice
    assert reply.mentions == ()
    # A typing mistake gets the usage line; a refusal (no poll yet, not a referent) does not.
    typed = (sender, command) not in REFUSED
    assert chat.outcome is (Outcome.REJECTED if typed else REFUSED[sender, command])
    assert ("\nPar exemple : `!formation" in reply.body) is typed


REFUSED = {
    (REFERENT, "!formation planifier 1 sondage"): Outcome.REFUSED,
    (TEACHER, "!formation planifier 1 demain"): Outcome.FORBIDDEN,
}


async def test_user_text_is_escaped_and_pings_nobody(chat):
    hostile = "<script>alert(1)</script> <b>gras</b> @room [lien](http://x)"
    reply = await chat.say(TEACHER, f"!formation Pronote {hostile}")
    assert "&lt;script&gt;" in reply.html and "<script>" not in reply.html
    assert "<b>" not in reply.html and "<a " not in reply.html
    assert "@room" not in reply.body and "@room" not in reply.html
    assert reply.mentions == ()
    await chat.say(PROF2, "!formation +1 1")
    planned = await chat.say(REFERENT, "!formation planifier 1 jeudi 12h30 <i>B12</i> @room")
    assert "<script>" not in planned.html and "<i>" not in planned.html
    assert "@room" not in planned.body
    assert planned.mentions == (TEACHER, PROF2)
    listing = await chat.say(PROF2, "!formation")
    assert "<script>" not in listing.html and "@room" not in listing.body


# --- planning, closing, DANE --------------------------------------------------------


async def test_planning_mentions_everyone_who_asked_or_voted(chat):
    await chat.say(TEACHER, "!formation Créer des capsules vidéo")
    await chat.say(PROF2, "!formation +1 1")
    await chat.say(REFERENT, "!formation +1 1")
    reply = await chat.say(REFERENT, "!formation planifier 1 jeudi 12h30 salle B12")
    assert reply.body.splitlines()[0] == (
        "Session de formation planifiée : **jeudi 26 novembre à 12 h 30**, salle B12."
    )
    # The referent who plans is not pinged by their own command; the others' phones ring.
    assert reply.mentions == (TEACHER, PROF2)
    assert chat.messenger.sent[-1].alert
    assert 'href="https://matrix.to/#/@prof1:localhost"' in reply.html
    assert 'href="https://matrix.to/#/@prof2:localhost"' in reply.html
    listing = await chat.say(TEACHER, "!formation")
    assert "**Sessions prévues**" in listing.body
    assert "- jeudi 26 novembre à 12 h 30 (salle B12) : n° 1 « Créer des capsules vidéo »" in (
        listing.body
    )
    assert "+1 1" not in listing.body  # planned: no longer among the open needs
    refused = await chat.say(PROF3, "!formation +1 1")
    assert "déjà planifié : session le jeudi 26 novembre à 12 h 30" in refused.body
    moved = await chat.say(REFERENT, "!formation planifier 1 vendredi 12h30")
    assert moved.body.startswith("Session déplacée : **vendredi 27 novembre à 12 h 30**.")


async def test_mentions_use_the_display_names_the_bot_has_seen(chat):
    chat.db.execute(
        "INSERT INTO members (establishment_id, user_id, role, display_name, first_seen)"
        " VALUES ('clg-test', ?, 'teacher', 'Paul <Durand>', '2026-11-01')",
        (TEACHER,),
    )
    await chat.say(TEACHER, "!formation Créer des capsules vidéo")
    reply = await chat.say(REFERENT, "!formation planifier 1 demain")
    assert '<a href="https://matrix.to/#/@prof1:localhost">Paul &lt;Durand&gt;</a>' in reply.html
    assert "**mardi 24 novembre 2026**" in reply.body  # a date alone, no « à 0 h »


async def test_sessions_for_the_newsletter_are_the_coming_ones(chat):
    for text in ("Podcast", "Genially", "Tableur", "Pronote"):
        await chat.say(TEACHER, f"!formation {text}")
    await chat.say(REFERENT, "!formation planifier 1 vendredi 12h30")
    await chat.say(REFERENT, "!formation planifier 2 jeudi 17h")
    await chat.say(REFERENT, "!formation planifier 3 mardi 12h")
    await chat.say(REFERENT, "!formation clore 3 annulé")
    sessions = upcoming_sessions(chat.db, "clg-test", chat.now)
    assert [(s.need_number, s.starts_at.astimezone(PARIS).day) for s in sessions] == [
        (2, 26),
        (1, 27),
    ]
    assert upcoming_sessions(chat.db, "clg-test", chat.now + timedelta(days=5)) == []


async def test_close_and_forward_to_the_dane(chat):
    await chat.say(TEACHER, "!formation Créer des capsules vidéo")
    await chat.say(TEACHER, "!formation Certification Pix pour les élèves")
    closed = await chat.say(REFERENT, "!formation clore 1 faite au conseil pédagogique")
    assert closed.body == (
        "Besoin n° 1 « Créer des capsules vidéo » clos. Note : faite au conseil pédagogique"
    )
    forwarded = await chat.say(REFERENT, "!formation dane 2")
    assert "noté pour la DANE" in forwarded.body
    listing = await chat.say(TEACHER, "!formation")
    assert "Aucun besoin ouvert pour l'instant." in listing.body
    assert "Noté pour la DANE : n° 2 « Certification Pix pour les élèves »." in listing.body
    assert (await chat.say(PROF2, "!formation +1 1")).body == "Le besoin n° 1 est clos."
    assert chat.outcome is Outcome.REFUSED
    again = await chat.say(REFERENT, "!formation dane 2")
    assert again.body == "Le besoin n° 2 est déjà noté pour la DANE."
    assert "réservée aux référents" in (await chat.say(TEACHER, "!formation clore 2")).body
    assert find_need(chat.db, "clg-test", 1).close_note == "faite au conseil pédagogique"


# --- date polls ---------------------------------------------------------------------


async def answer(chat, sender, poll_id, choice, ts, *, stable=False, event_id=None, room=None):
    """Deliver a poll response as the Matrix layer does, to the registered listener.

    ``choice`` is one answer id, or the list of every id the person ticked.
    """
    relation = {"rel_type": "m.reference", "event_id": poll_id}
    selections = [choice] if isinstance(choice, str) else list(choice)
    if stable:
        event_type = "m.poll.response"
        content = {"m.relates_to": relation, "m.selections": selections}
    else:
        event_type = "org.matrix.msc3381.poll.response"
        content = {
            "m.relates_to": relation,
            "org.matrix.msc3381.poll.response": {"answers": selections},
        }
    event = {
        "type": event_type,
        "sender": sender,
        "event_id": event_id or f"$r-{sender}-{ts}",
        "origin_server_ts": ts,
        "content": content,
    }
    ctx = chat.context(sender, event["event_id"])
    if room:
        ctx.room_id = room
    for item in chat.registry.listeners[event_type]:
        await item.handler(ctx, event)


async def start_poll(chat) -> tuple[dict, str]:
    await chat.say(TEACHER, "!formation Créer des capsules vidéo")
    await chat.say(PROF2, "!formation +1 1")
    reply = await chat.say(
        REFERENT, "!formation sondage 1 jeudi 12h30 | vendredi 12h30 | lundi 17h"
    )
    poll = next(s for s in chat.messenger.sent if s.filename == POLL_START_TYPE)
    assert "Sondage publié pour le besoin n° 1" in reply.body
    assert reply.mentions == (TEACHER, PROF2)
    return poll.data, f"$sent{chat.messenger.sent.index(poll) + 1}"


async def test_a_poll_is_posted_in_both_shapes_and_stored(chat):
    content, poll_id = await start_poll(chat)
    unstable = content["org.matrix.msc3381.poll.start"]
    assert unstable["kind"] == "org.matrix.msc3381.poll.disclosed"
    # Every date can be ticked: clients show checkboxes.
    assert unstable["max_selections"] == 3
    assert unstable["question"]["org.matrix.msc1767.text"] == (
        "Formation « Créer des capsules vidéo » (besoin n° 1) :"
        " quelles dates vous conviennent ? (plusieurs choix possibles)"
    )
    assert [a["org.matrix.msc1767.text"] for a in unstable["answers"]] == [
        "jeudi 26 novembre à 12 h 30",
        "vendredi 27 novembre à 12 h 30",
        "lundi 23 novembre à 17 h",  # today, still to come at 9h
    ]
    stable = content["m.poll"]
    assert stable["kind"] == "m.disclosed" and stable["max_selections"] == 3
    assert [a["m.id"] for a in stable["answers"]] == [a["id"] for a in unstable["answers"]]
    assert stable["answers"][0]["m.text"] == [{"body": "jeudi 26 novembre à 12 h 30"}]
    assert content["org.matrix.msc1767.text"].endswith("\n3. lundi 23 novembre à 17 h")
    assert content["m.text"] == [{"body": content["org.matrix.msc1767.text"]}]
    assert find_need(chat.db, "clg-test", 1).poll_event_id == poll_id


async def test_planning_from_the_poll_takes_the_most_chosen_date(chat):
    content, poll_id = await start_poll(chat)
    ids = [a["id"] for a in content["org.matrix.msc3381.poll.start"]["answers"]]
    await answer(chat, TEACHER, poll_id, ids[1], 1000)
    await answer(chat, PROF2, poll_id, ids[0], 1000, stable=True)
    await answer(chat, PROF2, poll_id, ids[1], 2000, stable=True)  # changed their mind
    await answer(chat, PROF3, poll_id, ids[2], 1500)
    await answer(chat, PROF3, poll_id, ids[0], 1400)  # older, delivered late: ignored
    await answer(chat, PRINCIPAL, poll_id, "date-99", 1500)  # unknown answer: spoiled
    await answer(chat, PROF2, poll_id, ids[1], 2000, stable=True)  # replayed: no change
    before = len(chat.messenger.sent)
    reply = await chat.say(REFERENT, "!formation planifier 1 sondage B12")
    assert reply.body.splitlines()[:2] == [
        "Session de formation planifiée : **vendredi 27 novembre à 12 h 30**, salle B12.",
        "Besoin n° 1 « Créer des capsules vidéo » ; date choisie par le sondage :"
        " 2 collègues sur 3 peuvent venir.",
    ]
    # Supporters and everyone who answered the poll are told, the referent is not.
    assert reply.mentions == (TEACHER, PROF2, PROF3)
    end = chat.messenger.sent[before]
    assert end.filename == POLL_END_TYPE
    assert end.data["m.relates_to"] == {"rel_type": "m.reference", "event_id": poll_id}
    assert "vendredi 27 novembre à 12 h 30 retenu" in end.data["org.matrix.msc1767.text"]
    # A closed poll takes no more answers.
    await answer(chat, PRINCIPAL, poll_id, ids[0], 5000)
    rows = chat.db.execute(
        "SELECT answers FROM training_poll_responses WHERE voter = ?", (PRINCIPAL,)
    )
    assert rows.fetchall() == [("[]",)]


async def test_poll_without_answers_cannot_be_closed(chat):
    _, poll_id = await start_poll(chat)
    await answer(chat, PROF2, poll_id, "nope", 1000)
    before = snapshot(chat.db)
    reply = await chat.say(REFERENT, "!formation planifier 1 sondage")
    assert "Personne n'a encore répondu au sondage du besoin n° 1" in reply.body
    assert snapshot(chat.db) == before


async def test_answers_to_unknown_polls_or_from_another_room_are_ignored(chat):
    content, poll_id = await start_poll(chat)
    first = content["org.matrix.msc3381.poll.start"]["answers"][0]["id"]
    await answer(chat, PROF2, "$not-ours", first, 1000)
    await answer(chat, PROF2, poll_id, first, 1000, room="!other:localhost")
    assert snapshot(chat.db)["training_poll_responses"] == []


def poll_ids(content: dict) -> list[str]:
    return [a["id"] for a in content["org.matrix.msc3381.poll.start"]["answers"]]


async def plan_from_poll(chat) -> list[str]:
    """Plan need n° 1 from its poll: the announcement's lines, the poll's end is checked."""
    before = len(chat.messenger.sent)
    reply = await chat.say(REFERENT, "!formation planifier 1 sondage")
    assert chat.messenger.sent[before].filename == POLL_END_TYPE
    return reply.body.splitlines()


async def test_a_person_choosing_two_dates_counts_on_both(chat):
    content, poll_id = await start_poll(chat)
    thursday, friday, monday = poll_ids(content)
    await answer(chat, TEACHER, poll_id, [thursday, friday], 1000)
    await answer(chat, PROF2, poll_id, [friday], 1100, stable=True)
    await answer(chat, PROF3, poll_id, [friday, "date-99", monday, friday], 1200)  # odd client
    listing = await chat.say(TEACHER, "!formation")
    assert (
        "    - Sondage de date en cours, 3 réponses : jeudi 26 novembre à 12 h 30 : 1 ;"
        " vendredi 27 novembre à 12 h 30 : 3 ; lundi 23 novembre à 17 h : 1." in listing.body
    )
    before = len(chat.messenger.sent)
    lines = await plan_from_poll(chat)
    assert lines[:2] == [
        "Session de formation planifiée : **vendredi 27 novembre à 12 h 30**.",
        "Besoin n° 1 « Créer des capsules vidéo » ; date choisie par le sondage :"
        " les 3 collègues qui ont répondu peuvent venir.",
    ]
    assert chat.messenger.sent[before].data["org.matrix.msc1767.text"] == (
        "Sondage clos : vendredi 27 novembre à 12 h 30 retenu pour la formation"
        " « Créer des capsules vidéo » (besoin n° 1), les 3 collègues qui ont répondu"
        " peuvent venir. Réponses par date : jeudi 26 novembre à 12 h 30 : 1 ;"
        " vendredi 27 novembre à 12 h 30 : 3 ; lundi 23 novembre à 17 h : 1."
    )
    # Once planned, the poll leaves the list: the session shows instead.
    listing = await chat.say(TEACHER, "!formation")
    assert "Sondage de date en cours" not in listing.body


async def test_a_new_answer_replaces_the_previous_one_and_an_empty_one_withdraws(chat):
    content, poll_id = await start_poll(chat)
    thursday, friday, monday = poll_ids(content)
    await answer(chat, TEACHER, poll_id, [thursday, friday], 1000)
    await answer(chat, TEACHER, poll_id, [monday], 2000, stable=True)  # only Monday now
    await answer(chat, PROF2, poll_id, [thursday, friday], 1000)
    await answer(chat, PROF2, poll_id, [], 2000)  # unticked everything
    listing = await chat.say(TEACHER, "!formation")
    assert (
        "Sondage de date en cours, 1 réponse : jeudi 26 novembre à 12 h 30 : 0 ;"
        " vendredi 27 novembre à 12 h 30 : 0 ; lundi 23 novembre à 17 h : 1." in listing.body
    )
    lines = await plan_from_poll(chat)
    assert lines[0] == "Session de formation planifiée : **lundi 23 novembre à 17 h**."
    assert lines[1].endswith("la seule personne à avoir répondu peut venir.")


async def test_a_tie_goes_to_the_earliest_date_not_the_first_proposed(chat):
    content, poll_id = await start_poll(chat)
    thursday, friday, monday = poll_ids(content)
    await answer(chat, TEACHER, poll_id, [thursday, monday], 1000)
    await answer(chat, PROF2, poll_id, [thursday, monday], 1100)
    await answer(chat, PROF3, poll_id, [friday], 1200)
    lines = await plan_from_poll(chat)
    assert lines[0] == "Session de formation planifiée : **lundi 23 novembre à 17 h**."
    assert lines[1].endswith("2 collègues sur 3 peuvent venir.")


async def test_a_single_choice_poll_posted_before_keeps_counting_one_date(chat):
    await chat.say(TEACHER, "!formation Créer des capsules vidéo")
    need = find_need(chat.db, "clg-test", 1)
    options = [
        {"id": "date-1", "starts_at": "2026-11-26T11:30:00+00:00"},
        {"id": "date-2", "starts_at": "2026-11-27T11:30:00+00:00"},
    ]
    # As the single-choice version stored it: no max_selections, an answer already kept.
    chat.db.execute(
        "INSERT INTO training_polls (event_id, need_id, room_id, options, created_by,"
        " created_at) VALUES ('$old-poll', ?, ?, ?, ?, '2026-11-20T08:00:00+00:00')",
        (need.id, chat.config.establishments[0].room, json.dumps(options), REFERENT),
    )
    chat.db.execute(
        "UPDATE training_needs SET poll_event_id = '$old-poll' WHERE id = ?", (need.id,)
    )
    chat.db.execute(
        "INSERT INTO training_poll_responses VALUES ('$old-poll', ?, '$r-old', ?, 500)",
        (PROF3, json.dumps(["date-1"])),
    )
    assert find_poll(chat.db, "$old-poll").max_selections == 1
    # A client that sends two answers to a single-choice poll counts for the first.
    await answer(chat, TEACHER, "$old-poll", ["date-2", "date-1"], 1000)
    await answer(chat, PROF2, "$old-poll", "date-2", 1100)
    lines = await plan_from_poll(chat)
    assert lines[0] == "Session de formation planifiée : **vendredi 27 novembre à 12 h 30**."
    assert lines[1].endswith("2 collègues sur 3 peuvent venir.")


async def test_dates_ticked_are_in_the_export_and_still_counted_once_forgotten(chat):
    content, poll_id = await start_poll(chat)
    thursday, friday, _ = poll_ids(content)
    await answer(chat, PROF2, poll_id, [thursday, friday], 1000)
    await answer(chat, PROF3, poll_id, [friday], 1100)
    (exported,) = donnees.export_user(chat.db, PROF2)["training_poll_responses.voter"]
    assert json.loads(exported["answers"]) == [thursday, friday]
    await chat.say(PROF2, "!oublie-moi")
    await chat.say(PROF2, "!oublie-moi confirmer")
    assert donnees.export_user(chat.db, PROF2) == {}
    listing = await chat.say(TEACHER, "!formation")
    assert "2 réponses : jeudi 26 novembre à 12 h 30 : 1 ; vendredi 27 novembre à 12 h 30 : 2" in (
        listing.body
    )


def test_valid_selections_keep_known_ids_once_up_to_the_maximum():
    known = ["date-1", "date-2", "date-3"]
    assert valid_selections(["date-2", "x", "date-2", "date-1"], known, 3) == ["date-2", "date-1"]
    assert valid_selections(["x", "date-3", "date-1"], known, 1) == ["date-3"]
    assert valid_selections([], known, 3) == []


def test_poll_selections_read_every_shape():
    assert poll_selections({"m.selections": ["a"]}) == ["a"]
    assert poll_selections({"org.matrix.msc3381.poll.response": {"answers": ["b"]}}) == ["b"]
    assert poll_selections({"m.poll.response": {"answers": ["c", 3]}}) == ["c"]
    assert poll_selections({}) == []


async def test_listener_is_registered_for_both_response_types(registry):
    for event_type in ("m.poll.response", "org.matrix.msc3381.poll.response"):
        assert registry.listeners[event_type] == [record_poll_answer]


async def test_help_lists_the_sub_commands_of_the_role(chat):
    teacher = await chat.say(TEACHER, "!aide formation")
    referent = await chat.say(REFERENT, "!aide formation")
    assert "`!formation +1 <numéro>`" in teacher.body and "planifier" not in teacher.body
    assert "`!formation planifier <numéro> <date|sondage> [salle]`" in referent.body
    assert "`!formation sondage <numéro> <date | date | …>`" in referent.body
