"""Words of French text: folding accents and case, splitting with offsets, capitals."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Word:
    """The start offset of a word in the argument string, and the word."""

    start: int
    text: str


_ASCII_WORD = re.compile(r"[a-z0-9]+")


def strip_accents(text: str) -> str:
    """Accents and other combining marks dropped, compatibility forms decomposed
    (NFKD), case kept: « Élève » → « Eleve », « ﬁ » → « fi »."""
    if text.isascii():  # NFKD leaves ASCII as it is
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# Reports fold the same short words again and again (the topics of a year of
# permanences, rooms, tags): those are kept, a bounded number of short ones.
_SHORT = 64


@lru_cache(maxsize=4096)
def _fold_short(text: str) -> str:
    return strip_accents(text.casefold())


def fold(text: str) -> str:
    """Lower-case and strip accents: ``Réserver`` and ``reserver`` are the same word."""
    if len(text) <= _SHORT:
        return _fold_short(text)
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
