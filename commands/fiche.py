"""``!fiche``: the referents' answer sheets, written once and read by everyone.

« Comment connecter le VPI ? » comes back every week: a referent writes the
answer once as a short sheet with a name (``!fiche ajouter vpi-connexion …``),
and colleagues read it by its name or find it by a few words, accents and case
ignored. A new or rewritten sheet appears once in the weekly letter; ``!panne``
points to the sheets about the broken equipment before its checklist; the
digest and ``!bilan`` count the sheets written and read.
"""

from __future__ import annotations

import re
from typing import Annotated

from bot.core.context import Context
from bot.core.converters import Slug, Text
from bot.core.declarations import command
from bot.core.digest import SectionData, Window, digest_figure, newsletter_section
from bot.core.errors import BadArgument, CommandError
from bot.core.search_words import SearchWords, as_searched, checked
from bot.toolkit.text import fold_words
from storage import fiche as store

EXAMPLE_ADD = (
    "fiche ajouter vpi-connexion Brancher le câble HDMI sur l'ordinateur,"
    " puis appuyer sur « Source » jusqu'à HDMI."
)
EXAMPLE_SEARCH = "fiche cherche video projecteur"
# A sheet is an answer to read in the room, not a manual.
MAX_SHEET_CHARS = 2_000
WRITERS = ("referent",)
_BLANK_LINES = re.compile(r"\n{3,}")


class SheetName(Slug):
    """The name of a new sheet: « vpi-connexion »."""

    wanted = "le nom de la fiche (par exemple : vpi-connexion)"
    example = EXAMPLE_ADD
    # The sub-commands' words (filled in below, once they are declared).
    reserved = frozenset()


class SheetRef(Slug):
    """A sheet of this establishment, by its name."""

    wanted = "le nom de la fiche"

    @classmethod
    def consume(cls, words, raw, ctx):
        name, used = super().consume(words, raw, ctx)
        sheet = store.sheet_named(ctx.db, ctx.establishment.id, name)
        if sheet is None:
            raise BadArgument(
                f"Il n'y a pas de fiche « {name} » : « {ctx.prefix}fiche » donne la liste.",
                example="fiche",
            )
        return sheet, used


class SheetText(Text):
    """A sheet's text: line breaks kept, blank lines at most one in a row, bounded."""

    label = "texte"
    wanted = "le texte de la fiche"

    @classmethod
    def consume(cls, words, raw, ctx):
        text, used = super().consume(words, raw, ctx)
        lines = [
            line.strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        ]
        text = _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
        if sum(c.isalnum() for c in text) < 3:
            raise BadArgument("Écrivez la réponse en quelques mots au moins.", example=EXAMPLE_ADD)
        if len(text) > MAX_SHEET_CHARS:
            raise BadArgument(
                f"Le texte est trop long ({len(text)} caractères, {MAX_SHEET_CHARS} au plus) :"
                " une fiche répond à une question ; pour un mode d'emploi complet, partagez"
                " plutôt son lien avec la veille.",
                example=EXAMPLE_ADD,
            )
        return text, used


@command(
    "fiche",
    aliases=("fiches",),
    help=(
        "Les fiches réponses des référents ; avec un nom, la fiche elle-même, avec des mots,"
        " les fiches qui en parlent (accents et majuscules facultatifs)."
    ),
    usage="[nom ou mots]",
    examples=("fiche", "fiche vpi-connexion"),
)
async def show(ctx: Context, asked: Annotated[Text, "nom ou mots"] | None = None) -> None:
    if asked is None:
        sheets, total = store.list_sheets(ctx.db, ctx.establishment.id)
        await ctx.reply("fiche/liste", sheets=sheets, total=total, can_write=ctx.may(*WRITERS))
        return
    # « vpi-connexion », « VPI connexion », « vpi-connéxion »: the same name.
    sheet = store.sheet_named(ctx.db, ctx.establishment.id, "-".join(fold_words(asked)))
    if sheet is not None:
        await _read(ctx, sheet)
        return
    await _search(ctx, asked)


@show.sub(
    "cherche",
    aliases=("chercher", "recherche", "rechercher"),
    help="Cherche dans les noms et les textes des fiches (accents facultatifs).",
    examples=(EXAMPLE_SEARCH,),
)
async def search(ctx: Context, words: SearchWords) -> None:
    await _search(ctx, words)


async def _search(ctx: Context, words: str) -> None:
    # « !fiche <mots> » comes here too: its own first example is not a search.
    checked(words, example=EXAMPLE_SEARCH)
    sheets = store.search_sheets(ctx.db, ctx.establishment.id, words)
    await ctx.reply("fiche/recherche", sheets=sheets, words=as_searched(words))


async def _read(ctx: Context, sheet: store.Sheet) -> None:
    store.note_read(ctx.db, sheet, ctx.now)
    await ctx.reply("fiche/fiche", sheet=sheet)


@show.sub(
    "ajouter",
    role=WRITERS,
    aliases=("ajoute", "nouvelle", "creer"),
    help="Écrit une nouvelle fiche (les retours à la ligne sont gardés) ; elle part dans la"
    " prochaine lettre d'information.",
    examples=(EXAMPLE_ADD,),
)
async def add(ctx: Context, name: SheetName, text: SheetText) -> None:
    try:
        sheet = store.add_sheet(
            ctx.db,
            establishment_id=ctx.establishment.id,
            name=name,
            body=text,
            author=ctx.sender,
            now=ctx.now,
        )
    except store.SheetExists as taken:
        raise CommandError(
            f"Il y a déjà une fiche « {taken.existing.name} ». Pour changer son texte :"
            f" « {ctx.prefix}fiche modifier {taken.existing.name} » suivi du nouveau texte."
        ) from None
    await ctx.reply("fiche/ajoutee", sheet=sheet)


@show.sub(
    "modifier",
    role=WRITERS,
    aliases=("modifie", "changer", "remplacer"),
    help="Remplace le texte d'une fiche ; la lettre d'information la montre de nouveau.",
    examples=("fiche modifier vpi-connexion Câble HDMI, touche « Source », puis Windows + P.",),
)
async def rewrite(ctx: Context, sheet: SheetRef, text: SheetText) -> None:
    if text == sheet.body:
        raise CommandError(f"La fiche « {sheet.name} » a déjà ce texte : rien n'a changé.")
    store.rewrite_sheet(ctx.db, sheet, text, ctx.sender, ctx.now)
    await ctx.reply("fiche/modifiee", sheet=sheet)


@show.sub(
    "retirer",
    role=WRITERS,
    aliases=("supprimer", "enlever"),
    help="Retire une fiche.",
    examples=("fiche retirer vpi-connexion",),
)
async def remove(ctx: Context, sheet: SheetRef) -> None:
    store.remove_sheet(ctx.db, sheet.id)
    await ctx.reply("fiche/retiree", sheet=sheet)


# A sheet cannot be named like a sub-command: « !fiche cherche » would never show it.
SheetName.reserved = frozenset(show.subs)


@newsletter_section("fiche", order=15)
def new_sheets(db, establishment, window: Window) -> SectionData | None:
    """Sheets written or rewritten since the last letter (each version announced once)."""
    news = store.unannounced_until(db, establishment.id, window.now)
    if not news:
        return None
    return SectionData("fiche/lettre", {"news": news}, items={"fiche": [n.change_id for n in news]})


@digest_figure("fiches", label="Fiches réponses écrites ou mises à jour", order=60)
def sheets_written(db, establishment, periods) -> list[int]:
    return store.changes_per_period(db, establishment.id, periods)


@digest_figure("fiches_lues", label="Fiches réponses consultées", order=61)
def sheets_read(db, establishment, periods) -> list[int]:
    return store.reads_per_period(db, establishment.id, periods)
