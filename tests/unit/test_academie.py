"""The academy's room: its place, its figures, a need forwarded there and answered back."""

from __future__ import annotations

import copy

import pytest

from bot.core.config import ConfigError, parse_config
from bot.core.dispatcher import Outcome
from storage.outbox import unsent_messages
from tests.conftest import MINIMAL_CONFIG, PRINCIPAL, REFERENT, TEACHER
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
