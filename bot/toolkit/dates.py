"""French date and time expressions, parsed strictly and formatted for display.

Users type things like « mardi 12h30 », « le 3 déc. à 14h » or « dans 15 jours ».
The parser is rule based: the text is normalised (lower case, accents folded,
apostrophes and word hyphens turned into spaces), cut into tokens, and every token
must be consumed by one of the rules below or be a filler word (« à », « vers »,
« le », « pour », punctuation). Anything left over makes the whole expression
``None``: for a reminder bot, a refusal is better than a confident wrong date.

dateparser is deliberately not used, not even as a suggestion: it misreads
common school phrasing (« demain 10h » as ten hours from now, « lundi 8h » as the
8th of the month), and of the inputs this grammar refuses it reads three usefully
for twelve wrongly (the README gives the figures).

Policy where French is ambiguous:

* dates without a year, weekdays and bare times prefer the future; explicit dates
  (with a year, « aujourd'hui », « demain », « dans 3 jours ») are taken literally,
  even if already past, so the caller can say « cette date est passée »;
* a weekday alone designates the next such day, never today (« lundi » said on a
  Monday means next week); with a time it is today if that time is still ahead;
* « lundi prochain » is the first Monday after today (tomorrow, if today is Sunday);
* « dans 1 mois » keeps the day number, clamped to the end of a shorter month;
* « minuit » alone is the coming midnight; with a day (« demain à minuit ») it is
  refused, since people mean either end of that day;
* a weekday given with a date must agree with the date the rest designates;
* « mar » is the month March only right after a day number (« 12 mar »),
  otherwise Tuesday (« mar 12h30 »);
* a period word only qualifies an explicit hour: « ce soir 8h » is 20:00 but
  « demain soir » alone is ``None``.

Kept whole: the rules below are one grammar. They share the tokenizer, the
facts they fill in and the resolver that turns facts into a date, and each
policy above is the sum of several rules; read apart, a rule misleads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from datetime import MAXYEAR, MINYEAR, UTC, date, datetime, time, timedelta, tzinfo

from bot.toolkit.numbers import french_number
from bot.toolkit.text import strip_accents

__all__ = [
    "format_date_fr",
    "format_datetime_fr",
    "format_day_fr",
    "format_duration_fr",
    "format_when_fr",
    "parse_duration",
    "parse_when",
]

WEEKDAY_NAMES = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTH_NAMES = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)

_WEEKDAY_WORDS = {
    "lundi": 0,
    "lun": 0,
    "mardi": 1,
    "mar": 1,
    "mercredi": 2,
    "mer": 2,
    "merc": 2,
    "jeudi": 3,
    "jeu": 3,
    "vendredi": 4,
    "ven": 4,
    "vend": 4,
    "samedi": 5,
    "sam": 5,
    "dimanche": 6,
    "dim": 6,
}
_MONTH_WORDS = {
    "janvier": 1,
    "janv": 1,
    "jan": 1,
    "fevrier": 2,
    "fevr": 2,
    "fev": 2,
    "mars": 3,
    "mar": 3,
    "avril": 4,
    "avr": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7,
    "juil": 7,
    "aout": 8,
    "septembre": 9,
    "sept": 9,
    "sep": 9,
    "octobre": 10,
    "oct": 10,
    "novembre": 11,
    "nov": 11,
    "decembre": 12,
    "dec": 12,
}
_NUMBER_WORDS = {
    "un": 1,
    "une": 1,
    "deux": 2,
    "trois": 3,
    "quatre": 4,
    "cinq": 5,
    "six": 6,
    "sept": 7,
    "huit": 8,
    "neuf": 9,
    "dix": 10,
    "onze": 11,
    "douze": 12,
    "treize": 13,
    "quatorze": 14,
    "quinze": 15,
    "seize": 16,
    "vingt": 20,
    "trente": 30,
    "quarante": 40,
    "cinquante": 50,
}
_HOUR_WORDS = frozenset({"h", "heure", "heures"})
_MINUTE_WORDS = frozenset({"min", "mn", "minute", "minutes"})
_FILLER_TOKENS = frozenset(
    {"a", "vers", "le", "pour", "pile", "precise", "precises", ".", ",", ";", "!"}
)
_NEXT_WORDS = frozenset({"prochain", "prochaine"})

# (unit words, kind, upper bound) for « dans N <unit> »; the bounds keep absurd
# inputs away from datetime overflow and from years nobody plans for.
_CALENDAR_UNITS = (
    (frozenset({"jour", "jours"}), "days", 3660),
    (frozenset({"semaine", "semaines"}), "weeks", 520),
    (frozenset({"mois"}), "months", 120),
    (frozenset({"an", "ans", "annee", "annees"}), "years", 10),
)
_MAX_DELAY = timedelta(days=30)

# Period words qualify an hour: (accepted hours kept as is, hours shifted by 12).
_PERIODS = {
    "matin": (range(0, 12), range(0)),
    "apres-midi": (range(12, 19), range(1, 7)),
    "soir": (range(17, 24), range(5, 12)),
}
_PERIOD_PHRASES = (
    (("apres", "midi"), "apres-midi"),
    (("aprem",), "apres-midi"),
    (("matin",), "matin"),
    (("soir",), "soir"),
)

_TOKEN_RE = re.compile(
    r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:t[0-9]{1,2}:[0-9]{2})?"
    r"|[0-9]{1,2}/[0-9]{1,2}(?:/[0-9]{2}(?:[0-9]{2})?)?"
    # Dots and dashes only with a year: « 12.30 » is more likely a time than a date.
    r"|[0-9]{1,2}([.-])[0-9]{1,2}\1[0-9]{2}(?:[0-9]{2})?"
    r"|[0-9]+:[0-9]+"
    r"|[0-9]+"
    r"|[a-z]+"
    r"|\S"
)
_ISO_RE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:t([0-9]{1,2}):([0-9]{2}))?")
_NUMERIC_DATE_RE = re.compile(r"([0-9]{1,2})[/.-]([0-9]{1,2})(?:[/.-]([0-9]{2}|[0-9]{4}))?")
_CLOCK_RE = re.compile(r"([0-9]{1,2}):([0-9]{2})")


# --- What the rules extract --------------------------------------------------------


@dataclass(frozen=True)
class _CalendarDate:
    """A date with an explicit year (« 3/12/2026 », « 2026-12-03 »)."""

    year: int
    month: int
    day: int


@dataclass(frozen=True)
class _YearlessDate:
    """« 3 décembre »: the next such date; ``strict`` (« prochain ») excludes today."""

    month: int
    day: int
    strict: bool = False


@dataclass(frozen=True)
class _DayOfMonth:
    """« le 15 »: the next 15th of a month."""

    day: int


@dataclass(frozen=True)
class _RelativeDays:
    """« aujourd'hui », « demain », « dans 2 semaines »."""

    days: int


@dataclass(frozen=True)
class _RelativeMonths:
    """« dans 1 mois », « dans 1 an »: same day number, clamped to the month's end."""

    months: int


_DaySpec = _CalendarDate | _YearlessDate | _DayOfMonth | _RelativeDays | _RelativeMonths


@dataclass(frozen=True)
class _Weekday:
    """« mardi », « lundi prochain »; ``strict`` excludes today."""

    index: int
    strict: bool = False


@dataclass(frozen=True)
class _Clock:
    """A time of day as typed, before any period word is applied.

    ``is_midnight_word``: « minuit » alone is the coming midnight, but « demain à
    minuit » may mean the start or the end of tomorrow, so it cannot go with a day.
    """

    hour: int
    minute: int
    is_midnight_word: bool = False


@dataclass(frozen=True)
class _Facts:
    """Everything understood so far; each slot may be filled only once."""

    day: _DaySpec | None = None
    weekday: _Weekday | None = None
    clock: _Clock | None = None
    period: str | None = None
    delay: timedelta | None = None


@dataclass(frozen=True)
class _Match:
    """A rule consumed tokens up to ``end`` and filled these slots."""

    end: int
    slots: dict[str, object]


# --- Public API -------------------------------------------------------------------


# How far back a weekday-checked date may lie before it is read as a mistake.
RECENT_PAST_DAYS = 60


def parse_when(text: str, now: datetime) -> datetime | None:
    """Read a French date/time expression as an aware datetime in ``now``'s time zone.

    Date-only expressions give midnight; « dans N heures/minutes » is an exact
    elapsed time. Returns ``None`` when any word is not understood or when the
    result cannot exist: « 31 novembre », « 25h », a weekday contradicting the date,
    a wall-clock time skipped by the spring DST change.
    """
    tokens = _tokenize(text)
    if not tokens:
        return None
    facts = _read_facts(tokens)
    if facts is None:
        return None
    try:
        return _resolve(facts, now)
    except (OverflowError, ValueError):
        # Only reachable with extreme ``now`` values near datetime's limits.
        return None


def parse_duration(text: str) -> timedelta | None:
    """Read a duration such as « 45min », « 1h30 », « 1 h 30 », « 90 minutes », « 2 heures ».

    Returns ``None`` for anything else, for zero and for more than 12 hours: a
    school slot or reminder delay never exceeds half a day, so a bigger value is a typo.
    """
    tokens = _tokenize(text)
    match = _match_clock_duration(tokens, 0)
    if match is None or match[0] != len(tokens):
        return None
    duration = match[1]
    if timedelta(0) < duration <= timedelta(hours=12):
        return duration
    return None


def format_date_fr(value: date) -> str:
    """Format a date (or datetime) as « mardi 3 décembre 2026 » (« 1er » for the first)."""
    return f"{_day_and_month(value)} {value.year}"


def format_datetime_fr(value: datetime) -> str:
    """Format a datetime as « mardi 3 décembre à 12 h 30 », or « à 12 h » on the hour."""
    return f"{_day_and_month(value)} à {format_clock_fr(value)}"


# One time format everywhere, the Imprimerie nationale's « 12 h 30 », with spaces
# that never break: a phone never leaves « 30 » alone on the next line.
def format_clock_fr(value: time | datetime | str) -> str:
    """« 12 h 30 », « 8 h » on the hour (no-break spaces); a config's « 09:00 » too."""
    if isinstance(value, str):
        value = time.fromisoformat(value)
    if value.minute == 0:
        return f"{value.hour}\u00a0h"
    return f"{value.hour}\u00a0h\u00a0{value.minute:02d}"


def format_day_fr(value: date) -> str:
    """Format a date without its weekday: « 1er septembre 2026 »."""
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {MONTH_NAMES[value.month - 1]} {value.year}"


def format_when_fr(value: datetime, tz: tzinfo | None = None) -> str:
    """« jeudi 3 décembre à 12h30 »; a date given without a time (midnight) reads
    « jeudi 3 décembre 2026 ». With ``tz``, the instant is shown in that zone first
    (a date stored in UTC, shown in the establishment's time)."""
    if tz is not None:
        value = value.astimezone(tz)
    if (value.hour, value.minute) == (0, 0):
        return format_date_fr(value)
    return format_datetime_fr(value)


def format_duration_fr(value: timedelta) -> str:
    """« 40 min », « 1 h », « 1 h 30 », « 2,5 jours » (no-break spaces)."""
    minutes = round(value.total_seconds() / 60)
    hours = minutes / 60
    if minutes < 60:
        return f"{minutes}\u00a0min"
    if hours < 24:
        whole, rest = divmod(minutes, 60)
        return f"{whole}\u00a0h" + (f"\u00a0{rest:02d}" if rest else "")
    days = hours / 24
    return f"{french_number(days)}\u00a0jour{'s' if days >= 2 else ''}"


def _day_and_month(value: date) -> str:
    day = "1er" if value.day == 1 else str(value.day)
    return f"{WEEKDAY_NAMES[value.weekday()]} {day} {MONTH_NAMES[value.month - 1]}"


# --- Normalisation and tokens ---------------------------------------------------------


def _tokenize(text: str) -> list[str]:
    # Lower-cased after the accents go: « ᴬ » is « A », then « a » (« à »).
    folded = strip_accents(text).lower()
    folded = re.sub(r"['’‘`´]", " ", folded)
    # Hyphens join words (« après-demain ») but also separate ISO date parts.
    folded = re.sub(r"(?<=[a-z])-|-(?=[a-z])", " ", folded)
    return [m.group(0) for m in _TOKEN_RE.finditer(folded)]


def _token(tokens: list[str], i: int) -> str:
    return tokens[i] if i < len(tokens) else ""


def _starts_with(tokens: list[str], i: int, phrase: tuple[str, ...]) -> bool:
    return tuple(tokens[i : i + len(phrase)]) == phrase


def _small_number(token: str, max_digits: int = 2) -> int | None:
    if token.isascii() and token.isdigit() and len(token) <= max_digits:
        return int(token)
    return None


def _quantity(token: str) -> int | None:
    if token in _NUMBER_WORDS:
        return _NUMBER_WORDS[token]
    return _small_number(token, max_digits=5)


# --- Rules ------------------------------------------------------------------------


def _read_facts(tokens: list[str]) -> _Facts | None:
    facts = _Facts()
    i = 0
    while i < len(tokens):
        match = _first_match(tokens, i)
        if match is None:
            if tokens[i] not in _FILLER_TOKENS:
                return None
            i += 1
            continue
        for slot, value in match.slots.items():
            if getattr(facts, slot) is not None:
                return None  # said twice, e.g. two times or two dates
            facts = replace(facts, **{slot: value})
        i = match.end
    if all(getattr(facts, f.name) is None for f in fields(facts)):
        return None
    return facts


def _first_match(tokens: list[str], i: int) -> _Match | None:
    for rule in _RULES:
        match = rule(tokens, i)
        if match is not None:
            return match
    return None


def _match_iso_date(tokens: list[str], i: int) -> _Match | None:
    found = _ISO_RE.fullmatch(tokens[i])
    if found is None:
        return None
    year, month, day, hour, minute = found.groups()
    slots: dict[str, object] = {"day": _CalendarDate(int(year), int(month), int(day))}
    if hour is not None:
        slots["clock"] = _Clock(int(hour), int(minute))
    return _Match(i + 1, slots)


def _match_numeric_date(tokens: list[str], i: int) -> _Match | None:
    found = _NUMERIC_DATE_RE.fullmatch(tokens[i])
    if found is None:
        return None
    day, month, year = found.groups()
    if year is None:
        return _Match(i + 1, {"day": _YearlessDate(int(month), int(day))})
    full_year = int(year) + 2000 if len(year) == 2 else int(year)
    return _Match(i + 1, {"day": _CalendarDate(full_year, int(month), int(day))})


def _match_relative_day(tokens: list[str], i: int) -> _Match | None:
    for phrase, days in (
        (("aujourd", "hui"), 0),
        (("aujourdhui",), 0),
        (("demain",), 1),
        (("apres", "demain"), 2),
        (("apresdemain",), 2),
    ):
        if _starts_with(tokens, i, phrase):
            return _Match(i + len(phrase), {"day": _RelativeDays(days)})
    return None


def _match_this_part_of_day(tokens: list[str], i: int) -> _Match | None:
    """« ce soir », « cet après-midi », « ce midi », « ce lundi »."""
    if tokens[i] not in ("ce", "cet", "cette"):
        return None
    if _token(tokens, i + 1) == "midi":
        return _Match(i + 2, {"day": _RelativeDays(0), "clock": _Clock(12, 0)})
    for phrase, period in _PERIOD_PHRASES:
        if _starts_with(tokens, i + 1, phrase):
            return _Match(i + 1 + len(phrase), {"day": _RelativeDays(0), "period": period})
    return _match_weekday(tokens, i + 1)


def _match_period(tokens: list[str], i: int) -> _Match | None:
    """« soir », « du soir », « de l'après-midi »: only meaningful next to an hour."""
    start = i
    if tokens[i] == "du":
        start = i + 1
    elif _starts_with(tokens, i, ("de", "l")):
        start = i + 2
    for phrase, period in _PERIOD_PHRASES:
        if _starts_with(tokens, start, phrase):
            return _Match(start + len(phrase), {"period": period})
    return None


def _match_delay(tokens: list[str], i: int) -> _Match | None:
    """« dans 3 heures » (exact), « dans 15 jours » (a day, so midnight)."""
    if tokens[i] != "dans":
        return None
    clock = _match_clock_duration(tokens, i + 1)
    if clock is not None:
        end, delay = clock
        if timedelta(0) < delay <= _MAX_DELAY:
            return _Match(end, {"delay": delay})
        return None
    count = _quantity(_token(tokens, i + 1))
    unit = _token(tokens, i + 2)
    for words, kind, bound in _CALENDAR_UNITS:
        if unit in words and count is not None and 0 < count <= bound:
            return _Match(i + 3, {"day": _calendar_offset(kind, count)})
    return None


def _calendar_offset(kind: str, count: int) -> _DaySpec:
    if kind == "days":
        return _RelativeDays(count)
    if kind == "weeks":
        return _RelativeDays(7 * count)
    if kind == "months":
        return _RelativeMonths(count)
    return _RelativeMonths(12 * count)


def _match_clock_duration(tokens: list[str], i: int) -> tuple[int, timedelta] | None:
    """« 1h30 », « 2 heures », « 45 min », « une demi-heure », « un quart d'heure »."""
    if _starts_with(tokens, i, ("une", "demi", "heure")):
        return i + 3, timedelta(minutes=30)
    if _starts_with(tokens, i, ("un", "quart", "d", "heure")):
        return i + 4, timedelta(minutes=15)
    count = _quantity(_token(tokens, i))
    unit = _token(tokens, i + 1)
    if count is None:
        return None
    if unit in _MINUTE_WORDS:
        return i + 2, timedelta(minutes=count)
    if unit not in _HOUR_WORDS:
        return None
    end, minutes = _minutes_after_hour(tokens, i + 2)
    if minutes is None:
        return None
    if end > i + 2 and _token(tokens, end) in _MINUTE_WORDS:
        end += 1
    return end, timedelta(hours=count, minutes=minutes)


def _minutes_after_hour(tokens: list[str], i: int) -> tuple[int, int | None]:
    """Minutes following « 12h »: « 30 », « et quart », « et demie », « moins le quart ».

    Returns the end index and the minutes (negative for « moins »); ``None`` minutes
    means a malformed minute field (« 12h5 », « 12h75 »).
    """
    token = _token(tokens, i)
    if token.isascii() and token.isdigit() and not _starts_day_month(tokens, i):
        return (i + 1, int(token)) if len(token) == 2 and int(token) < 60 else (i, None)
    for phrase, minutes in (
        (("et", "quart"), 15),
        (("et", "demie"), 30),
        (("et", "demi"), 30),
        (("moins", "le", "quart"), -15),
        (("moins", "quart"), -15),
    ):
        if _starts_with(tokens, i, phrase):
            return i + len(phrase), minutes
    return i, 0


def _starts_day_month(tokens: list[str], i: int) -> bool:
    """Whether tokens[i] is the day of « 30 juin » / « 1er mars » rather than minutes."""
    following = _token(tokens, i + 1)
    if following == "er":
        following = _token(tokens, i + 2)
    return following in _MONTH_WORDS


def _match_time(tokens: list[str], i: int) -> _Match | None:
    """« 12h30 », « 12 h 30 », « 12:30 », « 14 heures », « midi », « minuit et demie »."""
    clock = _CLOCK_RE.fullmatch(tokens[i])
    if clock is not None:
        return _Match(i + 1, {"clock": _Clock(int(clock[1]), int(clock[2]))})
    if tokens[i] in ("midi", "minuit"):
        hour, minute_start = (12 if tokens[i] == "midi" else 0), i + 1
    else:
        hour = _small_number(tokens[i])
        if hour is None or _token(tokens, i + 1) not in _HOUR_WORDS:
            return None
        minute_start = i + 2
    end, minutes = _minutes_after_hour(tokens, minute_start)
    if minutes is None:
        return None
    total = hour * 60 + minutes
    if total < 0:
        return None  # « minuit moins le quart » is the previous day: too subtle to guess
    is_midnight_word = tokens[i] == "minuit"
    return _Match(end, {"clock": _Clock(total // 60, total % 60, is_midnight_word)})


def _match_day_month(tokens: list[str], i: int) -> _Match | None:
    """« 3 décembre », « 1er déc. 2027 », « le premier mars », « 30 juin prochain »."""
    if tokens[i] == "premier":
        day, j = 1, i + 1
    else:
        day = _small_number(tokens[i])
        j = i + 1
        if day == 1 and _token(tokens, j) == "er":
            j += 1
    month = _MONTH_WORDS.get(_token(tokens, j))
    if day is None or month is None:
        return None
    j = _skip_abbreviation_dot(tokens, j + 1)
    year = _small_number(_token(tokens, j), max_digits=4)
    if year is not None and len(tokens[j]) == 4:
        return _Match(j + 1, {"day": _CalendarDate(year, month, day)})
    strict = _token(tokens, j) in _NEXT_WORDS
    return _Match(j + 1 if strict else j, {"day": _YearlessDate(month, day, strict)})


def _match_weekday(tokens: list[str], i: int) -> _Match | None:
    """« mardi », « lun. », « lundi prochain », « mardi 3 » (the next 3rd, a Tuesday)."""
    index = _WEEKDAY_WORDS.get(_token(tokens, i))
    if index is None:
        return None
    j = _skip_abbreviation_dot(tokens, i + 1)
    strict = _token(tokens, j) in _NEXT_WORDS
    if strict:
        j += 1
    slots: dict[str, object] = {"weekday": _Weekday(index, strict)}
    bare_day = _bare_day(tokens, j)
    if bare_day is not None and not strict:
        j, day = bare_day
        slots["day"] = _DayOfMonth(day)
    return _Match(j, slots)


def _skip_abbreviation_dot(tokens: list[str], i: int) -> int:
    # « déc. 2026 », « mar. 3 »: the dot ends an abbreviation, not the expression.
    return i + 1 if _token(tokens, i) == "." else i


def _match_day_of_month(tokens: list[str], i: int) -> _Match | None:
    """« le 15 », « le 1er » without a month."""
    if tokens[i] != "le":
        return None
    bare_day = _bare_day(tokens, i + 1)
    if bare_day is None:
        return None
    end, day = bare_day
    return _Match(end, {"day": _DayOfMonth(day)})


def _bare_day(tokens: list[str], i: int) -> tuple[int, int] | None:
    """A day number standing alone: not an hour (« 8h ») nor the start of « 3 mars »."""
    day = _small_number(_token(tokens, i))
    if day is None or _starts_day_month(tokens, i):
        return None
    end = i + 1
    if day == 1 and _token(tokens, end) == "er":
        end += 1
    if _token(tokens, end) in _HOUR_WORDS:
        return None
    return end, day


_RULES = (
    _match_iso_date,
    _match_numeric_date,
    _match_relative_day,
    _match_this_part_of_day,
    _match_delay,
    _match_time,
    _match_day_month,
    _match_period,
    _match_weekday,
    _match_day_of_month,
)


# --- Resolution against "now" ------------------------------------------------------


def _resolve(facts: _Facts, now: datetime) -> datetime | None:
    if facts.delay is not None:
        if any(v is not None for v in (facts.day, facts.weekday, facts.clock, facts.period)):
            return None
        # Exact elapsed time: go through UTC so a DST change does not shift the hour.
        return (now.astimezone(UTC) + facts.delay).astimezone(now.tzinfo)
    has_day = facts.day is not None or facts.weekday is not None
    if has_day and facts.clock is not None and facts.clock.is_midnight_word:
        return None
    clock = _time_of_day(facts.clock, facts.period)
    if clock is None and (facts.clock is not None or facts.period is not None):
        return None
    day = _resolve_day(facts, clock, now)
    if day is None:
        return None
    return _local_datetime(day, clock or time(0, 0), now)


def _time_of_day(clock: _Clock | None, period: str | None) -> time | None:
    if clock is None:
        return None
    hour = clock.hour
    if period is not None:
        kept, shifted = _PERIODS[period]
        if hour in shifted:
            hour += 12
        elif hour not in kept:
            return None
    if not (0 <= hour <= 23 and 0 <= clock.minute <= 59):
        return None
    return time(hour, clock.minute)


def _resolve_day(facts: _Facts, clock: time | None, now: datetime) -> date | None:
    spec = facts.day
    weekday = facts.weekday
    if spec is None and weekday is None:
        return _next_time_slot(clock, now)
    if spec is None:
        return _next_weekday(weekday, clock, now)
    day = _day_from_spec(spec, clock, now)
    if day is not None and weekday is not None and isinstance(spec, _YearlessDate):
        day = _agreeing_occurrence(day, spec, weekday, now.date())
    if day is None or (weekday is not None and day.weekday() != weekday.index):
        return None
    if weekday is not None and weekday.strict and day <= now.date():
        return None
    return day


def _agreeing_occurrence(
    day: date, spec: _YearlessDate, weekday: _Weekday, today: date
) -> date | None:
    """« jeudi 19 novembre » a few days after it passed means that past Thursday, not
    a guess a year ahead: the caller can then say the date is past."""
    if day.weekday() == weekday.index:
        return day
    previous = _safe_date(day.year - 1, spec.month, spec.day)
    recent = previous is not None and today - previous <= timedelta(days=RECENT_PAST_DAYS)
    return previous if recent and previous.weekday() == weekday.index else None


def _next_time_slot(clock: time | None, now: datetime) -> date | None:
    """A bare time: today if still ahead, otherwise tomorrow."""
    if clock is None:
        return None
    today = now.date()
    if _is_ahead(today, clock, now, strict=False):
        return today
    return today + timedelta(days=1)


def _next_weekday(weekday: _Weekday, clock: time | None, now: datetime) -> date:
    today = now.date()
    # Without a time « mardi » said on a Tuesday means next week, as in speech.
    strict = weekday.strict or clock is None
    for offset in range(8):
        day = today + timedelta(days=offset)
        if day.weekday() == weekday.index and _is_ahead(day, clock, now, strict):
            return day
    raise AssertionError("a weekday always occurs within eight days")


def _day_from_spec(spec: _DaySpec, clock: time | None, now: datetime) -> date | None:
    today = now.date()
    if isinstance(spec, _CalendarDate):
        return _safe_date(spec.year, spec.month, spec.day)
    if isinstance(spec, _RelativeDays):
        return today + timedelta(days=spec.days)
    if isinstance(spec, _RelativeMonths):
        return _add_months(today, spec.months)
    if isinstance(spec, _YearlessDate):
        # Eight years always contain a 29 February, the rarest valid date.
        for year in range(today.year, today.year + 9):
            day = _safe_date(year, spec.month, spec.day)
            if day is not None and _is_ahead(day, clock, now, spec.strict):
                return day
        return None
    if isinstance(spec, _DayOfMonth):
        for months in range(13):
            first = _add_months(today.replace(day=1), months)
            day = _safe_date(first.year, first.month, spec.day)
            if day is not None and _is_ahead(day, clock, now, strict=False):
                return day
        return None
    raise TypeError(f"unknown date spec {spec!r}")


def _is_ahead(day: date, clock: time | None, now: datetime, strict: bool) -> bool:
    """Whether ``day`` (at ``clock``) is still to come; a date alone counts today."""
    if strict and day <= now.date():
        return False
    if clock is None:
        return day >= now.date()
    moment = datetime.combine(day, clock, tzinfo=now.tzinfo)
    return moment > now


def _local_datetime(day: date, clock: time, now: datetime) -> datetime | None:
    moment = datetime.combine(day, clock, tzinfo=now.tzinfo)
    # Wall-clock times skipped by the spring DST change do not exist: refuse them
    # rather than shift them silently by an hour.
    round_trip = moment.astimezone(UTC).astimezone(now.tzinfo)
    if round_trip.replace(tzinfo=None) != moment.replace(tzinfo=None):
        return None
    return moment


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _add_months(day: date, months: int) -> date:
    """Same day number ``months`` later, clamped to the end of a shorter month."""
    year, month_index = divmod(day.year * 12 + day.month - 1 + months, 12)
    if not MINYEAR <= year <= MAXYEAR:
        raise OverflowError("date out of range")
    for last_day in (31, 30, 29, 28):
        candidate = _safe_date(year, month_index + 1, min(day.day, last_day))
        if candidate is not None:
            return candidate
    raise AssertionError("every month has at least 28 days")
