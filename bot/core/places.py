"""Where a command is used: an establishment's room, or the academy's.

An establishment's commands act for it (in its room, or in a private room for
it); the academy's act across every establishment and are for its own room,
where ``bot.admins`` work. A command declares its places; the dispatcher says
where to go when it is typed elsewhere.
"""

from __future__ import annotations

from enum import StrEnum


class Place(StrEnum):
    """The kind of room a command is typed in."""

    ESTABLISHMENT = "etablissement"
    ACADEMY = "academie"


EVERYWHERE = frozenset(Place)
