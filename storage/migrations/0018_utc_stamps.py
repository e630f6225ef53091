"""Every stored instant in one form: ``2026-11-23T08:00:00.000000Z`` (see storage/stamps.py).

Rows written before held three forms: local time with its offset
(``2026-11-23T09:00:00+01:00``), UTC with ``+00:00`` and UTC with ``Z``, with or
without microseconds; text order was not time order, so the reports compared
them through ``julianday()``. Each value becomes the same instant in the one
form, and the indexes on ``julianday(…)`` become indexes on the column itself.

A permanence occurrence kept its start twice, as local time (``starts_at``) and
as UTC (``starts_utc``): the local copy goes, the establishment's time zone gives
it back, and ``starts_utc``/``ends_utc`` are now ``starts_at``/``ends_at``.

The conversion is written here rather than imported, so that this migration
does the same thing whatever the stamps module later becomes.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime

# Every column holding an instant, by table.
INSTANTS = {
    "schema_migrations": ("applied_at",),
    "members": ("first_seen",),
    "handled_events": ("handled_at",),
    "inbox": ("received_at",),
    "job_runs": ("ran_at",),
    "outbox": ("created_at", "sent_at"),
    "permanence_series": ("opened_at", "stopped_at"),
    "permanence_slots": ("starts_at", "ends_at", "cancelled_at"),
    "permanence_bookings": ("created_at", "updated_at"),
    "training_needs": ("created_at", "status_at"),
    "training_votes": ("voted_at",),
    "training_sessions": ("starts_at", "planned_at"),
    "training_polls": ("created_at", "closed_at"),
    "incidents": ("reported_at", "ticket_at", "resolved_at"),
    "veille_items": ("posted_at",),
    "surveys": ("opens_at", "closed_at"),
    "survey_answers": ("answered_at",),
    "newsletters": ("as_of", "sent_at"),
    "objectives": ("created_at", "status_at"),
    "objective_notes": ("created_at",),
}
# bot_state values that are instants.
STATE_INSTANTS = ("scheduler_first_start",)

BEFORE = (
    # Indexes on julianday(): rewriting the column would recompute them row by row.
    "DROP INDEX IF EXISTS veille_items_posted",
    "DROP INDEX IF EXISTS incidents_reported",
    "DROP INDEX IF EXISTS training_needs_created",
    "DROP INDEX IF EXISTS training_sessions_starts",  # training_sessions_start has the column
    # Updating an item re-indexed its title, comment and tags for the search even when
    # none of them changed (here: its date). Only a change of those re-indexes now.
    "DROP TRIGGER veille_items_au",
    """CREATE TRIGGER veille_items_au AFTER UPDATE OF title, comment, tags, establishment_id
  ON veille_items BEGIN
  INSERT INTO veille_items_fts (veille_items_fts, rowid, title, comment, tags, establishment_id)
    VALUES ('delete', old.rowid, old.title, old.comment, old.tags, old.establishment_id);
  INSERT INTO veille_items_fts (rowid, title, comment, tags, establishment_id)
    VALUES (new.rowid, new.title, new.comment, new.tags, new.establishment_id);
END""",
    "ALTER TABLE permanence_slots DROP COLUMN starts_at",
    "ALTER TABLE permanence_slots RENAME COLUMN starts_utc TO starts_at",
    "ALTER TABLE permanence_slots RENAME COLUMN ends_utc TO ends_at",
)
AFTER = (
    "CREATE INDEX veille_items_posted ON veille_items (establishment_id, posted_at)",
    "CREATE INDEX incidents_reported ON incidents (establishment_id, reported_at)",
    "CREATE INDEX training_needs_created ON training_needs (establishment_id, created_at)",
)


def stamp(value):
    """An old stored instant in the one form; a value that is not one is left as it was.

    A value without an offset was read as UTC by ``julianday()``: it stays that instant.
    """
    if not isinstance(value, str):
        return value
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def apply(conn: sqlite3.Connection) -> None:
    for statement in BEFORE:
        conn.execute(statement)
    conn.create_function("stamp_0018", 1, stamp, deterministic=True)
    try:
        for table, columns in INSTANTS.items():
            sets = ", ".join(f"{column} = stamp_0018({column})" for column in columns)
            conn.execute(f"UPDATE {table} SET {sets}")
    finally:
        conn.create_function("stamp_0018", 1, None)
    marks = ", ".join("?" * len(STATE_INSTANTS))
    states = conn.execute(
        f"SELECT key, value FROM bot_state WHERE key IN ({marks})", STATE_INSTANTS
    ).fetchall()
    for key, value in states:
        conn.execute("UPDATE bot_state SET value = ? WHERE key = ?", (stamp(value), key))
    # A date poll keeps its options as JSON: [{"id": "date-1", "starts_at": "…"}, …].
    polls = conn.execute("SELECT event_id, options FROM training_polls").fetchall()
    for event_id, options in polls:
        rewritten = [{**o, "starts_at": stamp(o["starts_at"])} for o in json.loads(options)]
        conn.execute(
            "UPDATE training_polls SET options = ? WHERE event_id = ?",
            (json.dumps(rewritten), event_id),
        )
    for statement in AFTER:
        conn.execute(statement)
