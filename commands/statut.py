"""``!statut``: what the bot knows of this establishment, so a referent can check the config.

Each referent and member of the direction is shown with where the role comes
from: the configuration, or a command (who added them, and when).

It also says which of the establishment's messages the homeserver refused for
good (the bot muted or removed from the room…), kept 30 days: how many, and
why the last one was refused.
"""

from __future__ import annotations

from bot.core.context import Context
from bot.core.declarations import command
from bot.core.roles import role_holders
from bot.toolkit.calendar import LOCAL_LAW_DEPARTEMENTS
from storage.donnees import is_anonymous
from storage.establishments import members, room_members
from storage.outbox import failures


@command(
    "statut",
    role=("referent", "principal"),
    aliases=("etat-du-bot",),
    help="Montre la configuration de l'établissement telle que je la comprends,"
    " et les messages non remis.",
    examples=("statut",),
)
async def show_status(ctx: Context) -> None:
    known = members(ctx.db, ctx.establishment.id)
    refused = failures(ctx.db, ctx.establishment.id)
    await ctx.reply(
        "statut/etat",
        members_count=len(known),
        room_members_count=len(room_members(ctx.db, ctx.establishment.id)),
        failed=refused[0] if refused else None,
        local_holidays=ctx.establishment.departement in LOCAL_LAW_DEPARTEMENTS,
        holders=role_holders(ctx.establishment, ctx.db),
        is_anonymous=is_anonymous,
    )
