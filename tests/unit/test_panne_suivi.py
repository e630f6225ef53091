"""Breakdowns followed together: a second report joins the first, the repair tells
everyone once, a room's breakdowns, and the technician's visit list."""

from __future__ import annotations

import csv
import io

import pytest

from bot.core.dispatcher import Outcome
from storage import oubli
from storage.db import available_migrations, migrate, open_database
from storage.establishments import record_member
from storage.panne import find_incident, room_key
from tests.conftest import PRINCIPAL, REFERENT, TEACHER
from tests.support.reading import queued_as_read

PROF2 = "@prof2:localhost"
PROF3 = "@prof3:localhost"
FIRST = "!panne le vidéoprojecteur de la salle B12 ne s'allume pas"
SECOND = "!panne VPI HS en b12, écran tout noir"


def incidents(db) -> list:
    return db.execute("SELECT * FROM incidents ORDER BY id").fetchall()


def followers(db) -> list:
    return db.execute("SELECT incident_id, user_id FROM incident_followers").fetchall()


@pytest.mark.parametrize(
    ("written", "key"),
    [("B12", "B12"), ("b12", "B12"), ("salle B-12", "B12"), ("Salle b12", "B12"), ("cdi", "CDI")],
)
def test_a_room_is_compared_written_one_way(written, key):
    assert room_key(written) == key


async def test_a_second_report_of_the_same_projector_joins_the_first(chat):
    await chat.say(TEACHER, FIRST)
    await chat.say(TEACHER, "!panne ticket 1 GLPI-1234")
    reply = await chat.say(PROF2, SECOND)
    lines = reply.body.splitlines()
    assert lines[0] == (
        "Panne déjà signalée : n° 1, ticket GLPI-1234 ; vous serez prévenu(e) de la réparation."
    )
    assert (
        "(vidéoprojecteur ou tableau interactif en salle B12), signalée le lundi 23 novembre"
        " 2026 ; 2 personnes l'ont signalée." in reply.body
    )
    assert "`!panne nouvelle` suivi de sa description la note à part" in reply.body
    assert reply.mentions == ()
    assert len(incidents(chat.db)) == 1
    assert followers(chat.db) == [(1, PROF2)]
    # Said again, by either of them: nobody is counted twice.
    again = await chat.say(PROF2, "!panne le projecteur de la salle B12 ne marche toujours pas")
    assert again.body.startswith("Vous avez déjà signalé cette panne : n° 1, ticket GLPI-1234 ;")
    await chat.say(TEACHER, "!panne projecteur B12 toujours en panne")
    assert len(incidents(chat.db)) == 1 and followers(chat.db) == [(1, PROF2)]
    assert find_incident(chat.db, "clg-test", 1).concerned == 2
    # Each finds it among their own breakdowns.
    assert "**n° 1**" in (await chat.say(PROF2, "!panne")).body


@pytest.mark.parametrize(
    "other",
    [
        "!panne le vidéoprojecteur de la salle B14 ne s'allume pas",  # another room
        "!panne plus de wifi en salle B12",  # other equipment
        "!panne le vidéoprojecteur ne s'allume pas",  # no room said
        "!panne nouvelle le vidéoprojecteur de la B12 : la lampe clignote",  # on purpose
    ],
)
async def test_another_room_equipment_or_a_new_one_on_purpose_is_a_new_breakdown(chat, other):
    await chat.say(TEACHER, FIRST)
    reply = await chat.say(PROF2, other)
    assert reply.body.startswith("Panne n° 2 notée")
    assert followers(chat.db) == []


async def test_other_equipment_matches_on_the_words_naming_it(chat):
    await chat.say(TEACHER, "!panne la machine à café de la salle B12 fuit")
    same = await chat.say(PROF2, "!panne machine à café B12 en panne")
    assert same.body.startswith("Panne déjà signalée : n° 1, pas encore de ticket ;")
    await chat.say(TEACHER, "!panne la chaise du bureau en B07 est cassée")
    other = await chat.say(PROF2, "!panne fenêtre cassée en B07")
    assert other.body.startswith("Panne n° 3 notée")


async def test_the_repair_tells_everyone_concerned_once(chat):
    await chat.say(TEACHER, FIRST)
    await chat.say(PROF2, SECOND)
    await chat.say(PROF3, "!panne salle b12 le TNI ne répond plus")
    done = await chat.say(REFERENT, "!panne réparée 1")
    assert done.body.endswith("Je préviens les 3 personnes qui l'avaient signalée.")
    (notice,) = queued_as_read(chat.db)
    assert notice.room_id == chat.config.establishments[0].room and notice.alert
    assert notice.mentions == (TEACHER, PROF2, PROF3)
    assert notice.body.endswith(
        ": la panne n° 1 que vous aviez signalée (vidéoprojecteur ou tableau interactif"
        " en salle B12) est **réparée**."
    )
    # Handled again (a restart), or said again: nobody is told twice.
    again = await chat.say(REFERENT, "!panne réparée 1")
    assert again.body == "La panne n° 1 est déjà résolue." and chat.outcome is Outcome.REFUSED
    assert len(queued_as_read(chat.db)) == 1


async def test_the_reporter_who_repairs_tells_the_others_only(chat):
    await chat.say(TEACHER, FIRST)
    await chat.say(PROF2, SECOND)
    done = await chat.say(TEACHER, "!panne résolue 1")
    assert done.body.endswith("Je préviens la personne qui l'avait signalée.")
    (notice,) = queued_as_read(chat.db)
    assert notice.mentions == (PROF2,)


async def test_alone_nobody_else_is_told_and_the_forgotten_never(chat):
    await chat.say(TEACHER, FIRST)
    await chat.say(PROF2, SECOND)
    oubli.forget_user(chat.db, PROF2)
    done = await chat.say(TEACHER, "!panne résolue 1")
    assert done.body.endswith("Merci d'avoir suivi le ticket !")
    assert queued_as_read(chat.db) == []
    # The forgotten one's words are gone, their report still counted.
    assert find_incident(chat.db, "clg-test", 1).concerned == 2


async def test_what_is_open_in_a_room(chat):
    await chat.say(TEACHER, FIRST)
    await chat.say(PROF2, SECOND)
    await chat.say(TEACHER, "!panne plus de wifi au CDI")
    await chat.say(TEACHER, "!panne salle B12 l'imprimante fait des bourrages")
    listing = await chat.say(PROF3, "!panne salle b12")
    lines = listing.body.splitlines()
    assert lines[0] == "**Pannes en cours en salle b12**"
    assert lines[1].startswith("- **n° 1** (vidéoprojecteur ou tableau interactif) « le")
    assert lines[1].endswith(
        ", signalée le lundi 23 novembre 2026 (2 personnes concernées) : pas encore de ticket"
    )
    assert "**n° 3**" in listing.body and "wifi" not in listing.body
    assert TEACHER not in listing.body and listing.mentions == ()
    profs = await chat.say(PROF3, "!panne salle des profs : l'imprimante fait des bourrages")
    assert profs.body.startswith("Panne n° 4 notée (imprimante ou copieur).")
    assert find_incident(chat.db, "clg-test", 4).room is None
    cdi = await chat.say(PROF3, "!panne salle CDI")
    assert cdi.body.startswith("**Pannes en cours au CDI**")
    empty = await chat.say(PROF3, "!panne salle 204")
    assert empty.body.startswith("Aucune panne en cours en salle 204. Pour en signaler une :")


async def test_the_visit_list_room_by_room_in_a_message_and_two_files(chat):
    record_member(chat.db, "clg-test", TEACHER, "teacher", chat.now, display_name="Paul Durand")
    await chat.say(TEACHER, "!panne le TBI de la salle B12 est HS, Paul Durand a tout essayé")
    await chat.say(PROF2, SECOND)
    await chat.say(REFERENT, "!panne ticket 1 GLPI-1234")
    await chat.say(PROF2, '!panne =HYPERLINK("x") <b>imprimante</b> salle B2 bloquée')
    await chat.say(TEACHER, "!panne mot de passe Pronote perdu")
    before = len(chat.messenger.sent)
    await chat.say(REFERENT, "!panne visite")
    message, csv_file, html_file = chat.messenger.sent[before:]
    body = message.message.body
    assert body.splitlines()[0] == "**Visite du technicien : 3 pannes en cours au collège Test**"
    assert body.index("**Salle B2**") < body.index("**Salle B12**")
    assert body.index("**Salle B12**") < body.index("**Sans salle précisée**")
    assert ", 2 signalements : ticket GLPI-1234" in body
    assert message.reply_to == csv_file.reply_to == html_file.reply_to
    assert csv_file.filename == "visite-pannes-clg-test-2026-11-23.csv"
    assert html_file.filename == "visite-pannes-clg-test-2026-11-23.html"
    table = list(csv.reader(io.StringIO(csv_file.data.decode("utf-8-sig")), delimiter=";"))
    assert table[0] == [
        "Salle", "N° de panne", "Équipement", "Description", "Signalée le",
        "Vérifications proposées", "Ticket", "Personnes concernées",
    ]  # fmt: skip
    assert [row[0] for row in table[1:]] == ["Salle B2", "Salle B12", "Sans salle précisée"]
    b12 = table[2]
    assert b12[1:3] == ["1", "vidéoprojecteur ou tableau interactif"]
    assert b12[4] == "lundi 23 novembre 2026" and b12[6:] == ["GLPI-1234", "2"]
    assert "touche Source" in b12[5]
    assert table[1][3].startswith("'=HYPERLINK")  # a spreadsheet does not run it
    page = html_file.data.decode()
    assert "<b>imprimante" not in page and "&lt;b&gt;imprimante" in page
    assert "<td>GLPI-1234</td>" in page
    for document in (csv_file.data.decode("utf-8-sig"), page):
        assert "Paul Durand" not in document and "[nom masqué] a tout essayé" in document
        assert "@" not in document.replace("@media", "")


async def test_the_visit_list_is_for_referents(chat):
    await chat.say(TEACHER, FIRST)
    for person in (TEACHER, PRINCIPAL):
        refusal = await chat.say(person, "!panne visite")
        assert chat.outcome is Outcome.FORBIDDEN and "référents" in refusal.body
    empty_room = await chat.say(REFERENT, "!panne résolue 1")
    assert "réparée" in empty_room.body
    before = len(chat.messenger.sent)
    nothing = await chat.say(REFERENT, "!panne visite")
    assert nothing.body == (
        "Aucune panne en cours au collège Test : rien à voir pour la visite du technicien."
    )
    assert len(chat.messenger.sent) == before + 1  # no file


@pytest.mark.parametrize(
    ("command", "sentence"),
    [
        ("!panne salle", "Précisez la salle."),
        ("!panne salle ???", "« ??? » n'est pas une salle : écrivez son numéro ou son nom"),
        ("!panne salle B12 ...", "Décrivez la panne en quelques mots"),
        ("!panne salle des", "« des » n'est pas une salle"),
        ("!panne salle " + "B" * 30, "n'est pas une salle"),
        ("!panne nouvelle", "Précisez ce qui est en panne."),
        ("!panne nouvelle ?!", "Décrivez la panne en quelques mots"),
        ("!panne visite maintenant", "Je ne comprends pas « maintenant »."),
    ],
)
async def test_bad_input_is_told_with_an_example_and_changes_nothing(chat, command, sentence):
    await chat.say(TEACHER, FIRST)
    before = incidents(chat.db), followers(chat.db)
    reply = await chat.say(REFERENT, command)
    assert sentence in reply.body and chat.outcome is Outcome.REJECTED
    assert (incidents(chat.db), followers(chat.db)) == before


def test_the_migration_reads_the_room_of_earlier_breakdowns(tmp_path):

    db = open_database(tmp_path / "old.db")
    earlier = [m for m in available_migrations() if m[0] < 37]
    migrate(db, earlier)
    db.execute(
        "INSERT INTO establishments (id, name, room, zone, timezone)"
        " VALUES ('clg-test', 'Collège Test', '!x:localhost', 'B', 'Europe/Paris')"
    )
    for number, text in enumerate(("VPI HS en salle b-12", "la souris ne marche plus"), 1):
        db.execute(
            "INSERT INTO incidents (establishment_id, number, description, category, reporter,"
            " reported_at) VALUES ('clg-test', ?, ?, 'autre', ?, '2026-11-20T08:00:00.000000Z')",
            (number, text, TEACHER),
        )
    migrate(db)
    rows = db.execute("SELECT room, room_key FROM incidents ORDER BY number").fetchall()
    assert rows == [("b-12", "B12"), (None, None)]
