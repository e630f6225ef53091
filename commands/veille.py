"""``!veille``: the shared watch. Links referents share, their titles fetched safely.

Tchap shows no link previews, so the bot reads each page's title (``bot.links``:
public addresses only, bounded time and size) and keeps a numbered, searchable,
de-duplicated list per establishment. Items wait for the next newsletter.
"""

from __future__ import annotations

from bot.core.context import Context
from bot.core.converters import NumberedItem, Tagged, TaggedText, Url
from bot.core.declarations import command
from bot.core.digest import SectionData, Window, digest_figure, newsletter_section
from bot.core.errors import BadArgument
from bot.core.search_words import SearchWords, as_searched
from bot.toolkit.links import FetchPolicy, fetch_title
from storage import veille as store
from storage.donnees import is_anonymous

MAX_COMMENT_CHARS = 500
EXAMPLE_SHARE = "veille https://eduscol.education.fr/ressource Pour la classe #ia"
# Who may share when the establishment keeps sharing for its referents.
SHARERS = ("referent",)


class LinkRef(NumberedItem):
    """A shared link of this establishment, by its number."""

    find = staticmethod(store.item_by_number)
    wanted = "le numéro du lien"
    missing = "Le lien n° {number} n'existe pas. Tapez {prefix}veille pour voir les numéros."


class Comment(TaggedText):
    """What follows a shared link: an optional comment and ``#tags``."""

    label = "commentaire #tag"
    wanted = "le commentaire"
    noun = "commentaire"
    text_required = False


@command(
    "veille",
    help=(
        "Les 10 derniers liens de la veille partagée ; avec une adresse, partage un lien "
        "(son titre est lu sur la page, il part dans la prochaine lettre d'information)."
    ),
    usage="[url] [commentaire] [#tag ...]",
    examples=(EXAMPLE_SHARE, "veille"),
)
async def share(ctx: Context, url: Url | None = None, note: Comment | None = None) -> None:
    if url is None:
        items = store.recent_items(ctx.db, ctx.establishment.id)
        await ctx.reply("veille/liste", items=items, is_anonymous=is_anonymous)
        return
    if not ctx.establishment.allow_teachers_veille:
        ctx.require_role(*SHARERS, scope="dans cet établissement")
    note = note or Tagged(None)
    if note.text and len(note.text) > MAX_COMMENT_CHARS:
        raise BadArgument(
            f"Le commentaire est trop long ({len(note.text)} caractères, "
            f"{MAX_COMMENT_CHARS} au plus).",
            example=EXAMPLE_SHARE,
        )
    first = store.find_by_url(ctx.db, ctx.establishment.id, url)
    if first is not None:  # refused before fetching: no need to reach the site again
        await ctx.reply("veille/doublon", item=first, is_anonymous=is_anonymous)
        return
    # Awaited outside any transaction: only this person's next command waits for it.
    fetched = await fetch_title(url, fetch_policy(ctx))
    try:
        item = store.add_item(
            ctx.db,
            establishment_id=ctx.establishment.id,
            normalized_url=url,
            title=fetched.title,
            comment=note.text,
            tags=note.tags,
            author=ctx.sender,
            now=ctx.now,
        )
    except store.DuplicateLink as duplicate:  # someone shared it while the page loaded
        await ctx.reply("veille/doublon", item=duplicate.existing, is_anonymous=is_anonymous)
        return
    await ctx.announce("veille/ajoute", item=item, error=fetched.error, is_anonymous=is_anonymous)


@share.sub(
    "cherche",
    aliases=("chercher", "recherche", "rechercher"),
    help="Cherche dans les titres, commentaires et mots-clés (accents facultatifs).",
    examples=("veille cherche numerique", "veille cherche ia"),
)
async def search(ctx: Context, words: SearchWords) -> None:
    items = store.search_items(ctx.db, ctx.establishment.id, words)
    shown = as_searched(words)
    await ctx.reply("veille/recherche", items=items, words=shown, is_anonymous=is_anonymous)


@share.sub(
    "retirer",
    aliases=("supprimer", "enlever"),
    help="Retire un lien de la veille (la personne qui l'a partagé ou un référent).",
    examples=("veille retirer 3",),
)
async def remove(ctx: Context, item: LinkRef) -> None:
    number = item.number
    ctx.require_owner_or(
        *SHARERS,
        owner=item.author,
        owner_label=f"la personne qui a partagé le lien n° {number}",
        action="le retirer",
    )
    store.remove_item(ctx.db, item.id)
    await ctx.reply("veille/retire", item=item)


def fetch_policy(ctx: Context) -> FetchPolicy:
    """How pages are fetched: internal addresses refused unless the test setting says so."""
    return FetchPolicy(allow_private=ctx.config.bot.allow_private_links)


@newsletter_section("veille", order=10)
def new_links(db, establishment, window: Window) -> SectionData | None:
    """Links shared since the last letter (each announced once)."""
    fresh = store.unannounced_until(db, establishment.id, window.now)
    if not fresh:
        return None
    return SectionData("veille/lettre", {"items": fresh}, items={"veille": [i.id for i in fresh]})


@digest_figure("veille", label="Liens de veille partagés", order=30)
def links_shared(db, establishment, periods) -> list[int]:
    return store.shared_per_period(db, establishment.id, periods)
