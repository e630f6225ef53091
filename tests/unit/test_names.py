"""Establishments are named with their article, as a colleague would write them."""

from __future__ import annotations

import pytest

from bot.core.config import ConfigError, parse_config
from bot.toolkit.names import named, place_fr
from tests.conftest import MINIMAL_CONFIG


@pytest.mark.parametrize(
    ("name", "preposition", "written"),
    [
        ("Collège Jean Moulin", "de", "du collège Jean Moulin"),
        ("Collège Jean Moulin", "à", "au collège Jean Moulin"),
        ("Lycée Victor Hugo", "", "le lycée Victor Hugo"),
        ("Cité scolaire Albert Camus", "de", "de la cité scolaire Albert Camus"),
        ("Cité scolaire Albert Camus", "à", "à la cité scolaire Albert Camus"),
        ("EREA Jean Monnet", "de", "de l'EREA Jean Monnet"),
        ("École régionale du premier degré", "à", "à l'école régionale du premier degré"),
        ("LP Les Iris", "de", "du LP Les Iris"),
    ],
)
def test_the_type_word_gives_the_article(name, preposition, written):
    assert named(name, preposition) == written


def test_a_name_without_a_type_word_stands_alone_unless_the_config_gives_its_article():
    assert named("Jean Moulin", "de") == "de Jean Moulin"
    assert named("Sainte-Marie", "à", "la") == "à la Sainte-Marie"


def test_the_config_article_is_checked(tmp_path):
    raw = {
        **MINIMAL_CONFIG,
        "establishment": [{**MINIMAL_CONFIG["establishment"][0], "article": "du"}],
    }
    with pytest.raises(ConfigError, match="article"):
        parse_config(raw, tmp_path)
    raw["establishment"][0]["article"] = "la"
    assert parse_config(raw, tmp_path).establishments[0].article == "la"


async def test_titles_and_listings_name_the_establishment_with_its_article(chat):
    reply = await chat.say("@prof1:localhost", "!aide")
    assert reply.body.startswith("**Commandes du collège Test**")
    reply = await chat.say("@prof1:localhost", "!panne")
    assert "Vous n'avez aucune panne en cours." in reply.body
    reply = await chat.say("@prof1:localhost", "!formation")
    assert "Aucun besoin de formation en cours au collège Test." in reply.body


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("B12", "salle B12"),
        ("salle B12", "salle B12"),
        ("Salle 8", "salle 8"),
        ("CDI", "au CDI"),
        ("amphithéâtre", "à l'amphithéâtre"),
        ("salle des professeurs", "en salle des professeurs"),
    ],
)
def test_a_place_is_written_one_way(typed, written):
    assert place_fr(typed) == written
