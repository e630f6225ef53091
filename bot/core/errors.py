"""What a command says when it does not do what was asked.

Three kinds, three answers: a ``BadArgument`` is a typing mistake (the
dispatcher adds the usage line and an example); a ``CommandError`` is a plain
refusal or impossibility said in one sentence; ``NotAllowed`` says who may do it.
"""

from __future__ import annotations


class BadArgument(Exception):
    """An argument the user typed cannot be used; ``message`` is French and shown as is."""

    def __init__(self, message: str, example: str | None = None):
        super().__init__(message)
        self.message = message
        self.example = example
