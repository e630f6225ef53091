"""Typed command arguments.

A handler's parameters are annotated with converters; the dispatcher walks the
words of the message and asks each converter to take what it needs. A converter
that cannot read its words raises one ``BadArgument`` with a French sentence;
the dispatcher answers with it, the usage line and an example.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from bot.dispatch import Context


class BadArgument(Exception):
    """An argument the user typed cannot be used; ``message`` is French and shown as is."""

    def __init__(self, message: str, example: str | None = None):
        super().__init__(message)
        self.message = message
        self.example = example


@dataclass(frozen=True)
class Word:
    """The start offset of a word in the argument string, and the word."""

    start: int
    text: str


def split_words(text: str) -> list[Word]:
    """Split arguments into words, remembering offsets so free text keeps its spacing."""
    return [Word(m.start(), m.group()) for m in re.finditer(r"\S+", text)]


class Converter:
    """Base of argument types: ``consume`` returns (value, number of words used)."""

    label: ClassVar[str] = "argument"
    # Free text takes everything left; the usage line shows it last.
    greedy: ClassVar[bool] = False

    @classmethod
    def consume(cls, words: list[Word], raw: str, ctx: Context) -> tuple[object, int]:
        raise NotImplementedError


class Text(Converter):
    """All the remaining text, as typed."""

    label = "texte"
    greedy = True

    @classmethod
    def consume(cls, words, raw, ctx):
        return raw[words[0].start :].strip(), len(words)


class Keyword(Converter):
    """One word, lower-cased."""

    label = "mot"

    @classmethod
    def consume(cls, words, raw, ctx):
        return words[0].text.lower(), 1


class Number(Converter):
    """A positive whole number such as the ``2`` of ``!permanence réserver 2``."""

    label = "n°"
    maximum: ClassVar[int] = 1_000_000

    @classmethod
    def consume(cls, words, raw, ctx):
        word = words[0].text.lstrip("#n°").strip()
        if not word.isdecimal() or not word.isascii():
            raise BadArgument(f"« {_short(words[0].text)} » n'est pas un numéro.")
        value = int(word)
        if not 1 <= value <= cls.maximum:
            raise BadArgument(f"Le numéro {_short(word)} n'existe pas.")
        return value, 1


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


_LOOKS_LIKE_TIME = re.compile(r"^(\d{1,2}([hH:.]\d*)?|à|a|vers|le)$")


class When(Converter):
    """A French date/time (« mardi 12h30 », « le 3 décembre à 12h »), as many words as it takes.

    The longest run of words that reads as a date wins, so free text may follow.
    """

    label = "date"
    max_words: ClassVar[int] = 8
    example: ClassVar[str] = "mardi 12h30"

    @classmethod
    def consume(cls, words, raw, ctx):
        from bot.dates import parse_when

        for count in range(min(len(words), cls.max_words), 0, -1):
            last = words[count - 1]
            when = parse_when(raw[words[0].start : last.start + len(last.text)], ctx.now)
            if when is not None:
                if count < len(words) and _LOOKS_LIKE_TIME.match(words[count].text):
                    break  # « mercredi 25h »: a broken time, not a subject « 25h »
                return when, count
        attempt = " ".join(w.text for w in words[:4])
        raise BadArgument(
            f"Je ne comprends pas la date « {_short(attempt)} » (par exemple : {cls.example})."
        )
