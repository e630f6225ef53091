"""``!academie``: the academy's team sees every establishment at once, in its own room.

The academy's room is configured (``[academy] room``); its members are the
``bot.admins``. There, ``!academie`` answers with figures added up over every
establishment, never a teacher's name, and ``!academie besoin`` answers a need an
establishment forwarded (``!formation dane``): the answer goes to that
establishment's room, once, even if the command is handled again after a crash.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated

from bot.core.context import Context
from bot.core.converters import Converter, Text, shortened
from bot.core.declarations import command
from bot.core.digest import month_start
from bot.core.errors import BadArgument, CommandError
from bot.core.places import Place
from bot.toolkit.calendar import school_year_start
from bot.toolkit.names import named
from bot.toolkit.text import capitalise
from storage.academie import academy_overview
from storage.formation import DANE, answer_from_dane, find_need


class ForwardedNeed(Converter):
    """A need an establishment forwarded, by the reference its message gave: ``clg-clair-3``."""

    label = "référence"
    wanted = "la référence du besoin (par exemple clg-clair-3)"

    @classmethod
    def consume(cls, words, raw, ctx):
        reference = words[0].text
        first = ctx.config.establishments[0].id
        example = f"academie besoin {first}-3 Un stage est prévu au bassin en janvier."
        establishment_id, _, number = reference.rpartition("-")
        establishment = ctx.config.establishment(establishment_id)
        if establishment is None or not number.isdigit() or len(number) > 6:
            raise BadArgument(
                f"« {shortened(reference)} » n'est pas une référence de besoin :"
                " l'identifiant de l'établissement, un tiret, le numéro du besoin.",
                example=example,
            )
        need = find_need(ctx.db, establishment.id, int(number))
        if need is None or need.status != DANE:
            who = capitalise(named(establishment.name, article=establishment.article))
            raise BadArgument(f"{who} ne m'a pas transmis de besoin n° {number}.", example=example)
        return (establishment, need), 1


@command(
    "academie",
    aliases=("academy",),
    role="admin",
    places=(Place.ACADEMY,),
    help="Les chiffres de l'académie : établissements actifs, besoins, sessions, pannes,"
    " enquête en cours.",
    examples=("academie",),
)
async def overview(ctx: Context) -> None:
    today = ctx.now.date()
    figures = academy_overview(
        ctx.db,
        [e.id for e in ctx.config.establishments],
        month_start=_midnight(ctx, month_start(today)),
        year_start=_midnight(ctx, school_year_start(today)),
        now=ctx.now,
    )
    await ctx.reply("academie/vue", figures=figures)


@overview.sub(
    "besoin",
    help="Répond à un besoin qu'un établissement a transmis : la réponse part dans son salon.",
    examples=("academie besoin clg-clair-3 Un stage « Pronote avancé » aura lieu au bassin.",),
)
async def answer_need(
    ctx: Context, need: ForwardedNeed, answer: Annotated[Text, "réponse"]
) -> None:
    establishment, forwarded = need
    if len(answer) > 2000:
        raise CommandError("La réponse est trop longue : 2 000 caractères au plus.")
    with ctx.db.atomic():
        first = answer_from_dane(ctx.db, forwarded, answer, ctx.sender, ctx.now)
        ctx.post_elsewhere(
            establishment.id,
            ctx.render("academie/reponse_salon", need=forwarded, answer=answer, again=not first),
        )
    await ctx.reply("academie/reponse", need=forwarded, school=establishment, again=not first)


def _midnight(ctx: Context, day) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ctx.now.tzinfo)
