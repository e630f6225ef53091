"""The words of a search (« !veille cherche … », « !fiche cherche … »): one converter for all.

A search needs at least one letter or digit, as the index reads them; anything
else is refused the same way in every family.
"""

from __future__ import annotations

from bot.core.converters import Text
from bot.core.errors import BadArgument
from storage.search import search_terms

NOTHING_TO_SEARCH = "Indiquez au moins un mot à chercher (des lettres ou des chiffres)."


class SearchWords(Text):
    """The rest of the line, searched as typed; refused when it holds no word to look for."""

    label = "mots"
    wanted = "les mots à chercher"

    @classmethod
    def consume(cls, words, raw, ctx):
        text, used = super().consume(words, raw, ctx)
        return checked(text), used


def checked(text: str, example: str | None = None) -> str:
    """``text`` if it holds a word to search; else ``BadArgument`` (``example`` for a
    command whose own first example is not a search)."""
    if not search_terms(text):
        raise BadArgument(NOTHING_TO_SEARCH, example=example)
    return text


def as_searched(text: str) -> str:
    """The words searched, as the answer repeats them: one line, 60 characters at most."""
    return " ".join(text.split())[:60]
