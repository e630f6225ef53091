"""The academy's room: its place, its figures, a need forwarded there and answered back."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta

import pytest

from bot.app import academy_surveys
from bot.core.config import ConfigError, parse_config
from bot.core.dispatcher import Outcome
from storage.enquete import mark_answered, open_surveys, sync_academy_surveys
from storage.establishments import sync_establishments
from storage.formation import record_need
from storage.outbox import unsent_messages
from storage.panne import report_incident, resolve_incident
from tests.conftest import MINIMAL_CONFIG, PARIS, PRINCIPAL, REFERENT, TEACHER
from tests.support.reading import as_read

ADMIN = "@dane:localhost"
PROF2 = "@prof2:localhost"


def with_academy(tmp_path, **academy):
    raw = copy.deepcopy(MINIMAL_CONFIG)
    raw["establishment"][0] |= {"uai": "0860012W", "bassin": "Poitiers"}
    raw["bot"]["admins"] = [ADMIN]
    raw["academy"] = {"room": "!academie:localhost", "name": "Académie de Poitiers"} | academy
    return parse_config(raw, tmp_path)


@pytest.fixture
def academy_chat(chat, tmp_path):
    chat.config = with_academy(tmp_path)
    return chat


def queued(db) -> list[tuple[str | None, str]]:
    return [(m.establishment_id, as_read(m.body)) for m in unsent_messages(db)]


def test_the_academy_needs_a_room_of_its_own(tmp_path):
    raw = copy.deepcopy(MINIMAL_CONFIG)
    raw["academy"] = {"room": MINIMAL_CONFIG["establishment"][0]["room"], "colour": "bleu"}
    raw["establishment"].append(dict(raw["establishment"][0], id="academie", room="!x:l"))
    with pytest.raises(ConfigError) as error:
        parse_config(raw, tmp_path)
    assert error.value.problems == [
        "academy.room: an establishment's room: the academy needs a room of its own",
        "academy.colour: unknown setting",
        "establishment[2].id: 'academie' names the academy's room",
    ]


async def test_each_room_answers_its_own_commands_and_says_where_the_others_go(academy_chat):
    elsewhere = await academy_chat.say(ADMIN, "!academie")
    assert academy_chat.outcome is Outcome.REFUSED
    assert elsewhere.body == (
        "`!academie` se tape dans le salon de l'académie,"
        " où l'équipe académique voit tous les établissements."
    )
    here = await academy_chat.say(ADMIN, "!permanence", in_academy=True)
    assert academy_chat.outcome is Outcome.REFUSED
    assert here.body.startswith("Ici, dans le salon de l'académie, je réponds aux commandes")
    help_here = await academy_chat.say(ADMIN, "!aide", in_academy=True)
    assert help_here.body.startswith("**Commandes de l'académie de Poitiers**")
    assert "`!aide academie`" in help_here.body
    assert "!academie" in help_here.body and "!permanence" not in help_here.body
    # A teacher who found the room is told whom it is for.
    refused = await academy_chat.say(TEACHER, "!academie", in_academy=True)
    assert academy_chat.outcome is Outcome.FORBIDDEN
    assert "réservée à l'équipe académique" in refused.body


async def test_a_forwarded_need_reaches_the_academy_and_its_answer_comes_back(academy_chat, db):
    await academy_chat.say(TEACHER, "!formation Prendre en main l'ENT avec les élèves #ent")
    await academy_chat.say(PROF2, "!formation +1 1")
    reply = await academy_chat.say(REFERENT, "!formation dane 1")
    assert reply.body.startswith(
        "Besoin n° 1 « Prendre en main l'ENT avec les élèves » transmis à l'équipe académique"
    )
    [(where, delivered)] = queued(db)
    assert where == "academie"
    assert delivered.startswith(
        "**Besoin de formation transmis par le collège Test** (bassin Poitiers), réf. `clg-test-1`"
    )
    assert "Soutenu par 2 collègues." in delivered
    assert TEACHER not in delivered and "prof" not in delivered

    answered = await academy_chat.say(
        ADMIN,
        "!academie besoin clg-test-1 Un stage ENT aura lieu au bassin le 12 janvier.",
        in_academy=True,
    )
    assert answered.body == (
        "Réponse transmise dans le salon du collège Test pour son besoin n° 1"
        " « Prendre en main l'ENT avec les élèves »."
    )
    back = queued(db)[-1]
    assert back == (
        "clg-test",
        "**Réponse de l'équipe académique** au besoin de formation n° 1"
        " « Prendre en main l'ENT avec les élèves » :\n"
        "Un stage ENT aura lieu au bassin le 12 janvier.",
    )


@pytest.mark.parametrize(
    ("reference", "said"),
    [
        ("clg-test-9", "Le collège Test ne m'a pas transmis de besoin n° 9."),
        ("lyc-inconnu-1", "« lyc-inconnu-1 » n'est pas une référence de besoin"),
        ("clg-test", "« clg-test » n'est pas une référence de besoin"),
    ],
)
async def test_an_answer_to_an_unknown_need_changes_nothing(academy_chat, db, reference, said):
    await academy_chat.say(TEACHER, "!formation Prendre en main l'ENT")  # open, not forwarded
    await academy_chat.say(ADMIN, "!academie besoin clg-test-1 Oui", in_academy=True)
    reply = await academy_chat.say(ADMIN, f"!academie besoin {reference} Oui", in_academy=True)
    assert academy_chat.outcome is Outcome.REJECTED
    assert reply.body.startswith(said)
    assert "Par exemple : `!academie besoin clg-test-3 Un stage" in reply.body
    assert queued(db) == []


async def test_the_academy_sees_totals_and_no_names(academy_chat, db):
    await academy_chat.say(TEACHER, "!formation Prendre en main l'ENT #ent")
    await academy_chat.say(PROF2, "!formation Créer des capsules vidéo #creation")
    await academy_chat.say(REFERENT, "!formation dane 2")
    await academy_chat.say(TEACHER, "!panne vidéoprojecteur salle 12 ne s'allume pas")
    figures = await academy_chat.say(ADMIN, "!academie", in_academy=True)
    body = figures.body
    assert body.startswith("**Chiffres de l'académie de Poitiers** au 23 novembre 2026")
    assert "- Établissements servis : 1, dont 0 actif ce mois-ci" in body
    assert "- Besoins de formation ouverts : 1 ; transmis à l'académie et sans réponse : 1" in body
    assert "- Pannes en cours : 1" in body
    assert "- Aucune enquête académique en cours." in body
    for person in (TEACHER, PROF2, REFERENT, PRINCIPAL):
        assert person not in body


# -- the academy's views over several establishments -----------------------------------

SCHOOLS = (  # id, name, bassin, local authority
    ("clg-test", "Collège Test", "Rennes", "Département d'Ille-et-Vilaine"),
    ("clg-deux", "Collège Deux", "Rennes", "Département d'Ille-et-Vilaine"),
    ("lyc-trois", "Lycée Trois", "Rennes", "Région Bretagne"),
    ("clg-quatre", "Collège Quatre", "Brest", "Département du Finistère"),
)
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=PARIS)


@pytest.fixture
def academy_of_four(chat, db, tmp_path):
    raw = copy.deepcopy(MINIMAL_CONFIG)
    first = raw["establishment"][0]
    raw["establishment"] = [
        dict(first, id=eid, name=name, bassin=bassin, collectivite=authority, room=f"!{eid}:l",
             referents=[f"@ref-{eid}:localhost"])
        for eid, name, bassin, authority in SCHOOLS
    ]  # fmt: skip
    raw["bot"]["admins"] = [ADMIN]
    raw["academy"] = {"room": "!academie:localhost", "name": "Académie de Rennes"}
    raw["survey"] = [
        {"title": "Enquête RUPN", "url": "https://enquetes.example.org/rupn",
         "deadline": "2026-12-18", "opens": "2026-11-02"}
    ]  # fmt: skip
    chat.config = parse_config(raw, tmp_path)
    sync_establishments(db, chat.config.establishments, MONDAY)
    for school in chat.config.establishments:
        sync_academy_surveys(db, school.id, academy_surveys(chat.config, school), MONDAY)
    return chat


async def test_a_domain_asked_in_three_establishments_of_a_bassin_is_flagged(academy_of_four, db):
    for eid in ("clg-test", "clg-deux", "lyc-trois", "clg-quatre"):
        record_need(db, eid, "Faire des capsules vidéo", ["creation-contenus"], TEACHER, MONDAY)
    record_need(
        db, "clg-test", "Sécuriser les mots de passe", ["protection-securite"], TEACHER, MONDAY
    )
    overview = (await academy_of_four.say(ADMIN, "!academie besoins", in_academy=True)).body
    assert (
        "**Bassin Brest** : 1 besoin\n- Création de contenus : 1 besoin dans 1 établissement\n"
        in overview
    )
    assert (
        "- Création de contenus : 3 besoins dans 3 établissements ;"
        " **formation de bassin possible**\n" in overview
    )
    assert "- Protection et sécurité : 1 besoin dans 1 établissement\n" in overview
    one = (await academy_of_four.say(ADMIN, "!academie besoins rennes", in_academy=True)).body
    assert "Brest" not in one
    assert (
        "**formation de bassin possible** (le collège Test, le collège Deux, le lycée Trois)" in one
    )
    unknown = await academy_of_four.say(ADMIN, "!academie besoins Paris", in_academy=True)
    assert unknown.body.startswith(
        "Je ne connais pas le bassin « Paris » (bassins : Brest, Rennes)."
    )


async def test_breakdowns_by_category_and_authority_with_the_median_repair(academy_of_four, db):
    for eid, days in (("clg-test", 2), ("clg-deux", 4), ("lyc-trois", 9)):
        incident = report_incident(db, eid, "vidéoprojecteur en panne", "videoprojecteur",
                                   TEACHER, MONDAY - timedelta(days=days + 1))  # fmt: skip
        resolve_incident(db, incident, REFERENT, MONDAY - timedelta(days=1))
    report_incident(db, "clg-quatre", "le wifi ne marche plus", "reseau", TEACHER, MONDAY)
    body = (await academy_of_four.say(ADMIN, "!academie pannes", in_academy=True)).body
    assert (
        "- Vidéoprojecteur ou tableau interactif : 0 en cours ; 3 réparées, en 4 jours (médiane)"
        in body
    )
    assert "- Département d'Ille-et-Vilaine : 0 en cours ; 2 réparées, en 3 jours (médiane)" in body
    assert "- Département du Finistère : 1 en cours\n" in body
    assert "- Région Bretagne : 0 en cours ; 1 réparée, en 9 jours (médiane)" in body


async def test_a_median_repair_time_is_plural_as_it_is_printed(academy_of_four, db):
    # 1.96 days is printed « 2 »: « 2 jours », not « 2 jour ».
    incident = report_incident(db, "clg-test", "imprimante en panne", "imprimante", TEACHER,
                               MONDAY - timedelta(days=3))  # fmt: skip
    resolve_incident(db, incident, REFERENT, MONDAY - timedelta(days=3) + timedelta(hours=47))
    body = (await academy_of_four.say(ADMIN, "!academie pannes", in_academy=True)).body
    assert "- Imprimante ou copieur : 0 en cours ; 1 réparée, en 2 jours (médiane)" in body


async def test_the_academy_survey_by_establishment_against_2016(academy_of_four, db):
    (survey,) = open_surveys(db, "clg-deux", MONDAY)
    mark_answered(db, survey.id, "@ref-clg-deux:localhost", MONDAY)
    body = (await academy_of_four.say(ADMIN, "!academie enquete", in_academy=True)).body
    assert body.startswith(
        "**Enquête académique « Enquête RUPN »** (jusqu'au vendredi 18 décembre 2026) :"
        " 1 établissement sur 4 a répondu (25 %), contre 52 % en 2016 (222 référents sur 430)."
    )
    # One line per bassin, then the way to remind them.
    assert (
        "Par bassin :\n"
        "- Brest : 0 sur 1 ; pas encore : le collège Quatre\n"
        "- Rennes : 1 sur 3 ; pas encore : le collège Test, le lycée Trois\n"
        "\nRelancer les référents" in body
    )
    reminded = await academy_of_four.say(ADMIN, "!academie relancer", in_academy=True)
    assert reminded.body == (
        "C'est fait : je relance l'enquête « Enquête RUPN » auprès de 3 référents"
        " de 3 établissements, en message privé."
    )
    assert sorted(m.dm_user for m in unsent_messages(db)) == [
        "@ref-clg-quatre:localhost", "@ref-clg-test:localhost", "@ref-lyc-trois:localhost"
    ]  # fmt: skip
    again = await academy_of_four.say(ADMIN, "!academie relancer 1", in_academy=True)
    assert again.body.startswith("Personne à relancer aujourd'hui")
    assert len(unsent_messages(db)) == 3


async def test_a_broadcast_reaches_each_room_once(academy_of_four, db):
    said = await academy_of_four.say(
        ADMIN,
        "!academie diffuser bassin rennes Réunion des référents le 3 février.",
        in_academy=True,
    )
    assert said.body.startswith("Je diffuse votre message dans 3 salons du bassin Rennes")
    queued = unsent_messages(db)
    assert sorted(m.establishment_id for m in queued) == ["clg-deux", "clg-test", "lyc-trois"]
    assert all(
        as_read(m.body) == "**Message de l'équipe de l'académie de Rennes** :\n"
        "Réunion des référents le 3 février."
        for m in queued
    )
    # Handled again (a crash before the answer): nothing is queued twice.
    academy_of_four.counter -= 1
    await academy_of_four.say(
        ADMIN,
        "!academie diffuser bassin rennes Réunion des référents le 3 février.",
        in_academy=True,
    )
    assert len(unsent_messages(db)) == 3
    progress = (await academy_of_four.say(ADMIN, "!academie diffusions", in_academy=True)).body
    assert "reçu dans 0 salon sur 3 ; 3 en attente" in progress
