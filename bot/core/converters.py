"""Typed command arguments.

A handler's parameters are annotated with converters; the dispatcher walks the
words of the message and asks each converter to take what it needs. A converter
that cannot read its words raises one ``BadArgument`` with a French sentence;
the dispatcher answers with it, the usage line and an example.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import time as datetime_time
from datetime import timedelta
from typing import TYPE_CHECKING, ClassVar

from bot.core.errors import BadArgument
from bot.toolkit.calendar import current_school_year, school_year_label
from bot.toolkit.dates import WEEKDAY_NAMES, format_when_fr, parse_duration, parse_when
from bot.toolkit.text import Word, fold, fold_words
from bot.toolkit.urls import normalize_url

if TYPE_CHECKING:
    from bot.core.context import Context


class Converter:
    """Base of argument types: ``consume`` returns (value, number of words used)."""

    label: ClassVar[str] = "argument"
    # What a missing argument is called in « Précisez le numéro du besoin. »
    wanted: ClassVar[str] = "la suite de la commande"
    # Free text takes everything left; the usage line shows it last.
    greedy: ClassVar[bool] = False

    @classmethod
    def consume(cls, words: list[Word], raw: str, ctx: Context) -> tuple[object, int]:
        raise NotImplementedError


class Text(Converter):
    """All the remaining text, as typed."""

    label = "texte"
    wanted = "le texte"
    greedy = True

    @classmethod
    def consume(cls, words, raw, ctx):
        return raw[words[0].start :].strip(), len(words)


class Keyword(Converter):
    """One word, lower-cased."""

    label = "mot"
    wanted = "le mot"

    @classmethod
    def consume(cls, words, raw, ctx):
        return words[0].text.lower(), 1


def bounded_int(digits: str, maximum: int) -> int:
    """The number written, or ``maximum + 1`` when it is longer than ``maximum``.

    int() refuses more than 4,300 digits; a number that long is out of range anyway.
    """
    return int(digits) if len(digits) <= len(str(maximum)) else maximum + 1


class Number(Converter):
    """A positive whole number such as the ``2`` of ``!permanence réserver 2``."""

    label = "numéro"
    wanted = "le numéro"
    maximum: ClassVar[int] = 1_000_000

    @classmethod
    def consume(cls, words, raw, ctx):
        word = words[0].text.lstrip("#n°").strip()
        if not word.isdecimal() or not word.isascii():
            raise BadArgument(f"« {shortened(words[0].text)} » n'est pas un numéro.")
        value = bounded_int(word, cls.maximum)
        if not 1 <= value <= cls.maximum:
            raise BadArgument(f"Le numéro {shortened(word)} n'existe pas.")
        return value, 1


class NumberedItem(Number):
    """Something of this establishment designated by its short number (a need, a
    breakdown…). A subclass gives ``find(db, establishment_id, number)`` and the
    ``missing`` sentence, with ``{number}`` and ``{prefix}`` placeholders."""

    find: ClassVar[Callable[..., object | None]]
    missing: ClassVar[str]

    @classmethod
    def consume(cls, words, raw, ctx):
        number, used = super().consume(words, raw, ctx)
        found = cls.find(ctx.db, ctx.establishment.id, number)
        if found is None:
            raise BadArgument(cls.missing.format(number=number, prefix=ctx.prefix))
        return found, used


def shortened(text: str, limit: int = 40) -> str:
    """What the user typed, cut to ``limit`` characters to be quoted back."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class Slug(Converter):
    """A short name people give something and type again to find it: « vpi-connexion »:
    letters without accents, digits and single hyphens, as typed once folded (« VPI-Connexion »
    is ``vpi-connexion``), never one of the sub-commands' words a subclass puts in ``reserved``.
    """

    label = "nom"
    wanted = "le nom"
    max_length: ClassVar[int] = 40
    reserved: ClassVar[frozenset[str]] = frozenset()
    example: ClassVar[str | None] = None  # a command line with a good name, for the errors

    @classmethod
    def consume(cls, words, raw, ctx):
        typed = words[0].text
        name = fold(typed)
        if len(name) > cls.max_length:
            raise BadArgument(
                f"Ce nom est trop long ({len(name)} caractères, {cls.max_length} au plus).",
                example=cls.example,
            )
        if not _SLUG.match(name):
            hint = "-".join(fold_words(typed))[: cls.max_length].strip("-")
            better = f" : « {hint} », par exemple" if hint else ""
            raise BadArgument(
                f"« {shortened(typed)} » ne peut pas servir de nom : des lettres sans accents,"
                f" des chiffres et des tirets, sans espace{better}.",
                example=cls.example,
            )
        if name in cls.reserved:
            raise BadArgument(
                f"« {name} » est un mot de la commande, pas un nom : choisissez-en un autre.",
                example=cls.example,
            )
        return name, 1


_LOOKS_LIKE_TIME = re.compile(r"^(\d{1,2}([hH:.]\d*)?|à|a|vers|le)$")


class When(Converter):
    """A French date/time (« mardi 12h30 », « le 3 décembre à 12h »), as many words as it takes.

    The longest run of words that reads as a date wins, so free text may follow.
    """

    label = "date"
    wanted = "la date"
    max_words: ClassVar[int] = 8

    @classmethod
    def consume(cls, words, raw, ctx):

        for count in range(min(len(words), cls.max_words), 0, -1):
            last = words[count - 1]
            when = parse_when(raw[words[0].start : last.start + len(last.text)], ctx.now)
            if when is not None:
                if count < len(words) and _LOOKS_LIKE_TIME.match(words[count].text):
                    break  # « mercredi 25h »: a broken time, not a subject « 25h »
                return when, count
        attempt = " ".join(w.text for w in words[:4])
        raise BadArgument(f"Je ne comprends pas la date « {shortened(attempt)} ».")


class SlotRef(Converter):
    """A permanence occurrence, by its short number (« 2 ») or by its date (« mardi 12h30 »)."""

    label = "numéro ou date"
    wanted = "le numéro ou la date de la permanence"

    @classmethod
    def consume(cls, words, raw, ctx):
        if words[0].text.lstrip("#n°").isdecimal():
            return Number.consume(words, raw, ctx)
        return When.consume(words, raw, ctx)


_YEAR = re.compile(r"^([0-9]{4})[-/–—]([0-9]{4}|[0-9]{2})$")


class SchoolYear(Converter):
    """A school year that has begun: « 2025-2026 » (or « 2025/2026 », « 2025-26 »),
    as the year it starts in."""

    label = "année"
    wanted = "l'année scolaire"

    @classmethod
    def consume(cls, words, raw, ctx):
        text = words[0].text
        match = _YEAR.match(text)
        if match is None:
            raise BadArgument(
                f"Je ne comprends pas l'année « {shortened(text)} » : écrivez-la ainsi : 2025-2026."
            )
        start, end = int(match.group(1)), int(match.group(2))
        if len(match.group(2)) == 2:
            end += start // 100 * 100
        if end != start + 1:
            raise BadArgument(
                "Une année scolaire va de septembre à août d'une année à la suivante :"
                " 2025-2026, par exemple."
            )
        if start > current_school_year(ctx.now):
            raise BadArgument(f"L'année scolaire {school_year_label(start)} n'a pas commencé.")
        if start < 2000:
            raise BadArgument(f"Le bot n'a rien pour l'année {school_year_label(start)}.")
        return start, 1


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
    wanted = "le jour de la semaine et l'heure"
    default_duration = timedelta(hours=1)
    default_capacity = 5
    max_capacity = 50

    @classmethod
    def consume(cls, words, raw, ctx):

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
                capacity = bounded_int(places.group(1), cls.max_capacity)
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


# --- Dates still to come, lists of dates, text with #tags ----------------------------


def is_past(when, now) -> bool:
    """Whether a date is over; a date alone (midnight, « aujourd'hui ») counts all day."""
    if (when.hour, when.minute) == (0, 0):
        return when.date() < now.date()
    return when <= now


class FutureWhen(When):
    """A French date/time that is still to come; a past one is refused in French."""

    @classmethod
    def consume(cls, words, raw, ctx):
        when, used = super().consume(words, raw, ctx)
        if is_past(when, ctx.now):
            raise BadArgument(f"Cette date est déjà passée : {format_when_fr(when)}.")
        return when, used


class DateChoices(Converter):
    """Two or more dates still to come, separated by « | »: « jeudi 12h30 | vendredi 17h »."""

    label = "date | date | …"
    wanted = "au moins deux dates, séparées par « | »"
    greedy = True
    maximum: ClassVar[int] = 10

    @classmethod
    def consume(cls, words, raw, ctx):

        parts = [p.strip() for p in raw[words[0].start :].split("|")]
        if any(not p for p in parts) or len(parts) < 2:
            raise BadArgument("Proposez au moins deux dates, séparées par « | ».")
        if len(parts) > cls.maximum:
            raise BadArgument(f"Proposez au plus {cls.maximum} dates.")
        dates = []
        for part in parts:
            when = parse_when(part, ctx.now)
            if when is None:
                raise BadArgument(
                    f"Je ne comprends pas la date « {shortened(part)} »"
                    " (par exemple : mardi 12h30)."
                )
            if is_past(when, ctx.now):
                raise BadArgument(f"La date « {shortened(part)} » est déjà passée.")
            if when in dates:
                raise BadArgument(f"La date « {shortened(part)} » est proposée deux fois.")
            dates.append(when)
        return tuple(dates), len(words)


@dataclass(frozen=True)
class Tagged:
    """Free text with the ``#tags`` (folded: « #Numérique » is ``numerique``) and
    ``--options`` found in it; ``text`` is None when only tags were given."""

    text: str | None
    tags: tuple[str, ...] = ()
    flags: frozenset[str] = frozenset()


_TAG_WORD = re.compile(r"^#([^\W_][\w-]*)[.,;:!?]*$")
# Phones turn « -- » into a dash: « —nouveau » and « –nouveau » are the same option.
_FLAG_WORD = re.compile(r"^(?:--|—|–)(\w[\w-]*)$")


class TaggedText(Converter):
    """Free text followed by ``#tags`` (« … #creation-contenus #pronote »).

    Tags before or after the sentence are taken out of it; a tag inside stays in it
    and counts as a tag too. A subclass lists the options it accepts in ``flags``:
    a word and a colon at the start (« nouveau : … »), as people write it, or
    ``--nouveau`` anywhere; either is taken out of the text. With
    ``text_required`` False, tags alone are accepted (``Tagged.text`` is None).
    """

    label = "texte"
    wanted = "le texte"
    noun: ClassVar[str] = "texte"
    greedy = True
    flags: ClassVar[frozenset[str]] = frozenset()
    max_length: ClassVar[int] = 500
    text_required: ClassVar[bool] = True
    max_tags: ClassVar[int] = 10
    max_tag_chars: ClassVar[int] = 40

    @classmethod
    def consume(cls, words, raw, ctx):
        kept, tags, flags = [], [], set()
        leading, skip = _leading_option(words, cls.flags)
        if leading:
            flags.add(leading)
        for word in words[skip:]:
            flag = _FLAG_WORD.match(word.text)
            if flag and cls.flags:
                name = fold(flag.group(1))
                if name not in cls.flags:
                    options = ", ".join(f"--{f}" for f in sorted(cls.flags))
                    raise BadArgument(
                        f"Je ne connais pas l'option « {shortened(word.text)} »"
                        f" (possible : {options})."
                    )
                flags.add(name)
                continue
            tag = _TAG_WORD.match(word.text)
            if tag:
                # A few compatibility characters fold to several words: one tag is one word.
                folded = "".join(fold(tag.group(1)).split())
                if len(folded) > cls.max_tag_chars:
                    raise BadArgument(
                        f"Le mot-clé « #{shortened(tag.group(1))} » est trop long "
                        f"({cls.max_tag_chars} caractères au plus)."
                    )
                if folded not in tags:
                    tags.append(folded)
            kept.append((word, bool(tag)))
        if len(tags) > cls.max_tags:
            raise BadArgument(f"{cls.max_tags} mots-clés au plus, s'il vous plaît.")
        # Leading and trailing tags are labels, not part of the sentence.
        while kept and kept[-1][1]:
            kept.pop()
        while kept and kept[0][1]:
            kept.pop(0)
        text = " ".join(word.text for word, _ in kept) or None
        if text is None and cls.text_required:
            raise BadArgument(f"Il manque le {cls.noun} (les #tags viennent après).")
        if text and len(text) > cls.max_length:
            raise BadArgument(
                f"Le {cls.noun} est trop long ({len(text)} caractères,"
                f" {cls.max_length} au plus) : résumez-le."
            )
        return Tagged(text, tuple(tags), frozenset(flags)), len(words)


def _leading_option(words: list[Word], options: frozenset[str]) -> tuple[str | None, int]:
    """An option written as a word and a colon at the start (« nouveau : », « nouveau: »),
    and how many words it takes."""
    if not options or not words:
        return None, 0
    first = fold(words[0].text)
    if first.endswith(":") and first[:-1] in options:
        return first[:-1], 1
    if first in options and len(words) > 1 and words[1].text == ":":
        return first, 2
    return None, 0


class Url(Converter):
    """An http(s) address, returned in its normalised form (``bot.links.normalize_url``)."""

    label = "adresse"
    wanted = "l'adresse du lien"

    @classmethod
    def consume(cls, words, raw, ctx):

        try:
            return normalize_url(words[0].text), 1
        except ValueError as problem:
            raise BadArgument(
                f"{str(problem).rstrip('.')} (« {shortened(words[0].text)} »)."
            ) from None
