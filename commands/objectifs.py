"""``!objectifs``: the few priorities of the school year and how far they are.

The referent negotiates them with the principal each September; either of them
writes them down, adds progress notes (« points d'étape ») and says when one is
reached or abandoned; everyone reads them. An objective may carry an indicator,
a figure the bot already counts compared with a target (``indicateur:
sessions>=6``, ``indicateur: besoins_traites>=80%``): its value is computed over
the objective's school year, from its first day (1 September) to now, and
shown beside it.

The figures an indicator may use are the digest figures every family declares
(``@digest_figure``) plus the derived ones in ``DERIVED`` below: the one place
where a rate or a count that is not a digest figure is defined. ``!bilan``
reads objectives and indicators through ``measures`` and ``read_indicator``.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Annotated

from bot.core.context import Context
from bot.core.converters import Converter, Number, SchoolYear, Text, shortened
from bot.core.declarations import command
from bot.core.digest import figure_total
from bot.core.errors import BadArgument, CommandError
from bot.toolkit.calendar import current_school_year, school_year_label, school_year_range
from bot.toolkit.numbers import french_number
from bot.toolkit.text import fold
from commands import permanence
from storage import bilan
from storage.objectifs import (
    ABANDONED,
    ACTIVE,
    REACHED,
    IndicatorSpec,
    Objective,
    add_note,
    add_objective,
    count_kept,
    find_objective,
    objectives_of_year,
    set_status,
)

# « Simples et en nombre limité » (the academy's advice): abandoned ones do not count.
MAX_OBJECTIVES = 10
MAX_OBJECTIVE_CHARS = 300
MAX_NOTE_CHARS = 500
MAX_TARGET = 1_000_000
EXAMPLE_ADD = "objectifs ajouter Former les collègues à l'ENT indicateur: sessions>=6"
MANAGERS = ("referent", "principal")


# --- measures an indicator may use --------------------------------------------------


class PeriodCounts:
    """What an establishment did over ``[start, end)``, for indicators and the report.

    Each count is asked of SQLite when first read, then kept: the activity report
    and its objectives' indicators read the same ones over the same school year.
    """

    def __init__(self, db, establishment, start: datetime, end: datetime):
        self.db, self.establishment, self.start, self.end = db, establishment, start, end
        self.figures: dict[str, int] = {}  # digest figures' totals, by name

    def figure(self, figure) -> int:
        """A digest figure's total over the period."""
        if figure.name not in self.figures:
            value = figure(self.db, self.establishment, self.start, self.end)
            self.figures[figure.name] = figure_total(value)
        return self.figures[figure.name]

    def _over(self, count):
        return count(self.db, self.establishment.id, self.start, self.end)

    @cached_property
    def newsletters(self) -> int:
        """Newsletters sent."""
        return self._over(bilan.newsletters_sent)

    @cached_property
    def needs(self) -> bilan.NeedsSummary:
        """Training needs expressed and what became of them."""
        return self._over(bilan.needs_summary)

    @cached_property
    def seats_offered(self) -> int:
        """Seats offered by the permanences held."""
        return self._over(bilan.seats_offered)

    @cached_property
    def assistance(self) -> bilan.AssistanceSummary:
        """Breakdowns reported, with a ticket, repaired."""
        return self._over(bilan.assistance_summary)


Compute = Callable[[PeriodCounts], float | None]


@dataclass(frozen=True)
class Measure:
    """A figure an indicator may name: a count, or a rate in % (None when undefined)."""

    name: str
    label: str
    percent: bool
    compute: Compute


def _rate(part: int, whole: int) -> float | None:
    return 100 * part / whole if whole else None


def _needs_handled(counts: PeriodCounts) -> float | None:
    return _rate(counts.needs.handled, counts.needs.received)


def _breakdowns_repaired(counts: PeriodCounts) -> float | None:
    return _rate(counts.assistance.resolved, counts.assistance.reported)


def _fill_rate(counts: PeriodCounts) -> float | None:
    # The seats booked are the digest figure's: counted once when both are read.
    return _rate(counts.figure(permanence.seats_booked), counts.seats_offered)


def _letters(counts: PeriodCounts) -> int:
    return counts.newsletters


# What the digest does not count itself: a rate or a count worth an objective.
DERIVED = (
    Measure("lettres", "Lettres d'information envoyées", False, _letters),
    # Handled: planned, closed or forwarded to the DANE (storage/report.py).
    Measure("besoins_traites", "Part des besoins de formation traités", True, _needs_handled),
    Measure("pannes_reparees", "Part des pannes signalées réparées", True, _breakdowns_repaired),
    Measure("remplissage", "Taux de remplissage des permanences numériques", True, _fill_rate),
)


def measures(registry) -> dict[str, Measure]:
    """Every figure an indicator may name: the digest's figures, then ``DERIVED``."""
    found: dict[str, Measure] = {}
    for figure in sorted(registry.figures, key=lambda f: (f.order, f.name)):
        found[figure.name] = Measure(
            figure.name,
            figure.label,
            False,
            lambda counts, f=figure: counts.figure(f),
        )
    for measure in DERIVED:
        found.setdefault(measure.name, measure)
    return found


# --- indicators -----------------------------------------------------------------------

OPERATORS = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt,
             "=": operator.eq}  # fmt: skip
_OP_SPELLINGS = {"≥": ">=", "=>": ">=", "≤": "<=", "=<": "<=", "==": "="}
OP_SIGNS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "=": "="}
_INDICATOR_WORD = re.compile(r"\bindicateur\s*:", re.IGNORECASE)
_INDICATOR = re.compile(r"^([a-z][a-z_]*)\s*(>=|=>|≥|<=|=<|≤|==|>|<|=)\s*([0-9]{1,9})\s*(%?)$")


def parse_indicator(text: str, known: Mapping[str, Measure]) -> IndicatorSpec:
    """« sessions>=6 », « besoins_traités ≥ 80 % » → IndicatorSpec; BadArgument otherwise."""
    folded = re.sub(r"[\s\u00a0\u202f]+", " ", fold(text)).strip().replace("-", "_")
    match = _INDICATOR.match(folded)
    if match is None:
        raise BadArgument(
            "Écrivez l'indicateur ainsi : « indicateur: sessions>=6 » ou"
            " « indicateur: besoins_traites>=80% ».",
            example=EXAMPLE_ADD,
        )
    name, op, target, percent = match.groups()
    measure = known.get(name)
    if measure is None:
        raise BadArgument(
            f"Je ne connais pas le chiffre « {shortened(name)} ». Chiffres possibles : "
            + ", ".join(known)
            + ".",
            example=EXAMPLE_ADD,
        )
    value = int(target)
    if percent and not measure.percent:
        raise BadArgument(f"« {name} » est un nombre, pas un pourcentage : {name}>=6, par exemple.")
    if measure.percent and value > 100:
        raise BadArgument(f"« {name} » est un pourcentage : la cible va de 0 à 100.")
    if value > MAX_TARGET:
        raise BadArgument(f"La cible est trop grande ({MAX_TARGET} au plus).")
    return IndicatorSpec(name, _OP_SPELLINGS.get(op, op), value, measure.percent)


@dataclass(frozen=True)
class Reading:
    """An indicator's current value beside its target."""

    name: str
    label: str
    op: str
    target: int
    percent: bool
    value: float | None  # None: unknown figure, or a rate of nothing yet

    @property
    def met(self) -> bool:
        """Whether the value satisfies the target."""
        return self.value is not None and OPERATORS[self.op](self.value, self.target)

    @property
    def spec(self) -> str:
        """« sessions ≥ 6 », « besoins_traites ≥ 80 % »."""
        return f"{self.name} {OP_SIGNS[self.op]} {self.target}{' %' if self.percent else ''}"

    @property
    def shown(self) -> str:
        """« 12 / 6 ✅ », « 40 % / 80 % », « 3 / ≤ 5 ✅ », « – / 80 % »."""
        unit = " %" if self.percent else ""
        value = "–" if self.value is None else french_number(self.value, 0) + unit
        sign = "" if self.op == ">=" else OP_SIGNS[self.op] + " "
        mark = " ✅" if self.met else ""
        return f"{value} / {sign}{self.target}{unit}{mark}"


def read_indicator(
    spec: IndicatorSpec, known: Mapping[str, Measure], counts: PeriodCounts
) -> Reading:
    """The indicator's value over the period of ``counts``."""
    measure = known.get(spec.figure)
    value = measure.compute(counts) if measure else None
    return Reading(
        spec.figure,
        measure.label if measure else "chiffre que le bot ne compte plus",
        spec.op,
        spec.target,
        spec.percent,
        value,
    )


def readings_of(
    ctx: Context, objectives: list[Objective], counts: PeriodCounts | None = None
) -> dict[int, Reading]:
    """Each objective's indicator reading, by number, over its school year up to ``ctx.now``.

    ``counts``: what was already counted over one of those years (the report's).
    """
    known = measures(ctx.registry)
    readings = {}
    for objective in objectives:
        if objective.indicator is None:
            continue
        start, end, _ = school_year_range(objective.school_year, ctx.now)
        if counts is None or (counts.start, counts.end) != (start, end):
            counts = PeriodCounts(ctx.db, ctx.establishment, start, end)
        readings[objective.number] = read_indicator(objective.indicator, known, counts)
    return readings


# --- converters -----------------------------------------------------------------------


@dataclass(frozen=True)
class NewObjective:
    """What ``!objectifs ajouter`` asks for."""

    text: str
    indicator: IndicatorSpec | None


class ObjectiveText(Converter):
    """The objective's text, then optionally « indicateur: <chiffre><op><cible>[%] »."""

    label = "objectif"
    greedy = True

    @classmethod
    def consume(cls, words, raw, ctx):
        rest = raw[words[0].start :]
        found = list(_INDICATOR_WORD.finditer(rest))
        indicator = None
        if found:
            last = found[-1]
            indicator = parse_indicator(rest[last.end() :], measures(ctx.registry))
            rest = rest[: last.start()]
        text = " ".join(rest.split()).rstrip(" ,;:-–—")
        if not any(c.isalnum() for c in text):
            raise BadArgument("Il manque le texte de l'objectif.", example=EXAMPLE_ADD)
        if len(text) > MAX_OBJECTIVE_CHARS:
            raise BadArgument(
                f"L'objectif est trop long ({len(text)} caractères, {MAX_OBJECTIVE_CHARS} au"
                " plus) : un objectif simple se dit en une phrase."
            )
        return NewObjective(text, indicator), len(words)


class NoteText(Text):
    """A progress note: one paragraph, spaces folded."""

    label = "texte"

    @classmethod
    def consume(cls, words, raw, ctx):
        text, used = super().consume(words, raw, ctx)
        text = " ".join(text.split())
        if len(text) > MAX_NOTE_CHARS:
            raise BadArgument(
                f"Le point d'étape est trop long ({len(text)} caractères,"
                f" {MAX_NOTE_CHARS} au plus) : résumez-le."
            )
        return text, used


class ObjectiveRef(Number):
    """An objective of the current school year, by its number."""

    @classmethod
    def consume(cls, words, raw, ctx):
        number, used = super().consume(words, raw, ctx)
        year = current_school_year(ctx.now)
        objective = find_objective(ctx.db, ctx.establishment.id, year, number)
        if objective is None:
            raise BadArgument(
                f"L'objectif n° {number} n'existe pas en {school_year_label(year)} :"
                f" « {ctx.prefix}objectifs » donne la liste."
            )
        return objective, used


# --- commands -------------------------------------------------------------------------


@command(
    "objectifs",
    aliases=("objectif",),
    help="Les objectifs de l'année scolaire, leurs indicateurs et leurs points d'étape.",
    examples=("objectifs", "objectifs 2025-2026"),
)
async def list_objectives(ctx: Context, year: SchoolYear | None = None) -> None:
    year = current_school_year(ctx.now) if year is None else year
    objectives = objectives_of_year(ctx.db, ctx.establishment.id, year)
    await ctx.reply(
        "objectifs/liste",
        year=school_year_label(year),
        objectives=objectives,
        readings=readings_of(ctx, objectives),
        can_manage=add.allows(ctx.role),
    )


@list_objectives.sub(
    "ajouter",
    role=MANAGERS,
    help="Ajoute un objectif de l'année, avec s'il y a lieu un indicateur que le bot compte.",
    usage="<texte> [indicateur: <chiffre><op><cible>[%]]",
    examples=(
        EXAMPLE_ADD,
        "objectifs ajouter Traiter les besoins indicateur: besoins_traites>=80%",
    ),
)
async def add(ctx: Context, new: ObjectiveText) -> None:
    year = current_school_year(ctx.now)
    if count_kept(ctx.db, ctx.establishment.id, year) >= MAX_OBJECTIVES:
        raise CommandError(
            f"L'année {school_year_label(year)} a déjà {MAX_OBJECTIVES} objectifs : des objectifs"
            " simples et en nombre limité se suivent mieux. Abandonnez-en un d'abord."
        )
    objective = add_objective(
        ctx.db, ctx.establishment.id, year, new.text, new.indicator, ctx.sender, ctx.now
    )
    await ctx.reply(
        "objectifs/ajoute",
        objective=objective,
        year=school_year_label(year),
        reading=readings_of(ctx, [objective]).get(objective.number),
    )


@list_objectives.sub(
    "point",
    role=MANAGERS,
    help="Note un point d'étape sur un objectif.",
    examples=("objectifs point 2 Trois collègues utilisent maintenant le cahier de textes",),
)
async def note(ctx: Context, objective: ObjectiveRef, text: NoteText) -> None:
    add_note(ctx.db, objective.id, text, ctx.sender, ctx.now)
    await ctx.reply("objectifs/point", objective=objective)


STATUS_WORDS = {ACTIVE: "en cours", REACHED: "atteint", ABANDONED: "abandonné"}
Why = Annotated[NoteText, "pourquoi"]


async def _change_status(ctx: Context, objective: Objective, status: str, why: str | None) -> None:
    if objective.status == status:
        raise CommandError(f"L'objectif n° {objective.number} est déjà {STATUS_WORDS[status]}.")
    set_status(ctx.db, objective.id, status, ctx.sender, ctx.now, why)
    reading = readings_of(ctx, [objective]).get(objective.number)
    await ctx.reply("objectifs/etat", objective=objective, status=status, note=why, reading=reading)


@list_objectives.sub(
    "atteint",
    role=MANAGERS,
    aliases=("atteindre",),
    help="Dit un objectif atteint (un mot sur ce qui a marché, si vous voulez).",
    examples=("objectifs atteint 1", "objectifs atteint 1 six sessions au lieu de quatre"),
)
async def reached(ctx: Context, objective: ObjectiveRef, why: Why | None = None) -> None:
    await _change_status(ctx, objective, REACHED, why)


@list_objectives.sub(
    "abandonné",
    role=MANAGERS,
    aliases=("abandonner", "abandon"),
    help="Abandonne un objectif (dites pourquoi : c'est utile au bilan).",
    examples=("objectifs abandonné 3 pas de créneau commun cette année",),
)
async def abandoned(ctx: Context, objective: ObjectiveRef, why: Why | None = None) -> None:
    await _change_status(ctx, objective, ABANDONED, why)


@list_objectives.sub(
    "reprendre",
    role=MANAGERS,
    help="Remet en cours un objectif dit atteint ou abandonné.",
    examples=("objectifs reprendre 3",),
)
async def resume(ctx: Context, objective: ObjectiveRef) -> None:
    await _change_status(ctx, objective, ACTIVE, None)


@list_objectives.sub(
    "indicateurs",
    aliases=("indicateur", "chiffres"),
    help="Les chiffres qu'un indicateur peut suivre, avec leur valeur depuis septembre.",
    examples=("objectifs indicateurs",),
)
async def indicators(ctx: Context) -> None:
    start, end, _ = school_year_range(current_school_year(ctx.now), ctx.now)
    counts = PeriodCounts(ctx.db, ctx.establishment, start, end)
    values = [(m, m.compute(counts)) for m in measures(ctx.registry).values()]
    await ctx.reply("objectifs/indicateurs", values=values, since=start)
