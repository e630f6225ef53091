"""``!projet``: the register of class projects made with digital tools, to show them.

A 4e B's podcast in history, a CM2's herbarium on tablets: teachers record them
in one line (``!projet 4e B histoire Podcast sur la Révolution #podcast``), as
anyone may, since they are the ones running them. Each project appears once in
the weekly letter, in the « Projets à valoriser » section of ``!bilan``, in the
digest's figures (an objective may follow them) and in the academy's overview.
The author may remove their project, and so may the referents.
"""

from __future__ import annotations

from bot.core.context import Context
from bot.core.converters import NumberedItem, TaggedText
from bot.core.declarations import command
from bot.core.digest import SectionData, Window, digest_figure, newsletter_section
from bot.core.errors import BadArgument
from bot.core.school import Discipline, SchoolClass
from bot.core.search_words import SearchWords, as_searched
from storage import projet as store

EXAMPLE_ADD = (
    "projet 4e B histoire Podcast sur la Révolution française enregistré en classe #podcast #oral"
)
EXAMPLE_SEARCH = "projet cherche podcast"
# Who may remove anyone's project besides its author.
KEEPERS = ("referent",)


class ProjectClass(SchoolClass):
    """The class that ran the project."""

    example = EXAMPLE_ADD


class ProjectDiscipline(Discipline):
    """The discipline the project belongs to."""

    example = EXAMPLE_ADD


class ProjectText(TaggedText):
    """What the class did with which tools, then ``#tags``."""

    label = "texte #tag"
    wanted = "ce que la classe a fait"
    noun = "texte du projet"
    max_length = 600


class ProjectRef(NumberedItem):
    """A project of this establishment, by its number."""

    find = staticmethod(store.project_by_number)
    wanted = "le numéro du projet"
    missing = "Le projet n° {number} n'existe pas. Tapez {prefix}projet pour voir les numéros."


@command(
    "projet",
    aliases=("projets",),
    help=(
        "Les 10 derniers projets de classe avec le numérique ; avec une classe, une discipline"
        " et quelques mots, recense un projet : il part dans la prochaine lettre d'information"
        " et figure au bilan de l'année."
    ),
    usage="[classe] [discipline] [texte] [#tag ...]",
    examples=(EXAMPLE_ADD, "projet CM2 sciences Herbier photographié sur tablettes #tablettes",
              "projet"),
)  # fmt: skip
async def record(
    ctx: Context,
    school_class: ProjectClass | None = None,
    discipline: ProjectDiscipline | None = None,
    description: ProjectText | None = None,
) -> None:
    if school_class is None:
        projects, total = store.recent_projects(ctx.db, ctx.establishment.id)
        await ctx.reply("projet/liste", projects=projects, total=total)
        return
    if discipline is None:
        raise BadArgument(f"Précisez {ProjectDiscipline.wanted}.", example=EXAMPLE_ADD)
    if description is None:
        raise BadArgument(
            "Dites en quelques mots ce que la classe a fait, et avec quels outils.",
            example=EXAMPLE_ADD,
        )
    if sum(c.isalnum() for c in description.text) < 3:
        raise BadArgument(
            "Dites en quelques mots ce que la classe a fait, et avec quels outils.",
            example=EXAMPLE_ADD,
        )
    project = store.add_project(
        ctx.db,
        establishment_id=ctx.establishment.id,
        class_name=school_class,
        discipline=discipline,
        text=description.text,
        tags=description.tags,
        author=ctx.sender,
        now=ctx.now,
    )
    await ctx.reply("projet/ajoute", project=project)


@record.sub(
    "cherche",
    aliases=("chercher", "recherche", "rechercher"),
    help="Cherche dans les classes, disciplines, textes et mots-clés des projets (accents"
    " facultatifs).",
    examples=(EXAMPLE_SEARCH, "projet cherche 4e B"),
)
async def search(ctx: Context, words: SearchWords) -> None:
    projects = store.search_projects(ctx.db, ctx.establishment.id, words)
    await ctx.reply("projet/recherche", projects=projects, words=as_searched(words))


@record.sub(
    "retirer",
    aliases=("supprimer", "enlever"),
    help="Retire un projet du registre (la personne qui l'a recensé ou un référent) ; il"
    " n'est plus compté.",
    examples=("projet retirer 3",),
)
async def remove(ctx: Context, project: ProjectRef) -> None:
    ctx.require_owner_or(
        *KEEPERS,
        owner=project.author,
        owner_label=f"la personne qui a recensé le projet n° {project.number}",
        action="le retirer",
    )
    store.remove_project(ctx.db, project.id)
    await ctx.reply("projet/retire", project=project)


@newsletter_section("projet", order=20)
def new_projects(db, establishment, window: Window) -> SectionData | None:
    """Projects recorded since the last letter (each shown once)."""
    fresh = store.unannounced_until(db, establishment.id, window.now)
    if not fresh:
        return None
    return SectionData(
        "projet/lettre", {"projects": fresh}, items={"projet": [p.id for p in fresh]}
    )


@digest_figure("projets", label="Projets de classe avec le numérique recensés", order=70)
def projects_recorded(db, establishment, periods) -> list[int]:
    return store.recorded_per_period(db, establishment.id, periods)
