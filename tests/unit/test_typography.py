"""French typography: what the bot writes keeps its signs with their words.

A phone wraps a long line at any ordinary space, so « ? » or « : » after one
can start the next line alone. Every message goes through ``french_spacing``;
these tests check the rule itself, then every template rendered, then (in
test_golden.py) the texts of a whole seeded académie.
"""

from __future__ import annotations

import re
from importlib import resources

import pytest
from jinja2 import TemplateNotFound

from bot.core.render import Renderer
from bot.toolkit.typography import (
    NARROW_NBSP,
    NBSP,
    french_spacing,
    ordinary_spaces_before_signs,
)
from tests.support.placeholders import lenient

N, W = NARROW_NBSP, NBSP


@pytest.mark.parametrize(
    ("written", "printed"),
    [
        ("Vous êtes inscrit : merci !", f"Vous êtes inscrit{W}: merci{N}!"),
        ("Une question ? Un doute ; peu importe", f"Une question{N}? Un doute{N}; peu importe"),
        ("le besoin « Pronote »", f"le besoin «{N}Pronote{N}»"),
        ("le besoin «Pronote»", f"le besoin «{N}Pronote{N}»"),
        ("la permanence n° 3", f"la permanence n°{W}3"),
        ("à 12 h 30, pendant 45 min, 67 %", f"à 12{W}h{W}30, pendant 45{W}min, 67{W}%"),
        ("**Semaine :** rien", f"**Semaine{W}:** rien"),
        ("Déjà fait \\!", f"Déjà fait{N}\\!"),
    ],
)
def test_signs_keep_their_no_break_space(written, printed):
    assert french_spacing(written) == printed


@pytest.mark.parametrize(
    "untouched",
    [
        "tapez !aide pour la liste",  # a command, not an exclamation
        "`!permanence réserver <n° ou date> : sujet ?`",  # code to copy
        "[le site](<https://site.fr/a?b=1 :c>)",  # a link's target
        "https://eduscol.education.fr/numerique?page=2",
        "rendez-vous à 12:30",  # not a sign after a space (times are another test's)
    ],
)
def test_code_commands_and_addresses_stay_as_written(untouched):
    assert french_spacing(untouched) == untouched


def test_spacing_twice_changes_nothing_more():
    once = french_spacing("Alors ? « Oui » : n° 2 ; 3 h 15 !")
    assert french_spacing(once) == once


def test_the_checker_finds_what_the_rule_fixes():
    assert [found.strip() for found in ordinary_spaces_before_signs("Merci ! `code ?`")] == [
        "Merci !"
    ]
    assert ordinary_spaces_before_signs(french_spacing("Merci ! Et « ça » ?")) == []


TEMPLATES = resources.files("templates")
MESSAGE_TEMPLATES = sorted(
    str(path.relative_to(TEMPLATES))
    for path in TEMPLATES.rglob("*.md.j2")
    if path.name != "bilan.md.j2"
)
# « 12:30 », « 12h30 »: the one time format is « 12 h 30 ».
_OTHER_TIME_FORMATS = re.compile(r"\b\d{1,2}(?::|h)\d{2}\b")


@pytest.fixture(scope="module")
def rendered():
    """Every message template rendered with placeholders, as the bot sends it."""
    renderer = Renderer()
    environment = lenient(renderer.env)
    texts = {}
    for name in MESSAGE_TEMPLATES:
        try:
            markdown = environment.get_template(name).render(prefix="!")
        except TemplateNotFound:
            continue  # an include named from a value, which a placeholder does not name
        texts[name] = renderer.from_markdown(markdown).body
    return texts


def test_every_template_is_checked(rendered):
    assert len(rendered) >= 60


def test_no_template_leaves_an_ordinary_space_before_a_sign(rendered):
    faults = {
        name: found
        for name, text in rendered.items()
        if (found := ordinary_spaces_before_signs(text))
    }
    assert faults == {}


def test_no_template_writes_the_time_another_way(rendered):
    faults = {
        name: _OTHER_TIME_FORMATS.findall(text)
        for name, text in rendered.items()
        if _OTHER_TIME_FORMATS.search(re.sub(r"`[^`]*`", "", text))
    }
    assert faults == {}


# What a program writes and a teacher should not have to read: placeholders such as
# « <n°> », command-line options, protocol and format names.
_PROGRAMMER_SYNTAX = re.compile(r"<[a-zà-ÿ°|]+>|(?<!\S)--\w|\b(?:HTTP|JSON|Markdown|Matrix)\b")


def test_no_template_shows_programmer_syntax_outside_a_line_to_copy(rendered):
    faults = {
        name: _PROGRAMMER_SYNTAX.findall(re.sub(r"`[^`]*`", "", text))
        for name, text in rendered.items()
        if not name.startswith("aide/")  # the help shows each command's shape
    }
    assert {name: found for name, found in faults.items() if found} == {}
