"""``!etablissement``: which establishment someone's private messages to the bot act
for, and who holds a role in it.

A member of one establishment's room needs nothing: their private messages act
for it. A member of several chooses once, by number or by name; the choice is
kept (``storage/direct.py``) until they choose again or ask to be forgotten.

The direction (for its establishment) and the academy's team (for any) add or
withdraw referents and members of the direction by command, from the
establishment's room or in private once it is chosen: the role counts from the
person's next command, without a restart, and the history keeps who did what
when (``storage/roles.py``). Those the configuration names stay: only the
bot's administrator removes them, from the configuration.
"""

from __future__ import annotations

import re
from typing import Annotated, ClassVar

from bot.core.context import Context
from bot.core.converters import Converter, Text, shortened
from bot.core.declarations import command
from bot.core.errors import BadArgument, CommandError
from bot.core.render import establishment_named
from bot.core.roles import Role, configured_role, role_holders
from bot.toolkit.dates import format_day_fr
from bot.toolkit.text import fold
from storage.direct import choose_establishment, chosen_establishment
from storage.donnees import is_anonymous
from storage.establishments import room_members
from storage.roles import current_grant, grant_role, revoke_role, role_history


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


# -- roles given by command ------------------------------------------------------------

# As Matrix user IDs are written: « @localpart:server », the server with its port if any.
_USER_ID = re.compile(r"^@[a-z0-9._=/+\-]+:[a-z0-9.\-]+(:\d{1,5})?$")
_MAX_USER_ID = 255
# « des référents numériques », « de la direction »: what someone is made part of.
MEMBER_OF = {Role.REFERENT: "des référents numériques", Role.PRINCIPAL: "de la direction"}
CHANGERS = ("principal",)  # the academy's team may too, as everywhere


class Action(Converter):
    """« ajouter » or « retirer » (and their usual variants)."""

    label = "ajouter ou retirer"
    wanted = "ce qu'il faut faire : ajouter ou retirer"
    words: ClassVar[dict[str, str]] = {
        "ajouter": "ajouter",
        "ajoute": "ajouter",
        "ajout": "ajouter",
        "nommer": "ajouter",
        "retirer": "retirer",
        "retire": "retirer",
        "retrait": "retirer",
        "enlever": "retirer",
        "supprimer": "retirer",
    }

    @classmethod
    def consume(cls, words, raw, ctx):
        action = cls.words.get(fold(words[0].text))
        if action is None:
            raise BadArgument(
                f"« {shortened(words[0].text)} » : dites « ajouter » ou « retirer ».",
                example=_example(ctx),
            )
        return action, 1


class UserId(Converter):
    """Someone's Matrix address, « @prenom.nom:serveur » (a matrix.to link to it too)."""

    label = "@adresse:serveur"
    wanted = "l'adresse Matrix de la personne (@prenom.nom:serveur)"

    @classmethod
    def consume(cls, words, raw, ctx):
        typed = words[0].text
        user_id = typed.strip("<>,;").removeprefix("https://matrix.to/#/").lower()
        if len(user_id) > _MAX_USER_ID or not _USER_ID.match(user_id):
            raise BadArgument(
                f"« {shortened(typed)} » n'est pas une adresse Matrix : écrivez-la en entier,"
                " avec son @ et son serveur, comme elle apparaît dans le profil de la personne.",
                example=_example(ctx),
            )
        return user_id, 1


def _example(ctx: Context) -> str:
    """A command line like the one being typed, with an address on the bot's own server."""
    server = ctx.config.matrix.user_id.partition(":")[2]
    name = ctx.command.full_name if ctx.command else "etablissement referent"
    return f"{name} ajouter @prenom.nom:{server}"


@choose.sub(
    "referent",
    role=CHANGERS,
    aliases=("referents", "referente", "referentes"),
    help="Ajoute ou retire un référent numérique de l'établissement, dès maintenant"
    " (direction et équipe académique).",
    examples=(
        "etablissement referent ajouter @camille.martin:agent.education.tchap.gouv.fr",
        "etablissement referent retirer @camille.martin:agent.education.tchap.gouv.fr",
    ),
)
async def change_referent(ctx: Context, action: Action, person: UserId) -> None:
    await _change_role(ctx, Role.REFERENT, action, person)


@choose.sub(
    "direction",
    role=CHANGERS,
    aliases=("principal", "principaux"),
    help="Ajoute ou retire un membre de la direction de l'établissement, dès maintenant"
    " (direction et équipe académique).",
    examples=("etablissement direction ajouter @dominique.bernard:agent.education.tchap.gouv.fr",),
)
async def change_principal(ctx: Context, action: Action, person: UserId) -> None:
    await _change_role(ctx, Role.PRINCIPAL, action, person)


@choose.sub(
    "roles",
    role="teacher",
    aliases=("role", "qui"),
    help="Qui est référent numérique ou membre de la direction de l'établissement,"
    " et d'où vient ce rôle (configuration ou ajout par commande).",
    examples=("etablissement roles",),
)
async def show_roles(ctx: Context) -> None:
    if not await _establishment_chosen(ctx):
        return
    await ctx.reply(
        "prive/roles",
        holders=role_holders(ctx.establishment, ctx.db),
        can_change=ctx.may(*CHANGERS),
        is_anonymous=is_anonymous,
    )


@choose.sub(
    "historique",
    role=CHANGERS,
    help="Les rôles ajoutés et retirés par commande dans l'établissement : qui, quand, quoi"
    " (direction et équipe académique).",
    examples=("etablissement historique",),
)
async def show_history(ctx: Context) -> None:
    if not await _establishment_chosen(ctx):
        return
    changes, total = role_history(ctx.db, ctx.establishment.id)
    await ctx.reply("prive/historique", changes=changes, total=total, is_anonymous=is_anonymous)


async def _establishment_chosen(ctx: Context) -> bool:
    """In private, a member of several establishments' rooms must have chosen one first."""
    if not ctx.in_private or len(ctx.choices) <= 1:
        return True
    chosen = chosen_establishment(ctx.db, ctx.sender)
    if any(e.id == chosen for e in ctx.choices):
        return True
    await ctx.reply("prive/choisir", choices=ctx.choices)
    return False


async def _change_role(ctx: Context, role: Role, action: str, person: str) -> None:
    if not await _establishment_chosen(ctx):
        return
    if action == "ajouter":
        _check_grantable(ctx, role, person)
        grant_role(ctx.db, ctx.establishment.id, person, role.value, ctx.sender, ctx.now)
        known = room_members(ctx.db, ctx.establishment.id)
        await ctx.announce(
            "prive/role_ajoute",
            mentions=[person],
            person=person,
            member_of=MEMBER_OF[role],
            role=role.value,
            outside_room=bool(known) and person not in known,
        )
        return
    configured = configured_role(ctx.establishment, person)
    if configured is role:
        raise CommandError(
            f"Le rôle de {person} vient de la configuration : seul l'administrateur du bot"
            " peut le retirer."
        )
    grant = current_grant(ctx.db, ctx.establishment.id, person)
    if grant is None or grant.role != role.value:
        raise CommandError(
            f"{person} ne fait pas partie {MEMBER_OF[role]} {_here(ctx)} : rien à retirer."
        )
    remaining = configured.value if configured else Role.TEACHER.value
    revoke_role(ctx.db, ctx.establishment.id, person, ctx.sender, ctx.now, remaining)
    await ctx.announce(
        "prive/role_retire", mentions=[person], person=person, member_of=MEMBER_OF[role]
    )


def _check_grantable(ctx: Context, role: Role, person: str) -> None:
    """Refuse (``CommandError``) a role the person has already, or cannot be given."""
    if person == ctx.config.matrix.user_id.lower():
        raise CommandError("C'est moi : je n'ai pas besoin de rôle.")
    if person in ctx.config.bot.admins:
        raise CommandError(
            f"{person} fait partie de l'équipe académique : tout lui est déjà permis,"
            " dans chaque établissement."
        )
    configured = configured_role(ctx.establishment, person)
    if configured is not None:
        raise CommandError(
            f"{person} fait déjà partie {MEMBER_OF[configured]} {_here(ctx)} : la configuration"
            " du bot le dit." + ("" if configured is role else " Une personne n'a qu'un rôle ici.")
        )
    grant = current_grant(ctx.db, ctx.establishment.id, person)
    if grant is None:
        return
    held = Role(grant.role)
    since = format_day_fr(grant.granted_at.astimezone(ctx.establishment.tz))
    if held is role:
        raise CommandError(
            f"{person} fait déjà partie {MEMBER_OF[role]} {_here(ctx)} depuis le {since}."
        )
    other = "direction" if held is Role.PRINCIPAL else "referent"
    raise CommandError(
        f"{person} fait déjà partie {MEMBER_OF[held]} {_here(ctx)} depuis le {since} : une"
        f" personne n'a qu'un rôle ici. Retirez-lui d'abord ce rôle avec"
        f" « {ctx.prefix}etablissement {other} retirer {person} »."
    )


def _here(ctx: Context) -> str:
    """« du collège Jean Moulin »."""
    return establishment_named(ctx.establishment, "de")
