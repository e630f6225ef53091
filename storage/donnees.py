"""Personal data: where it is, how it is exported, forgotten and purged.

Every column that holds a Matrix ID is declared here with what goes with it
(free text the person typed). ``!mes-donnees`` exports exactly these rows,
``!oublie-moi`` anonymises or deletes them, and the yearly purge does the same
for rows older than the retention. A test enumerates the schema and fails if
a column holding Matrix IDs is missing from ``PERSONAL_DATA``.

Anonymising replaces the Matrix ID with one random ``anonyme-…`` token per
request (not a hash of the ID, which could be recomputed), so counts and
uniqueness constraints stay right and nothing points back to the person.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import sqlite_utils

from storage.stamps import to_stamp

ANONYMOUS_PREFIX = "anonyme-"


@dataclass(frozen=True)
class PersonalColumn:
    """A column holding someone's Matrix ID, and how to forget it.

    ``erase``: "anonymise" keeps the row (counts stay right) with the ID replaced
    and ``text_columns`` blanked; "delete" removes the row. ``dated_by`` is the
    column the yearly purge compares with its cut-off (None: never purged): a
    stored stamp, or with ``dated_in_ms`` a Matrix timestamp (milliseconds since
    1970, as an event's ``origin_server_ts``). ``json_list`` marks a column holding
    a JSON list of IDs (message mentions).
    """

    table: str
    column: str
    erase: Literal["anonymise", "delete"]
    dated_by: str | None = None
    text_columns: tuple[str, ...] = ()
    json_list: bool = False
    dated_in_ms: bool = False
    label: str = ""
    # Technical rows that live seconds (a command being answered): erased, not exported.
    transient: bool = False


PERSONAL_DATA: list[PersonalColumn] = [
    PersonalColumn("members", "user_id", "delete", "first_seen", ("display_name",),
                   label="Votre nom d'affichage et votre rôle dans l'établissement"),
    PersonalColumn("inbox", "sender", "delete", "received_at", ("body",), transient=True),
    PersonalColumn("outbox", "dm_user", "delete", "created_at", ("body", "html"),
                   label="Messages privés que le bot vous a adressés"),
    PersonalColumn("outbox", "mentions", "delete", "created_at", ("body", "html"),
                   json_list=True, label="Messages du bot qui vous mentionnaient"),
    PersonalColumn("permanence_series", "opened_by", "anonymise", "opened_at",
                   label="Permanences numériques que vous avez ouvertes"),
    PersonalColumn("permanence_slots", "cancelled_by", "anonymise", "cancelled_at",
                   label="Permanences numériques que vous avez annulées"),
    PersonalColumn("permanence_bookings", "user_id", "anonymise", "created_at", ("subject",),
                   label="Vos réservations de permanence numérique"),
    # A need's text and a breakdown's description stay: others voted on the need,
    # the maintenance history needs the breakdown; only who wrote them goes.
    PersonalColumn("training_needs", "author", "anonymise", "created_at",
                   label="Besoins de formation que vous avez exprimés"),
    PersonalColumn("training_needs", "closed_by", "anonymise", "status_at",
                   label="Besoins de formation que vous avez clos"),
    PersonalColumn("training_votes", "voter", "anonymise", "voted_at",
                   label="Besoins de formation que vous avez soutenus"),
    PersonalColumn("training_sessions", "planned_by", "anonymise", "planned_at",
                   label="Sessions de formation que vous avez planifiées"),
    PersonalColumn("training_polls", "created_by", "anonymise", "created_at",
                   label="Sondages de date que vous avez lancés"),
    PersonalColumn("training_poll_responses", "voter", "anonymise", "origin_ts",
                   label="Vos réponses aux sondages de date", dated_in_ms=True),
    PersonalColumn("incidents", "reporter", "anonymise", "reported_at",
                   label="Pannes que vous avez signalées"),
    PersonalColumn("incidents", "resolved_by", "anonymise", "resolved_at",
                   label="Pannes que vous avez dites réparées"),
    PersonalColumn("surveys", "opened_by", "anonymise", "opens_at",
                   label="Enquêtes que vous avez ouvertes"),
    PersonalColumn("survey_answers", "user_id", "anonymise", "answered_at",
                   label="Enquêtes auxquelles vous avez dit avoir répondu"),
    PersonalColumn("veille_items", "author", "anonymise", "posted_at", ("comment",),
                   label="Liens de veille que vous avez partagés"),
    # An objective's text is the establishment's (negotiated with the principal): it
    # stays; a progress note is its author's words and goes with them.
    PersonalColumn("objectives", "author", "anonymise", "created_at",
                   label="Objectifs de l'année que vous avez notés"),
    PersonalColumn("objectives", "updated_by", "anonymise", "status_at",
                   label="Objectifs que vous avez dits atteints, abandonnés ou repris"),
    PersonalColumn("objective_notes", "author", "anonymise", "created_at", ("text",),
                   label="Vos points d'étape sur les objectifs"),
]  # fmt: skip

# bot_state keys that embed a Matrix ID (the direct room with someone).
PERSONAL_STATE_PREFIXES = ("dm:",)


def _personal_state_keys(db: sqlite_utils.Database, user_id: str) -> list[str]:
    keys = [prefix + user_id for prefix in PERSONAL_STATE_PREFIXES]
    marks = ", ".join("?" * len(keys))
    rows = db.execute(f"SELECT key FROM bot_state WHERE key IN ({marks})", keys).fetchall()
    return [key for (key,) in rows]


def _person_filter(column: PersonalColumn, user_id: str) -> tuple[str, list[str]]:
    """The WHERE clause and its parameters selecting one person's rows by ``column``."""
    if column.json_list:
        # A JSON list of IDs is matched on the quoted ID: '"@a:b"' cannot match
        # '@a:bc'. The first condition lets SQLite use a partial index.
        clause = f"{column.column} <> '[]' AND instr({column.column}, ?) > 0"
        return clause, [json.dumps(user_id)]
    return f"{column.column} = ?", [user_id]


def export_user(db: sqlite_utils.Database, user_id: str) -> dict[str, list[dict]]:
    """Every row that holds the person's ID, by ``table.column``; empty lists left out."""
    found: dict[str, list[dict]] = {}
    for column in _kept_columns(db):
        clause, params = _person_filter(column, user_id)
        cursor = db.conn.execute(f"SELECT * FROM {column.table} WHERE {clause}", params)
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        if rows:
            found[f"{column.table}.{column.column}"] = rows
    state = [{"key": key} for key in _personal_state_keys(db, user_id)]
    if state:
        found["bot_state.key"] = state
    return found


def count_user_rows(db: sqlite_utils.Database, user_id: str) -> int:
    """How many rows ``export_user`` would return (what ``!oublie-moi`` announces)."""
    count = 0
    for column in _kept_columns(db):
        clause, params = _person_filter(column, user_id)
        count += db.conn.execute(
            f"SELECT count(*) FROM {column.table} WHERE {clause}", params
        ).fetchone()[0]
    return count + len(_personal_state_keys(db, user_id))


def _kept_columns(db: sqlite_utils.Database) -> list[PersonalColumn]:
    tables = set(db.table_names())
    return [c for c in PERSONAL_DATA if c.table in tables and not c.transient]


def forget_user(db: sqlite_utils.Database, user_id: str) -> dict[str, int]:
    """Anonymise or delete every personal row of one person, in one transaction."""
    token = ANONYMOUS_PREFIX + secrets.token_hex(4)
    return _erase(db, lambda c: _person_filter(c, user_id), token, user_id)


def purge_before(db: sqlite_utils.Database, cutoff: datetime) -> dict[str, int]:
    """Anonymise or delete personal rows dated before ``cutoff`` (the yearly purge).

    Each purged row gets its own anonymous token: old rows of one person must
    not stay linkable to each other either.
    """

    def older(column: PersonalColumn):
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

    return _erase(db, older, None, None)


def _erase(db, where_for, token: str | None, user_id: str | None) -> dict[str, int]:
    counts: dict[str, int] = {}
    tables = set(db.table_names())
    with db.atomic():
        for column in PERSONAL_DATA:
            where = where_for(column)
            if where is None or column.table not in tables:
                continue
            clause, params = where
            if column.erase == "delete":
                cursor = db.execute(f"DELETE FROM {column.table} WHERE {clause}", params)
            else:
                replacement = "?" if token else f"'{ANONYMOUS_PREFIX}' || lower(hex(randomblob(4)))"
                blanks = "".join(f", {text} = NULL" for text in column.text_columns)
                cursor = db.execute(
                    f"UPDATE {column.table} SET {column.column} = {replacement}{blanks}"
                    f" WHERE {clause}",
                    ([token] if token else []) + params,
                )
            if cursor.rowcount:
                key = f"{column.table}.{column.column}"
                counts[key] = counts.get(key, 0) + cursor.rowcount
        if user_id is not None:
            for prefix in PERSONAL_STATE_PREFIXES:
                cursor = db.execute("DELETE FROM bot_state WHERE key = ?", (prefix + user_id,))
                if cursor.rowcount:
                    counts["bot_state.key"] = cursor.rowcount
    return counts


def is_anonymous(user_id: str) -> bool:
    """Whether an ID is an anonymised placeholder (shown as « anonyme »)."""
    return user_id.startswith(ANONYMOUS_PREFIX)
