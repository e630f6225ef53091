"""What a command says when it does not do what was asked.

Three kinds, three answers:

- ``BadArgument``: what the user typed cannot be used (« abc » is not a number, no
  such need); the dispatcher adds the usage line and an example, so they can
  type it again.
- ``CommandError``: what was asked is refused or impossible as things stand (the
  need is closed, the objective already reached); one sentence, no usage line,
  since typing it differently would not help.
- ``NotAllowed``: the sender may not do it; the answer says who may (the
  dispatcher's role refusal is one).

Raised before anything is written, or inside the transaction that it then
rolls back: a refused command changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.core.roles import Role


class CommandError(Exception):
    """A refusal or an impossibility; ``message`` is one French sentence, shown as is."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class BadArgument(CommandError):
    """An argument the user typed cannot be used; ``message`` is French and shown as is.

    ``example``: a command line to show instead of the command's first example,
    written without the prefix like the declared ones (``"permanence mes"``).
    """

    def __init__(self, message: str, example: str | None = None):
        super().__init__(message)
        self.example = example


class NotAllowed(CommandError):
    """The sender may not do this: the answer says who may.

    ``roles``: the roles that may (admins may do anything and go unsaid). Without
    ``owner_label``, the answer is the role refusal (« La commande `!veille` est
    réservée aux référents numériques », then ``scope`` when given). With it, one
    person may too, named by that phrase: « Seuls {owner_label} et les référents
    numériques peuvent {action}. », after ``reason`` when given.
    """

    def __init__(
        self,
        roles: Iterable[Role],
        *,
        owner_label: str | None = None,
        action: str | None = None,
        reason: str | None = None,
        scope: str | None = None,
    ):
        if (owner_label is None) != (action is None):
            raise TypeError("NotAllowed: owner_label and action go together")
        self.roles = frozenset(roles)
        self.owner_label, self.action = owner_label, action
        self.reason, self.scope = reason, scope
        super().__init__(reason or f"reserved to {sorted(self.roles)}")
