"""!panne through the real dispatcher and a temp SQLite file; the classifier by table."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import pytest

from bot.core.dispatcher import Outcome
from storage.panne import CATEGORIES, classify_breakdown, find_incident, report_incident, room_of
from tests.conftest import PARIS, PRINCIPAL, REFERENT, TEACHER

PROF2 = "@prof2:localhost"
PROJECTOR = "!panne vidéoprojecteur salle 12 ne s'allume pas"


def incidents(db) -> list:
    return db.execute("SELECT * FROM incidents ORDER BY id").fetchall()


@pytest.mark.parametrize(
    ("description", "category"),
    [
        ("vidéoprojecteur salle 12 ne s'allume pas", "videoprojecteur"),
        ("Le VPI de la B12 n'affiche rien", "videoprojecteur"),
        ("TNI : le stylet ne répond plus", "videoprojecteur"),
        ("le vidéo-projecteur clignote orange", "videoprojecteur"),
        ("écran interactif tout noir en 204", "videoprojecteur"),
        ("plus de wifi au CDI", "reseau"),
        ("Internet très lent en salle info", "reseau"),
        ("pas de connexion depuis ce matin", "reseau"),
        ("l'imprimante de la salle des profs fait un bourrage", "imprimante"),
        ("le copieur n'a plus de toner", "imprimante"),
        ("Impossible de me connecter à Pronote", "ent"),
        ("mot de passe ENT perdu", "ent"),
        ("compte bloqué sur l'ENT pour un élève", "ent"),
        ("l'ordinateur du bureau ne démarre pas", "ordinateur"),
        ("le PC de la salle 3 plante", "ordinateur"),
        ("son ordinateur ne démarre plus", "ordinateur"),  # « son » is « his », not sound
        ("la souris ne marche plus", "ordinateur"),
        ("les tablettes ne chargent plus", "tablette"),
        ("iPad n° 7 bloqué", "tablette"),
        ("pas de son sur les enceintes", "son"),
        ("le son grésille", "son"),
        ("le micro ne marche pas en visio", "son"),
        ("le vidéoprojecteur n'a pas de son", "videoprojecteur"),  # tie: first named
        ("la machine à café fuit", "autre"),
        ("", "autre"),
    ],
)
def test_breakdowns_are_classified_by_keywords(description, category):
    assert classify_breakdown(description) == category


@pytest.mark.parametrize(
    ("description", "room"),
    [
        ("vidéoprojecteur salle 12 ne s'allume pas", "12"),
        ("VPI en salle B204.", "B204"),
        ("le VPI de la B12 n'affiche rien", "B12"),
        ("plus de wifi au CDI", "CDI"),
        ("les salles informatiques sont lentes", None),
        ("le micro de la salle de réunion grésille", None),
        ("l'imprimante de la salle des profs", None),
        ("la souris du poste en 104 ne marche plus", "104"),
        ("le wifi ne marche plus en 2027", None),
        ("l'ordinateur ne démarre pas", None),
    ],
)
def test_the_room_is_read_from_the_description(description, room):
    assert room_of(description) == room


async def test_a_breakdown_gets_its_checklist_and_the_ticket_link(chat):
    reply = await chat.say(TEACHER, PROJECTOR)
    lines = reply.body.splitlines()
    assert lines[0] == (
        "Panne n° 1 notée (vidéoprojecteur ou tableau interactif)."
        " Avant le ticket, quelques vérifications rapides :"
    )
    assert any("Source" in line and "HDMI" in line for line in lines)
    assert any(line.startswith("3. Câble HDMI ou VGA") for line in lines)
    assert '<a href="https://support.example.org/glpi">' in reply.html
    assert "- salle 12 et l'équipement en panne, avec son numéro d'étiquette" in reply.body
    assert "depuis quand (signalée ici le lundi 23 novembre 2026)" in reply.body
    assert "`!panne ticket 1` suivi de la référence" in reply.body
    assert reply.mentions == ()
    incident = find_incident(chat.db, "clg-test", 1)
    assert incident.category == "videoprojecteur" and incident.reporter == TEACHER
    assert incident.description == "vidéoprojecteur salle 12 ne s'allume pas"


@pytest.mark.parametrize("category", CATEGORIES)
async def test_every_category_has_a_checklist(chat, category, monkeypatch):
    monkeypatch.setattr("commands.panne.classify_breakdown", lambda _: category)
    reply = await chat.say(TEACHER, "!panne quelque chose ne va pas")
    assert reply.body.count("\n1. ") == 1 and "\n3. " in reply.body
    assert "support.example.org/glpi" in reply.body


async def test_unknown_equipment_gets_the_generic_checklist(chat):
    reply = await chat.say(TEACHER, "!panne la machine à café fuit")
    assert "(équipement)" in reply.body.splitlines()[0]
    assert "Tout est branché et allumé" in reply.body


async def test_without_a_ticket_portal_the_teacher_is_sent_to_the_referent(chat):
    establishment = dataclasses.replace(chat.config.establishments[0], ticket_url=None)
    chat.config = dataclasses.replace(chat.config, establishments=(establishment,))
    reply = await chat.say(TEACHER, PROJECTOR)
    assert (
        "Aucun portail de tickets n'est configuré pour le collège Test :"
        " demandez au référent numérique où déclarer la panne."
    ) in reply.body
    assert "<a " not in reply.html


async def test_ticket_reference_then_repair(chat):
    await chat.say(TEACHER, PROJECTOR)
    reply = await chat.say(TEACHER, "!panne ticket 1 GLPI-1234")
    assert reply.body.startswith("Ticket GLPI-1234 noté pour la panne n° 1")
    listing = await chat.say(TEACHER, "!panne")
    assert ": ticket GLPI-1234" in listing.body
    done = await chat.say(TEACHER, "!panne resolue 1")
    assert done.body.startswith("Panne n° 1 « vidéoprojecteur salle 12 ne s'allume pas » marquée")
    again = await chat.say(TEACHER, "!panne résolue 1")
    assert again.body == "La panne n° 1 est déjà résolue."
    assert chat.outcome is Outcome.REFUSED
    assert "Vous n'avez aucune panne en cours." in (await chat.say(TEACHER, "!panne")).body


async def test_teachers_see_their_own_breakdowns_referents_see_all(chat):
    chat.db.execute(
        "INSERT INTO members (establishment_id, user_id, role, display_name, first_seen)"
        " VALUES ('clg-test', ?, 'teacher', 'Paul Durand', '2026-11-01')",
        (TEACHER,),
    )
    await chat.say(TEACHER, PROJECTOR)
    await chat.say(PROF2, "!panne plus de wifi au CDI")
    mine = await chat.say(PROF2, "!panne")
    assert mine.body.splitlines()[0] == "**Vos pannes en cours**"
    assert "wifi" in mine.body and "vidéoprojecteur salle 12" not in mine.body
    everything = await chat.say(REFERENT, "!panne")
    assert everything.body.splitlines()[0] == "**Pannes en cours au collège Test**"
    assert "signalée le lundi 23 novembre 2026 par Paul Durand : pas encore de ticket" in (
        everything.body
    )
    assert "par @prof2:localhost" in everything.body
    assert everything.mentions == ()
    principal = await chat.say(PRINCIPAL, "!panne")
    assert "Vous n'avez aucune panne en cours." in principal.body


async def test_only_the_reporter_or_a_referent_updates_a_breakdown(chat):
    await chat.say(TEACHER, PROJECTOR)
    before = incidents(chat.db)
    refusal = (
        "La panne n° 1 a été signalée par quelqu'un d'autre : seuls cette personne et les"
        " référents numériques peuvent la mettre à jour."
    )
    for command in ("!panne ticket 1 GLPI-9", "!panne résolue 1"):
        assert (await chat.say(PROF2, command)).body == refusal  # who may, no usage line
        assert chat.outcome is Outcome.FORBIDDEN
    assert incidents(chat.db) == before
    assert "Ticket GLPI-9 noté" in (await chat.say(REFERENT, "!panne ticket 1 GLPI-9")).body
    assert "marquée réparée" in (await chat.say(REFERENT, "!panne réparée 1")).body


@pytest.mark.parametrize(
    ("command", "sentence"),
    [
        ("!panne ...", "Décrivez la panne en quelques mots"),
        ("!panne ?!", "Décrivez la panne en quelques mots"),
        ("!panne " + "x" * 501, "La description est trop longue"),
        ("!panne ticket abc GLPI-1", "« abc » n'est pas un numéro."),
        ("!panne ticket 1", "Précisez la référence du ticket."),
        ("!panne ticket 1 " + "R" * 61, "Cette référence est trop longue"),
        ("!panne ticket 99 GLPI-1", "La panne n° 99 n'existe pas"),
        ("!panne résolue 99", "La panne n° 99 n'existe pas"),
    ],
)
async def test_bad_input_gets_a_french_sentence_and_changes_nothing(chat, command, sentence):
    await chat.say(TEACHER, PROJECTOR)
    before = incidents(chat.db)
    reply = await chat.say(TEACHER, command)
    assert sentence in reply.body
    assert incidents(chat.db) == before


async def test_an_empty_panne_logs_nothing_and_says_how_to_report(chat):
    reply = await chat.say(TEACHER, "!panne")
    assert reply.body == (
        "Vous n'avez aucune panne en cours. Pour en signaler une :"
        " `!panne vidéoprojecteur salle 12 ne s'allume pas`."
    )
    assert incidents(chat.db) == []


async def test_description_is_escaped_and_pings_nobody(chat):
    reply = await chat.say(TEACHER, "!panne <img src=x onerror=alert(1)> VPI @room HS")
    assert reply.mentions == ()
    listing = await chat.say(REFERENT, "!panne")
    for message in (reply, listing):
        assert "<img" not in message.html
        assert "@room" not in message.body and "@room" not in message.html
    assert "&lt;img src=x onerror=alert(1)&gt;" in listing.html


def test_numbers_are_per_establishment(db):
    db.execute(
        "INSERT INTO establishments (id, name, room, zone, timezone)"
        " VALUES ('lyc-autre', 'Lycée Autre', '!x:localhost', 'A', 'Europe/Paris')"
    )
    now = datetime.now(PARIS)
    numbers = [
        report_incident(db, est, "VPI HS", "videoprojecteur", TEACHER, now).number
        for est in ("clg-test", "lyc-autre", "clg-test")
    ]
    assert numbers == [1, 1, 2]
