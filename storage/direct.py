"""Private messages with the bot: which establishment a person's commands act for.

Someone who is a member of one establishment's room needs nothing stored. A
member of several chooses once (``!etablissement``); the choice is theirs
(personal data, declared in ``storage/donnees.py``).
"""

from __future__ import annotations

from datetime import datetime

import sqlite_utils

from storage.stamps import to_stamp


def chosen_establishment(db: sqlite_utils.Database, user_id: str) -> str | None:
    """The establishment id someone chose for their private messages, if any."""
    row = db.execute(
        "SELECT establishment_id FROM direct_choices WHERE user_id = ?", (user_id,)
    ).fetchone()
    return row[0] if row else None


def choose_establishment(
    db: sqlite_utils.Database, user_id: str, establishment_id: str, now: datetime
) -> None:
    """Record (or replace) the establishment someone's private messages act for."""
    db.execute(
        "INSERT INTO direct_choices (user_id, establishment_id, chosen_at) VALUES (?, ?, ?)"
        " ON CONFLICT(user_id) DO UPDATE SET establishment_id = excluded.establishment_id,"
        " chosen_at = excluded.chosen_at",
        (user_id, establishment_id, to_stamp(now)),
    )
