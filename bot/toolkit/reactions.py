"""Reactions (``m.reaction`` annotations) and their removal (``m.room.redaction``), read.

A reaction's key is the emoji as the client sent it: skin tones and the emoji
presentation selector are dropped, so 👍🏽 and 👍️ read as 👍.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

REACTION_TYPE = "m.reaction"
REDACTION_TYPE = "m.room.redaction"
SUPPORT = "👍"
ANSWERED = "✅"
# Other check marks people pick for « done ».
ANSWERED_ALIASES = frozenset({ANSWERED, "✔", "☑"})

_DECORATIONS = re.compile("[\ufe0e\ufe0f\U0001f3fb-\U0001f3ff]")


@dataclass(frozen=True)
class Reaction:
    """A reaction: the event it annotates and its (plain) emoji."""

    target_event_id: str
    key: str


def plain_key(key: str) -> str:
    """The emoji without skin tone or presentation selector."""
    return _DECORATIONS.sub("", key).strip()


def reaction_of(event: dict) -> Reaction | None:
    """The reaction an ``m.reaction`` event carries, or None if it is not one."""
    if event.get("type") != REACTION_TYPE:
        return None
    relation = (event.get("content") or {}).get("m.relates_to") or {}
    target, key = relation.get("event_id"), relation.get("key")
    if relation.get("rel_type") != "m.annotation" or not isinstance(target, str):
        return None
    if not isinstance(key, str):
        return None
    return Reaction(target, plain_key(key))


def redacted_event_id(event: dict) -> str | None:
    """The event an ``m.room.redaction`` removes (top level, or in its content since v11)."""
    if event.get("type") != REDACTION_TYPE:
        return None
    redacts = event.get("redacts") or (event.get("content") or {}).get("redacts")
    return redacts if isinstance(redacts, str) else None
