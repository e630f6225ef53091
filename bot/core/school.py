"""Typed arguments about the school itself: a class (« 4e B ») and a discipline (« SVT »).

Teachers write a class many ways: « 4e B », « 4ème B », « 4eB », « 2nde 3 »,
« seconde 3 », « CM2 », « BTS SIO 1 », « Tle STMG 2 ». ``SchoolClass`` reads
a known level first (the only required part, so a typo is caught), then a few
short words naming the group (« B », « 3 », « SIO », « G4 »), and writes the
class one way. A discipline is one word: the usual ones are recognised with
accents and case ignored and written in full (« maths » is « mathématiques »),
any other word of letters is taken as typed, lower-cased (« breton »).
"""

from __future__ import annotations

import re
from typing import ClassVar

from bot.core.converters import Converter, shortened
from bot.core.errors import BadArgument
from bot.toolkit.text import fold

CLASS_EXAMPLES = "4e B, 2nde 3, CM2, BTS SIO 1"

# A level as typed (folded) → as written. Collège and lycée levels are numbered
# (« 4e », « 4eme », « 4° »), the others named.
_NUMBERED_LEVEL = re.compile(r"^([3-6])(?:eme|e|°)(.*)$")
_NAMED_LEVELS = {
    "2nde": "2nde", "2de": "2nde", "seconde": "2nde",
    "1re": "1re", "1ere": "1re", "premiere": "1re",
    "tle": "Tle", "term": "Tle", "terminale": "Tle",
    "ps": "PS", "ms": "MS", "gs": "GS", "cp": "CP", "ce1": "CE1", "ce2": "CE2",
    "cm1": "CM1", "cm2": "CM2", "ulis": "ULIS", "segpa": "SEGPA", "cap": "CAP",
    "bts": "BTS", "cpge": "CPGE", "but": "BUT",
}  # fmt: skip
# « 2nde3 », « 1reG4 »: a named level of the lycée with its group stuck to it.
_STUCK_GROUP = re.compile(r"^(2nde|2de|1re|1ere|tle)([a-z0-9]{1,3})$")
# A group word: a letter or a number (« B », « 3 », « 12 »), or a short code typed in
# capitals or holding a digit (« SIO », « STMG », « G4 », « pro »).
_GROUP_WORD = re.compile(r"^[a-z0-9]{1,6}$")
MAX_GROUP_WORDS = 3
MAX_DISCIPLINE_CHARS = 30

# Disciplines as people type them (folded, hyphens kept) → as written.
DISCIPLINES = {
    "francais": "français", "lettres": "lettres",
    "maths": "mathématiques", "mathematiques": "mathématiques", "math": "mathématiques",
    "histoire": "histoire-géographie", "histoire-geo": "histoire-géographie",
    "histoire-geographie": "histoire-géographie", "hg": "histoire-géographie",
    "geographie": "histoire-géographie", "hggsp": "HGGSP", "emc": "EMC",
    "anglais": "anglais", "allemand": "allemand", "espagnol": "espagnol", "italien": "italien",
    "latin": "latin", "grec": "grec", "lca": "LCA", "langues": "langues vivantes",
    "svt": "SVT", "physique": "physique-chimie", "physique-chimie": "physique-chimie",
    "pc": "physique-chimie", "sciences": "sciences", "technologie": "technologie",
    "techno": "technologie", "nsi": "NSI", "snt": "SNT", "ses": "SES", "eps": "EPS",
    "philosophie": "philosophie", "philo": "philosophie", "arts-plastiques": "arts plastiques",
    "arts": "arts plastiques", "musique": "éducation musicale",
    "education-musicale": "éducation musicale", "documentation": "documentation",
    "cdi": "documentation", "informatique": "informatique", "eco-gestion": "économie-gestion",
    "economie-gestion": "économie-gestion", "emi": "EMI", "epi": "EPI",
    "pluridisciplinaire": "pluridisciplinaire", "interdisciplinaire": "pluridisciplinaire",
}  # fmt: skip
_DISCIPLINE_WORD = re.compile(r"^[a-z]+(?:-[a-z]+)*$")


def read_class(words: list[str]) -> tuple[str, int] | None:
    """The class the first words name, as written (« 4e B »), and how many words it took;
    None when the first word is no known level."""
    first = fold(words[0])
    level, stuck = None, ""
    numbered = _NUMBERED_LEVEL.match(first)
    if numbered:
        level, stuck = f"{numbered.group(1)}e", numbered.group(2)
    elif first in _NAMED_LEVELS:
        level = _NAMED_LEVELS[first]
    elif glued := _STUCK_GROUP.match(first):
        level, stuck = _NAMED_LEVELS[glued.group(1)], glued.group(2)
    if level is None or (stuck and not _GROUP_WORD.match(stuck)):
        return None
    groups = [_group(stuck)] if stuck else []
    used = 1
    for typed in words[1 : 1 + MAX_GROUP_WORDS - len(groups)]:
        if not _is_group(typed):
            break
        groups.append(_group(fold(typed)))
        used += 1
    return " ".join([level, *groups]), used


def _is_group(typed: str) -> bool:
    word = fold(typed)
    if not _GROUP_WORD.match(word) or word in DISCIPLINES:
        return False
    # « B », « 3 », « SIO », « G4 », « STI2D », « pro »; « podcast » or « 2026 » is not one.
    if word.isdigit():
        return len(word) <= 2
    return len(word) <= 2 or typed.isupper() or any(c.isdigit() for c in word) or word == "pro"


def _group(word: str) -> str:
    return word if word == "pro" else word.upper()


def read_discipline(typed: str) -> str | None:
    """The discipline as written (« mathématiques » for « Maths »), or None for a word
    that cannot be one (digits, signs, too long)."""
    word = fold(typed).strip(".,;:")
    if word in DISCIPLINES:
        return DISCIPLINES[word]
    if len(word) > MAX_DISCIPLINE_CHARS or len(word) < 2 or not _DISCIPLINE_WORD.match(word):
        return None
    return word


class SchoolClass(Converter):
    """A class of the establishment: « 4e B », « 2nde 3 », « CM2 », « BTS SIO 1 »."""

    label = "classe"
    wanted = f"la classe (par exemple : {CLASS_EXAMPLES})"
    example: ClassVar[str | None] = None  # a command line with a good class, for the errors

    @classmethod
    def consume(cls, words, raw, ctx):
        found = read_class([w.text for w in words])
        if found is None:
            raise BadArgument(
                f"« {shortened(words[0].text)} » n'est pas une classe : écrivez son niveau puis"
                f" son groupe, par exemple {CLASS_EXAMPLES}.",
                example=cls.example,
            )
        return found


class Discipline(Converter):
    """One discipline, in one word: « maths », « SVT », « histoire-géo », « anglais »."""

    label = "discipline"
    wanted = "la discipline (par exemple : maths, SVT, histoire-géo)"
    example: ClassVar[str | None] = None

    @classmethod
    def consume(cls, words, raw, ctx):
        found = read_discipline(words[0].text)
        if found is None:
            raise BadArgument(
                f"« {shortened(words[0].text)} » n'est pas une discipline : un mot, par exemple"
                " maths, SVT, histoire-géo ou anglais (des tirets pour en lier deux).",
                example=cls.example,
            )
        return found, 1
