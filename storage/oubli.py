"""Forgetting someone (``!oublie-moi``) and the yearly purge, as ``storage/donnees.py`` declares.

Forgetting leaves nothing in the database that points back to the person, and
every count the same:

- each row kept for the counts gets an ``anonyme-…`` token of its own: not one
  per person (their rows would stay tied together), not a hash of the ID (it
  could be recomputed);
- the texts they wrote are replaced by ``REMOVED_TEXT`` or emptied; the search
  index follows through its triggers;
- their event ids go (any member of the room can tell who sent an event): the
  ids of their poll answers are cleared, the commands they sent are no longer
  listed as handled, and the messages those commands queued get fresh
  transaction ids;
- the bot's messages to others that name them still go out, without their name
  and without mentioning them; the direct messages meant for them are deleted.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from datetime import datetime

import sqlite_utils

from storage.donnees import (
    ANONYMOUS_PREFIX,
    PERSONAL_DATA,
    PERSONAL_STATE_PREFIXES,
    REMOVED_TEXT,
    PersonalColumn,
    person_filter,
)
from storage.stamps import to_stamp

# Evaluated for each row: every anonymised row gets its own token.
FRESH_TOKEN = f"'{ANONYMOUS_PREFIX}' || lower(hex(randomblob(8)))"
# How a message of the bot names someone forgotten.
ANONYMOUS_LABEL = "anonyme"
# Transaction ids of messages queued by a command start with its event id
# (``Context._next_txn``); those of forgotten commands become these.
COMMAND_TXN_PREFIX = "rupn-"
FORGOTTEN_TXN = f"'{COMMAND_TXN_PREFIX}{ANONYMOUS_PREFIX}' || lower(hex(randomblob(8)))"

Where = tuple[str, list] | None


def forget_user(db: sqlite_utils.Database, user_id: str) -> dict[str, int]:
    """Anonymise, redact or delete every personal row of one person, in one transaction.

    Returns how many rows of each ``table.column`` changed.
    """
    counts: dict[str, int] = {}
    with db.atomic():
        tables = set(db.table_names())
        names = _display_names(db, user_id)
        events = _event_ids(db, user_id, tables)
        for column in PERSONAL_DATA:
            if column.table not in tables:
                continue
            clause, params = person_filter(column, user_id)
            if column.erase == "redact":
                changed = _redact(db, column, clause, params, user_id, names)
            else:
                changed = _erase(db, column, clause, params, replace_texts=True)
            if changed:
                key = f"{column.table}.{column.column}"
                counts[key] = counts.get(key, 0) + changed
        _refresh_transaction_ids(db, events)
        for prefix in PERSONAL_STATE_PREFIXES:
            cursor = db.execute("DELETE FROM bot_state WHERE key = ?", (prefix + user_id,))
            if cursor.rowcount:
                counts["bot_state.key"] = cursor.rowcount
    return counts


def purge_before(db: sqlite_utils.Database, cutoff: datetime) -> dict[str, int]:
    """Anonymise or delete personal rows dated before ``cutoff`` (the yearly purge).

    Each purged row gets its own anonymous token: old rows of one person must
    not stay linkable to each other either. A need's or a breakdown's text
    stays (nobody asked to remove it); old messages naming someone are deleted.
    """
    counts: dict[str, int] = {}
    tables = set(db.table_names())
    with db.atomic():
        for column in PERSONAL_DATA:
            where = _older(column, cutoff)
            if where is None or column.table not in tables:
                continue
            changed = _erase(db, column, *where, replace_texts=False)
            if changed:
                key = f"{column.table}.{column.column}"
                counts[key] = counts.get(key, 0) + changed
    return counts


def _older(column: PersonalColumn, cutoff: datetime) -> Where:
    if column.dated_by is None:
        return None
    # An integer is smaller than any text in SQLite: each column is compared
    # with the cut-off in its own form.
    limit = int(cutoff.timestamp() * 1000) if column.dated_in_ms else to_stamp(cutoff)
    return (
        f"{column.dated_by} < ? AND {column.column} IS NOT NULL"
        f" AND {column.column} NOT LIKE '{ANONYMOUS_PREFIX}%'",
        [limit],
    )


def _erase(
    db: sqlite_utils.Database,
    column: PersonalColumn,
    clause: str,
    params: list,
    *,
    replace_texts: bool,
) -> int:
    """Delete the rows, or give each its own token with the person's words and events gone."""
    if column.erase != "anonymise":
        return db.execute(f"DELETE FROM {column.table} WHERE {clause}", params).rowcount
    sets = [f"{column.column} = {FRESH_TOKEN}"]
    values: list = []
    if replace_texts:
        for text in column.text_columns:
            sets.append(f"{text} = CASE WHEN {text} IS NULL THEN NULL ELSE ? END")
            values.append(REMOVED_TEXT)
    sets += [f"{text} = NULL" for text in column.blanked_columns]
    sets += [f"{event} = ''" for event in column.event_columns]
    return db.execute(
        f"UPDATE {column.table} SET {', '.join(sets)} WHERE {clause}", values + params
    ).rowcount


def _redact(
    db: sqlite_utils.Database,
    column: PersonalColumn,
    clause: str,
    params: list,
    user_id: str,
    names: list[str],
) -> int:
    """Take the person out of messages that name them; the messages stay for the others."""
    texts = column.text_columns
    rows = db.execute(
        f"SELECT rowid, {column.column}, {', '.join(texts)} FROM {column.table} WHERE {clause}",
        params,
    ).fetchall()
    unnamed = _unnamer(user_id, names)
    for rowid, mentioned, *values in rows:
        others = [m for m in json.loads(mentioned) if m != user_id]
        db.execute(
            f"UPDATE {column.table} SET {column.column} = ?,"
            + ", ".join(f" {text} = ?" for text in texts)
            + " WHERE rowid = ?",
            (json.dumps(others), *(unnamed(v) if v else v for v in values), rowid),
        )
    return len(rows)


def _unnamer(user_id: str, names: list[str]) -> Callable[[str], str]:
    """A function writing « anonyme » for the person in a message's text or HTML."""
    # Their pill first (its link holds the ID), then the ID and names left in the text.
    pill = re.compile(
        rf'<a href="https://matrix\.to/#/{re.escape(user_id)}">.*?</a>'
        rf"|\[[^\]]*\]\(https://matrix\.to/#/{re.escape(user_id)}\)",
        re.DOTALL,
    )
    spellings = {user_id} | {s for name in names for s in (name, html.escape(name)) if s}
    loose = re.compile(
        "|".join(rf"(?<!\w){re.escape(s)}(?!\w)" for s in sorted(spellings, key=len, reverse=True))
    )

    def unnamed(text: str) -> str:
        return loose.sub(ANONYMOUS_LABEL, pill.sub(ANONYMOUS_LABEL, text))

    return unnamed


def _display_names(db: sqlite_utils.Database, user_id: str) -> list[str]:
    if "members" not in db.table_names():
        return []
    rows = db.execute(
        "SELECT DISTINCT display_name FROM members WHERE user_id = ? AND display_name <> ''",
        (user_id,),
    ).fetchall()
    return [name for (name,) in rows if name]


def _event_ids(db: sqlite_utils.Database, user_id: str, tables: set[str]) -> list[str]:
    """The events the person sent that the database knows: commands and poll answers."""
    found = []
    for table, event, person in (
        ("handled_events", "event_id", "sender"),
        ("inbox", "event_id", "sender"),
        ("training_poll_responses", "response_event_id", "voter"),
    ):
        if table in tables:
            found += [
                row[0]
                for row in db.execute(
                    f"SELECT {event} FROM {table} WHERE {person} = ? AND {event} <> ''",
                    (user_id,),
                )
            ]
    return found


def _refresh_transaction_ids(db: sqlite_utils.Database, events: list[str]) -> None:
    """Messages queued by the person's commands keep going, under fresh transaction ids."""
    for event_id in events:
        start = f"{COMMAND_TXN_PREFIX}{event_id}-"
        # "." follows "-": the range holds exactly the ids starting with ``start``.
        db.execute(
            f"UPDATE outbox SET txn_id = {FORGOTTEN_TXN} WHERE txn_id >= ? AND txn_id < ?",
            (start, start[:-1] + "."),
        )
