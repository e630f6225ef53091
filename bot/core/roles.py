"""Who may run a command: the roles, from the configuration and those given by command."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from storage.roles import RoleGrant, current_grants, granted_role

if TYPE_CHECKING:
    import sqlite_utils

    from bot.core.config import Config, Establishment


class Role(StrEnum):
    """Who may run a command; from the config, or given by command in an establishment."""

    TEACHER = "teacher"
    REFERENT = "referent"
    PRINCIPAL = "principal"
    ADMIN = "admin"


# With their preposition, to read "réservée aux référents numériques et à la direction".
ROLE_NAMES_FR = {
    Role.TEACHER: "à tous les membres du salon",
    Role.REFERENT: "aux référents numériques",
    Role.PRINCIPAL: "à la direction",
    Role.ADMIN: "à l'équipe académique",
}
# Without the preposition, to read "seuls cette personne et les référents numériques peuvent…".
ROLE_GROUPS_FR = {
    Role.TEACHER: "tous les membres du salon",
    Role.REFERENT: "les référents numériques",
    Role.PRINCIPAL: "la direction",
    Role.ADMIN: "l'équipe académique",
}


def roles_named(names: str | Role | Iterable[str | Role]) -> frozenset[Role]:
    """The roles a declaration names (``"referent"``, ``("referent", "principal")``).

    "teacher" means anyone in the room: referents and principals are teachers too.
    """
    roles = {Role(names)} if isinstance(names, str) else {Role(n) for n in names}
    return frozenset(Role) if Role.TEACHER in roles else frozenset(roles)


def role_of(
    establishment: Establishment, config: Config, user_id: str, db: sqlite_utils.Database
) -> Role:
    """The role a user has in an establishment: admin, referent, principal, else teacher.

    The configuration is read first; then the role given by command
    (``!etablissement referent ajouter``), which counts from the next command.
    """
    if user_id in config.bot.admins:
        return Role.ADMIN
    configured = configured_role(establishment, user_id)
    if configured is not None:
        return configured
    granted = granted_role(db, establishment.id, user_id)
    return Role(granted) if granted else Role.TEACHER


def configured_role(establishment: Establishment, user_id: str) -> Role | None:
    """The role the configuration gives ``user_id`` in the establishment, if any."""
    if user_id in establishment.referents:
        return Role.REFERENT
    if user_id in establishment.principals:
        return Role.PRINCIPAL
    return None


@dataclass(frozen=True)
class RoleHolder:
    """A referent or a member of the direction, and where the role comes from."""

    user_id: str
    role: Role
    grant: RoleGrant | None = None  # None: the configuration names them


def role_holders(establishment: Establishment, db: sqlite_utils.Database) -> list[RoleHolder]:
    """The establishment's referents and direction: those the configuration names, in
    its order, then those given their role by command, oldest first."""
    holders = [RoleHolder(u, Role.REFERENT) for u in establishment.referents]
    holders += [
        RoleHolder(u, Role.PRINCIPAL)
        for u in establishment.principals
        if u not in establishment.referents
    ]
    configured = {h.user_id for h in holders}
    holders += [
        RoleHolder(g.user_id, Role(g.role), g)
        for g in current_grants(db, establishment.id)
        if g.user_id not in configured
    ]
    return holders


def principals_of(establishment: Establishment, db: sqlite_utils.Database) -> list[str]:
    """The direction of the establishment (for its monthly digest): those the
    configuration names, then those added by command."""
    added = [
        g.user_id
        for g in current_grants(db, establishment.id)
        if g.role == Role.PRINCIPAL and g.user_id not in establishment.principals
    ]
    return [*establishment.principals, *added]
