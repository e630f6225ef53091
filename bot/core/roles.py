"""Who may run a command: the roles, read from the establishment's configuration."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.core.config import Config, Establishment


class Role(StrEnum):
    """Who may run a command; derived from the establishment's config."""

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


def role_of(establishment: Establishment, config: Config, user_id: str) -> Role:
    """The role a user has in an establishment: admin, referent, principal, else teacher."""
    if user_id in config.bot.admins:
        return Role.ADMIN
    if user_id in establishment.referents:
        return Role.REFERENT
    if user_id in establishment.principals:
        return Role.PRINCIPAL
    return Role.TEACHER
