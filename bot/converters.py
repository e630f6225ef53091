"""Typed command arguments.

A handler's parameters are annotated with converters; the dispatcher walks the
words of the message and asks each converter to take what it needs. A converter
that cannot read its words raises one ``BadArgument`` with a French sentence;
the dispatcher answers with it, the usage line and an example.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import time as datetime_time
from datetime import timedelta
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


def fold(text: str) -> str:
    """Lower-case and strip accents: ``Réserver`` and ``reserver`` are the same word."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


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


class SlotRef(Converter):
    """A permanence occurrence, by its short number (« 2 ») or by its date (« mardi 12h30 »)."""

    label = "n°|date"

    @classmethod
    def consume(cls, words, raw, ctx):
        if words[0].text.lstrip("#n°").isdecimal():
            return Number.consume(words, raw, ctx)
        return When.consume(words, raw, ctx)


@dataclass(frozen=True)
class WeeklySlotSpec:
    """What ``!permanence ouvrir mardi 12h30 45min 4 places B12`` asks for."""

    weekday: int
    start: datetime_time
    duration: timedelta
    capacity: int
    place: str | None


class WeeklySlot(Converter):
    """« mardi 12h30 [45min] [4 places] [salle] »: defaults 1 h, 5 places, no room."""

    label = "jour heure [durée] [places] [salle]"
    default_duration = timedelta(hours=1)
    default_capacity = 5
    max_capacity = 50

    @classmethod
    def consume(cls, words, raw, ctx):
        from bot.dates import WEEKDAY_NAMES, parse_duration, parse_when

        texts = [w.text for w in words]
        start = parse_when(" ".join(texts[:2]), ctx.now) if len(texts) >= 2 else None
        first = fold(texts[0])
        if start is None or first not in {fold(d) for d in WEEKDAY_NAMES}:
            raise BadArgument(
                "Indiquez le jour de la semaine et l'heure, par exemple : mardi 12h30."
            )
        duration, capacity, place_words = None, None, []
        rest = texts[2:]
        i = 0
        while i < len(rest):
            pair = " ".join(rest[i : i + 2])
            places = re.fullmatch(r"(\d+)\s*places?", pair, re.IGNORECASE) or re.fullmatch(
                r"(\d+)places?", rest[i], re.IGNORECASE
            )
            if places and capacity is None:
                capacity = int(places.group(1))
                i += 1 if re.fullmatch(r"\d+places?", rest[i], re.IGNORECASE) else 2
            elif duration is None and (found := parse_duration(rest[i])):
                duration, i = found, i + 1
            elif duration is None and i + 1 < len(rest) and (found := parse_duration(pair)):
                duration, i = found, i + 2
            else:
                place_words.append(rest[i])
                i += 1
        capacity = cls.default_capacity if capacity is None else capacity
        if not 1 <= capacity <= cls.max_capacity:
            raise BadArgument(f"Le nombre de places doit aller de 1 à {cls.max_capacity}.")
        duration = duration or cls.default_duration
        if duration > timedelta(hours=4) or duration < timedelta(minutes=10):
            raise BadArgument("La durée doit aller de 10 minutes à 4 heures (par exemple : 45min).")
        place = " ".join(place_words)[:60] or None
        spec = WeeklySlotSpec(start.weekday(), start.time(), duration, capacity, place)
        return spec, len(words)


class Url(Converter):
    """An http(s) address, returned in its normalised form (``bot.links.normalize_url``)."""

    label = "url"

    @classmethod
    def consume(cls, words, raw, ctx):
        from bot.links import normalize_url

        try:
            return normalize_url(words[0].text), 1
        except ValueError as problem:
            raise BadArgument(
                f"{str(problem).rstrip('.')} (« {_short(words[0].text)} »)."
            ) from None


@dataclass(frozen=True)
class TaggedText:
    """Free text with its ``#mot`` tags taken out: ``text`` is None when only tags were given."""

    text: str | None
    tags: tuple[str, ...]


# "#mot", "#numérique", "#e-sidoc", then punctuation that ends a sentence ("#ia,").
_TAG = re.compile(r"#([^\W_][\w-]*)[.,;:!?]*")


class Tags(Converter):
    """The rest of the text, with ``#mot`` tags anywhere in it.

    Tags are lower-cased with accents folded (« #Numérique » is « numerique »),
    kept once each in the order given; the other words are the text.
    """

    label = "texte #tag"
    greedy = True
    max_tags: ClassVar[int] = 10
    max_tag_chars: ClassVar[int] = 40

    @classmethod
    def consume(cls, words, raw, ctx):
        tags: list[str] = []
        text: list[str] = []
        for word in words:
            found = _TAG.fullmatch(word.text)
            if found is None:
                text.append(word.text)
                continue
            # A few compatibility characters fold to several words (U+FDFA): one tag is one word.
            tag = "".join(fold(found.group(1)).split())
            if len(tag) > cls.max_tag_chars:
                raise BadArgument(
                    f"Le mot-clé « #{_short(found.group(1))} » est trop long "
                    f"({cls.max_tag_chars} caractères au plus)."
                )
            if tag not in tags:
                tags.append(tag)
        if len(tags) > cls.max_tags:
            raise BadArgument(f"{cls.max_tags} mots-clés au plus, s'il vous plaît.")
        return TaggedText(" ".join(text) or None, tuple(tags)), len(words)
