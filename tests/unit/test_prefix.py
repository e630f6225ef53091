"""The prefix is configurable: every command a message mentions is written with it."""

from __future__ import annotations

import dataclasses
import re

import pytest

from bot.core.roles import Role
from tests.conftest import PRINCIPAL, REFERENT, TEACHER

# A command written with the default prefix; « Merci ! » is French punctuation.
DEFAULT_PREFIXED = re.compile(r"!(?=[^\W\d_])")


@pytest.fixture
def asked(chat):
    """The chat with ``?`` as prefix; returns a function that sends and checks a command."""
    bot = dataclasses.replace(chat.config.bot, prefix="?")
    chat.config = dataclasses.replace(chat.config, bot=bot)

    async def ask(sender: str, text: str) -> str:
        reply = await chat.say(sender, text)
        assert reply is not None, text
        for part in (reply.body, reply.html):
            assert not DEFAULT_PREFIXED.search(part), (text, part)
        return reply.body

    return ask


async def test_the_help_lists_and_details_with_the_configured_prefix(asked, registry):
    for sender, role in (
        (TEACHER, Role.TEACHER),
        (REFERENT, Role.REFERENT),
        (PRINCIPAL, Role.PRINCIPAL),
    ):
        listing = await asked(sender, "?aide")
        assert "`?aide [commande]`" in listing and "`?aide permanence`" in listing
        for spec in registry.visible_to(role):
            detail = await asked(sender, f"?aide {spec.name}")
            assert f"`?{spec.name}" in detail
    detail = await asked(TEACHER, "?aide permanence")
    assert "Exemples : `?permanence`, `?permanence réserver 2 Pronote`" in detail


async def test_errors_and_answers_name_commands_with_the_configured_prefix(asked):
    unknown = await asked(TEACHER, "?aidee")
    assert "Vouliez-vous dire `?aide` ?" in unknown
    refused = await asked(TEACHER, "?statut")
    assert (
        refused == "La commande `?statut` est réservée aux référents numériques et à la direction."
    )
    missing = await asked(TEACHER, "?permanence réserver 99")
    assert missing.splitlines() == [
        "La permanence n° 99 n'existe pas. Tapez ?permanence pour voir les numéros.",
        "Par exemple : `?permanence réserver 2 Pronote`",
    ]
    assert "« ?formation » donne la liste" in await asked(TEACHER, "?formation +1 7")
    assert "« ?objectifs » donne la liste" in await asked(REFERENT, "?objectifs point 4 x")
    assert "Par exemple : `?objectifs ajouter" in await asked(
        REFERENT, "?objectifs ajouter x indicateur: y"
    )
    await asked(REFERENT, "?permanence ouvrir mardi 12h30")
    booked = await asked(TEACHER, "?permanence réserver 1")
    assert "Pour annuler : `?permanence annuler 1`" in booked
    await asked(TEACHER, "?formation Créer des capsules vidéo avec mes élèves")
    await asked(TEACHER, "?panne le vidéoprojecteur de la salle 12 ne s'allume pas")
    await asked(TEACHER, "?objectifs")
    await asked(REFERENT, "?lettre")


async def test_the_calendar_file_says_how_to_book_with_the_prefix(asked, chat):
    await asked(REFERENT, "?permanence ouvrir mardi 12h30")
    await chat.say(TEACHER, "?permanence ics")
    text = chat.messenger.sent[-1].data.decode().replace("\r\n ", "")
    assert "Réserver : ?permanence réserver 1" in text
    assert not DEFAULT_PREFIXED.search(text)
