"""``!aide``: the help, generated from the registry so it always matches the code."""

from __future__ import annotations

from typing import Annotated

from bot.core.context import Context
from bot.core.converters import Text
from bot.core.declarations import command
from bot.core.errors import BadArgument
from bot.core.places import EVERYWHERE


@command(
    "aide",
    aliases=("help", "aides"),
    places=EVERYWHERE,
    help="Affiche les commandes que vous pouvez utiliser, ou le détail de l'une d'elles.",
    examples=("aide", "aide permanence"),
)
async def show_help(ctx: Context, topic: Annotated[Text, "commande"] | None = None) -> None:
    words = (topic or "").removeprefix(ctx.prefix).split()
    # What follows depends only on the role and the prefix (the registry never
    # changes while the bot runs): rendered once, not for each of 430 establishments.
    rendered = ctx.registry.rendered
    if not words:
        key = ("aide", ctx.prefix, ctx.role, ctx.place)
        if key not in rendered:
            # Sub-commands by their usage only: their help is in « !aide <commande> »,
            # and a long list is slower to send and to read in a busy room.
            entries = [
                (spec, [s for s in spec.sub_commands if s.allows(ctx.role)])
                for spec in ctx.registry.visible_to(ctx.role, ctx.place)
            ]
            # The help's own example of « !aide <commande> »: the first command listed.
            topic = next((spec.name for spec, _ in entries if spec is not show_help), "aide")
            rendered[key] = ctx.render("aide/liste", entries=entries, role=ctx.role, topic=topic)
        await ctx.send(ctx.render("aide/titre").followed_by(rendered[key]))
        return
    name = words[0]
    spec = ctx.registry.find(name)
    if spec is None or spec not in ctx.registry.visible_to(ctx.role, ctx.place):
        suggestion = ctx.registry.suggest(name, ctx.role, ctx.place)
        hint = f" Vouliez-vous dire « {suggestion.name} » ?" if suggestion else ""
        raise BadArgument(f"Je ne connais pas la commande « {name[:40]} ».{hint}")
    key = ("aide", ctx.prefix, ctx.role, spec.name)
    if key not in rendered:
        subs = [s for s in spec.sub_commands if s.allows(ctx.role)]
        rendered[key] = ctx.render("aide/commande", spec=spec, subs=subs, role=ctx.role)
    await ctx.send(rendered[key])
