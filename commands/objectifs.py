"""``!objectifs``: the few priorities of the school year and how far they are.

The referent negotiates them with the principal each September; either of them
writes them down, adds progress notes (« points d'étape ») and says when one is
reached or abandoned; everyone reads them. An objective may carry an indicator,
a figure the bot already counts compared with a target (``indicateur:
sessions>=6``, ``indicateur: besoins_traites>=80%``): its value is computed over
the objective's school year, from its first day (1 September) to now, and
shown beside it.

The figures an indicator may use are ``registry.indicators``: the digest
figures every family declares (``@digest_figure``) and the rates and counts
declared with ``@indicator`` (``bot.core.indicators``, where an indicator is
read against its target; ``!bilan`` reads them there too).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated

from bot.core.context import Context
from bot.core.converters import Converter, Number, SchoolYear, Text, shortened
from bot.core.declarations import command
from bot.core.errors import BadArgument, CommandError
from bot.core.indicators import Indicator, PeriodCounts, readings_of
from bot.toolkit.calendar import current_school_year, school_year_label, school_year_range
from bot.toolkit.text import fold
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


# --- indicators -----------------------------------------------------------------------

_OP_SPELLINGS = {"≥": ">=", "=>": ">=", "≤": "<=", "=<": "<=", "==": "="}
_INDICATOR_WORD = re.compile(r"\bindicateur\s*:", re.IGNORECASE)
_INDICATOR = re.compile(r"^([a-z][a-z_]*)\s*(>=|=>|≥|<=|=<|≤|==|>|<|=)\s*([0-9]{1,9})\s*(%?)$")


def parse_indicator(text: str, known: Mapping[str, Indicator]) -> IndicatorSpec:
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
    chosen = known.get(name)
    if chosen is None:
        raise BadArgument(
            f"Je ne connais pas le chiffre « {shortened(name)} ». Chiffres possibles : "
            + ", ".join(known)
            + ".",
            example=EXAMPLE_ADD,
        )
    value = int(target)
    if percent and not chosen.percent:
        raise BadArgument(f"« {name} » est un nombre, pas un pourcentage : {name}>=6, par exemple.")
    if chosen.percent and value > 100:
        raise BadArgument(f"« {name} » est un pourcentage : la cible va de 0 à 100.")
    if value > MAX_TARGET:
        raise BadArgument(f"La cible est trop grande ({MAX_TARGET} au plus).")
    return IndicatorSpec(name, _OP_SPELLINGS.get(op, op), value, chosen.percent)


# --- converters -----------------------------------------------------------------------


@dataclass(frozen=True)
class NewObjective:
    """What ``!objectifs ajouter`` asks for."""

    text: str
    indicator: IndicatorSpec | None


class ObjectiveText(Converter):
    """The objective's text, then optionally « indicateur: <chiffre><op><cible>[%] »."""

    label = "objectif"
    wanted = "l'objectif"
    greedy = True

    @classmethod
    def consume(cls, words, raw, ctx):
        rest = raw[words[0].start :]
        found = list(_INDICATOR_WORD.finditer(rest))
        indicator = None
        if found:
            last = found[-1]
            indicator = parse_indicator(rest[last.end() :], ctx.registry.indicators)
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
    wanted = "le point d'étape"

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

    wanted = "le numéro de l'objectif"

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
    help="Ajoute un objectif de l'année, avec s'il y a lieu un indicateur que je compte.",
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
    values = [(found, found(counts)) for found in ctx.registry.indicators.values()]
    await ctx.reply("objectifs/indicateurs", values=values, since=start)
