"""``!statut``: what the bot knows of this establishment, so a referent can check the config."""

from __future__ import annotations

from bot.core.context import Context
from bot.core.declarations import command
from storage.establishments import members


@command(
    "statut",
    role=("referent", "principal"),
    aliases=("etat-du-bot",),
    help="Montre la configuration de l'établissement telle que le bot la comprend.",
    examples=("statut",),
)
async def show_status(ctx: Context) -> None:
    known = members(ctx.db, ctx.establishment.id)
    await ctx.reply("statut/etat", members_count=len(known))
