"""Words of French text: folding accents and case, splitting with offsets, capitals."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Word:
    """The start offset of a word in the argument string, and the word."""

    start: int
    text: str


def fold(text: str) -> str:
    """Lower-case and strip accents: ``Réserver`` and ``reserver`` are the same word."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def capitalise(text: str) -> str:
    """« Imprimante ou copieur » (the rest unchanged: « ENT, Pronote ou compte »)."""
    return text[:1].upper() + text[1:]


def split_words(text: str) -> list[Word]:
    """Split arguments into words, remembering offsets so free text keeps its spacing."""
    return [Word(m.start(), m.group()) for m in re.finditer(r"\S+", text)]
