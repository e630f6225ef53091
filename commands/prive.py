"""``!etablissement``: which establishment someone's private messages to the bot act for.

A member of one establishment's room needs nothing: their private messages act
for it. A member of several chooses once, by number or by name; the choice is
kept (``storage/direct.py``) until they choose again or ask to be forgotten.
"""

from __future__ import annotations

from typing import Annotated

from bot.core.context import Context
from bot.core.converters import Text
from bot.core.declarations import command
from bot.core.errors import BadArgument
from bot.toolkit.text import fold
from storage.direct import choose_establishment, chosen_establishment


@command(
    "etablissement",
    aliases=("etab",),
    help="Montre ou choisit l'établissement pour lequel agissent vos commandes en message "
    "privé avec moi (si vous êtes membre de plusieurs salons).",
    examples=("etablissement", "etablissement 2"),
    usage="[numéro ou nom]",
    remember_sender=False,
)
async def choose(ctx: Context, choice: Annotated[Text, "numéro ou nom"] | None = None) -> None:
    if not ctx.in_private:
        await ctx.reply("prive/salon")
        return
    choices = ctx.choices or (ctx.establishment,)
    if choice is None:
        chosen = chosen_establishment(ctx.db, ctx.sender)
        current = next((e for e in choices if e.id == chosen), None)
        if current is None and len(choices) == 1:
            current = choices[0]
        await ctx.reply("prive/etablissements", choices=choices, current=current)
        return
    target = _match(choices, choice)
    if target is None:
        listed = ", ".join(f"{n}. {e.name}" for n, e in enumerate(choices, 1))
        raise BadArgument(
            f"Je ne trouve pas « {choice[:40]} » parmi vos établissements : {listed}.",
            example="etablissement 1",
        )
    choose_establishment(ctx.db, ctx.sender, target.id, ctx.now)
    await ctx.reply("prive/choisi", chosen=target)


def _match(choices, choice: str):
    """The establishment named by its number in the list, its id, or words of its name."""
    wanted = fold(choice.strip())
    if wanted.isdigit():
        number = int(wanted)
        return choices[number - 1] if 1 <= number <= len(choices) else None
    exact = [e for e in choices if wanted in (fold(e.id), fold(e.name))]
    if exact:
        return exact[0]
    partial = [e for e in choices if wanted in fold(e.name) or wanted in fold(e.id)]
    return partial[0] if len(partial) == 1 else None
