"""People named at the start of a text: « @prof1 @prof2 Pronote, ENT », « personne ».

A referent says who came to a permanence and then what was covered, in one
line. What Element puts in a message's plain text for a mention is the person's
display name, so a name the establishment knows counts as much as a Matrix ID;
« @prof1 » is enough when one known person has that local part. Reading stops
at the first word that names nobody: the rest is the free text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from bot.toolkit.text import fold

__all__ = ["NOBODY_WORDS", "NamedPeople", "leading_people"]

# What says that nobody came, as the first word.
NOBODY_WORDS = frozenset({"personne", "0", "aucun", "aucune", "nobody"})

_MATRIX_ID = re.compile(r"@[a-z0-9._=/+\-]+:[a-z0-9.\-]+(?::\d+)?", re.IGNORECASE)
_LOCAL_PART = re.compile(r"@[a-z0-9._=/+\-]+", re.IGNORECASE)
# Between two names: spaces, commas, « et ».
_SEPARATOR = re.compile(r"(?:\s+et\s+|[\s,;]+)*", re.IGNORECASE)


@dataclass(frozen=True)
class NamedPeople:
    """What the start of a text names.

    ``people``: the Matrix IDs, in the order named, each once; None when the
    text names nobody at all (neither a person nor « personne »). ``unknown``:
    a word starting with « @ » that matches no known person. ``rest``: the text
    after the names.
    """

    people: tuple[str, ...] | None
    rest: str
    unknown: str | None = None


def leading_people(text: str, known: Mapping[str, str]) -> NamedPeople:
    """Read the people named at the start of ``text``.

    ``known`` maps Matrix IDs to display names (may be empty): the people the
    referent is likely to name, the booked ones first.
    """
    text = text.strip()
    first = text.split(maxsplit=1)
    if first and fold(first[0].rstrip(",:;.")) in NOBODY_WORDS:
        return NamedPeople((), first[1].lstrip(" :;,-—").strip() if len(first) > 1 else "")
    names = sorted(
        ((name, user) for user, name in known.items() if name and name.strip()),
        key=lambda item: len(item[0]),
        reverse=True,
    )
    found: list[str] = []
    position = 0
    while True:
        position = _SEPARATOR.match(text, position).end()
        person, end = _person_at(text, position, known, names)
        if person is None:
            break
        if person.startswith("?"):
            return NamedPeople(tuple(found) or None, text[position:], unknown=person[1:])
        if person not in found:
            found.append(person)
        position = end
    return NamedPeople(tuple(found) if found else None, text[position:].lstrip(" :;,-—").strip())


def _person_at(
    text: str, position: int, known: Mapping[str, str], names: list[tuple[str, str]]
) -> tuple[str | None, int]:
    """The person named at ``position`` and where the name ends; "?word" for an unknown @word."""
    if text.startswith("@", position):
        full = _MATRIX_ID.match(text, position)
        if full:
            user = full.group().rstrip(".")
            if _ends_word(text, position + len(user)):
                return user, position + len(user)
        local = _LOCAL_PART.match(text, position)
        word = (local.group() if local else text[position:].split(maxsplit=1)[0]).rstrip(".:")
        end = position + len(word)
        matches = [user for user in known if fold(user.split(":", 1)[0]) == fold(word)]
        if len(matches) == 1 and _ends_word(text, end):
            return matches[0], end
        return "?" + word, end
    for name, user in names:
        end = position + len(name)
        if fold(text[position:end]) == fold(name) and _ends_word(text, end):
            return user, end
    return None, position


def _ends_word(text: str, end: int) -> bool:
    return end >= len(text) or not (text[end].isalnum() or text[end] in "_-")
