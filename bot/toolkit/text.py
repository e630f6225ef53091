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


_ASCII_WORD = re.compile(r"[a-z0-9]+")


def strip_accents(text: str) -> str:
    """Accents and other combining marks dropped, compatibility forms decomposed
    (NFKD), case kept: « Élève » → « Eleve », « ﬁ » → « fi »."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold(text: str) -> str:
    """Lower-case and strip accents: ``Réserver`` and ``reserver`` are the same word."""
    return strip_accents(text.casefold())


def fold_words(text: str) -> list[str]:
    """The folded words of a text, letters a-z and digits: apostrophes, hyphens and
    anything else split words (« l'Éducation » → ``["l", "education"]``)."""
    return _ASCII_WORD.findall(fold(text))


def capitalise(text: str) -> str:
    """« Imprimante ou copieur » (the rest unchanged: « ENT, Pronote ou compte »)."""
    return text[:1].upper() + text[1:]


def split_words(text: str) -> list[Word]:
    """Split arguments into words, remembering offsets so free text keeps its spacing."""
    return [Word(m.start(), m.group()) for m in re.finditer(r"\S+", text)]
