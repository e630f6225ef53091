"""Personal data: where it is, how it is exported and counted (forgetting: ``storage/oubli.py``).

Every column that holds a Matrix ID is declared here with what goes with it:
the free text the person typed, the event ids they sent. ``!mes-donnees``
exports these rows, by the columns listed in ``EXPORTED`` (never a file's
bytes, never an earlier export), ``!oublie-moi`` anonymises, redacts or deletes
them, and the yearly purge does the same for rows older than the retention.
Tests walk the schema and fail if a column holding Matrix IDs is missing from
``PERSONAL_DATA``, or if a text column of a table holding one is not classified:
someone's words (``text_columns``, ``blanked_columns``), their event ids
(``event_columns``) or nobody's words (``NOT_WORDS``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

import sqlite_utils

ANONYMOUS_PREFIX = "anonyme-"
# What a free text becomes when its author asks to be forgotten: the row stays
# (a need keeps its votes, a breakdown stays counted), the words go.
REMOVED_TEXT = "[texte retiré à la demande de son auteur]"
# The outbox slots of the data export (its summary, its file): one of each waits
# per person, the latest.
EXPORT_SLOT = "mes-donnees"
EXPORT_FILE_SLOT = "mes-donnees:fichier"


@dataclass(frozen=True)
class PersonalColumn:
    """A column holding someone's Matrix ID, and how to forget it.

    ``erase``: "anonymise" keeps the row (counts stay right) with the ID replaced
    by a token of its own, ``text_columns`` replaced by ``REMOVED_TEXT``,
    ``blanked_columns`` emptied and ``event_columns`` (event ids the person
    sent) cleared; "redact" keeps a message of the bot that names the person
    (it goes out to the others) with the person taken out of its mentions and
    of ``text_columns``; "delete" removes the row. ``dated_by`` is the column the
    yearly purge compares with its cut-off (None: never purged): a stored stamp,
    or with ``dated_in_ms`` a Matrix timestamp (milliseconds since 1970, as an
    event's ``origin_server_ts``). ``json_list`` marks a column holding a JSON
    list of IDs (message mentions); ``exported_where`` narrows the rows exported.
    """

    table: str
    column: str
    erase: Literal["anonymise", "redact", "delete"]
    dated_by: str | None = None
    text_columns: tuple[str, ...] = ()
    blanked_columns: tuple[str, ...] = ()
    event_columns: tuple[str, ...] = ()
    json_list: bool = False
    dated_in_ms: bool = False
    label: str = ""
    exported_where: str = ""
    # Technical rows (a command being answered, one answered): erased, not exported.
    transient: bool = False


# An export never holds an earlier export (each would hold the ones before it).
NOT_AN_EXPORT = f"(slot IS NULL OR slot NOT IN ('{EXPORT_SLOT}', '{EXPORT_FILE_SLOT}'))"

PERSONAL_DATA: list[PersonalColumn] = [
    PersonalColumn("members", "user_id", "delete", "first_seen", ("display_name",),
                   label="Votre nom d'affichage et votre rôle dans l'établissement"),
    # A mirror of the room's membership, which every member sees: kept while the person
    # is in the room, gone when they leave. Read again at the next start if they stay.
    PersonalColumn("room_members", "user_id", "delete",
                   label="Votre présence dans le salon de l'établissement (destinataires des "
                   "enquêtes)"),
    PersonalColumn("inbox", "sender", "delete", "received_at", ("body",), transient=True),
    PersonalColumn("handled_events", "sender", "delete", "handled_at", transient=True),
    # Which reaction did what: kept so that it counts once; the vote itself is exported.
    PersonalColumn("counted_reactions", "sender", "delete", "counted_at", transient=True),
    PersonalColumn("direct_choices", "user_id", "delete", "chosen_at",
                   label="L'établissement choisi pour vos messages privés au bot"),
    PersonalColumn("outbox", "dm_user", "delete", "created_at", ("body", "html"),
                   label="Messages privés que le bot vous a adressés",
                   exported_where=NOT_AN_EXPORT),
    # Others' messages that name the person still go out, without the name.
    PersonalColumn("outbox", "mentions", "redact", "created_at", ("body", "html"),
                   json_list=True, label="Messages du bot qui vous mentionnaient",
                   exported_where=NOT_AN_EXPORT),
    PersonalColumn("permanence_series", "opened_by", "anonymise", "opened_at",
                   label="Permanences numériques que vous avez ouvertes"),
    PersonalColumn("permanence_slots", "cancelled_by", "anonymise", "cancelled_at",
                   label="Permanences numériques que vous avez annulées"),
    PersonalColumn("permanence_bookings", "user_id", "anonymise", "created_at",
                   blanked_columns=("subject",),
                   label="Vos réservations de permanence numérique"),
    # Who came stays counted in the yearly report; the record's topics are the
    # establishment's account of the slot, as an objective's text is.
    PersonalColumn("permanence_attendance", "user_id", "anonymise", "recorded_at",
                   label="Permanences numériques où vous avez été noté(e) présent(e)"),
    PersonalColumn("permanence_records", "recorded_by", "anonymise", "recorded_at",
                   label="Comptes rendus de permanence numérique que vous avez notés"),
    # A need and a breakdown stay (others voted on the need, the maintenance history
    # counts the breakdown); their words are their author's and go with them.
    PersonalColumn("training_needs", "author", "anonymise", "created_at", ("text",),
                   label="Besoins de formation que vous avez exprimés"),
    PersonalColumn("training_needs", "closed_by", "anonymise", "status_at", ("close_note",),
                   label="Besoins de formation que vous avez clos"),
    PersonalColumn("training_needs", "dane_answered_by", "anonymise", "dane_answered_at",
                   label="Réponses de l'académie que vous avez données à des besoins"),
    PersonalColumn("training_votes", "voter", "anonymise", "voted_at",
                   label="Besoins de formation que vous avez soutenus"),
    PersonalColumn("training_sessions", "planned_by", "anonymise", "planned_at",
                   label="Sessions de formation que vous avez planifiées"),
    PersonalColumn("training_polls", "created_by", "anonymise", "created_at",
                   label="Sondages de date que vous avez lancés"),
    # Any member of the room can tell who sent a poll answer from its event id.
    PersonalColumn("training_poll_responses", "voter", "anonymise", "origin_ts",
                   event_columns=("response_event_id",),
                   label="Vos réponses aux sondages de date", dated_in_ms=True),
    PersonalColumn("incidents", "reporter", "anonymise", "reported_at", ("description",),
                   label="Pannes que vous avez signalées"),
    PersonalColumn("incidents", "resolved_by", "anonymise", "resolved_at",
                   label="Pannes que vous avez dites réparées"),
    # Someone who reported a breakdown already open stays counted among those concerned.
    PersonalColumn("incident_followers", "user_id", "anonymise", "joined_at", ("description",),
                   label="Pannes déjà signalées que vous avez signalées à votre tour"),
    PersonalColumn("surveys", "opened_by", "anonymise", "opens_at",
                   label="Enquêtes que vous avez ouvertes"),
    PersonalColumn("survey_answers", "user_id", "anonymise", "answered_at",
                   label="Enquêtes auxquelles vous avez dit avoir répondu"),
    PersonalColumn("survey_reminder_stops", "user_id", "delete", "stopped_at",
                   label="Enquêtes dont vous ne voulez plus de rappel"),
    # Emptied rather than replaced: the notice's words would be found by the search.
    PersonalColumn("veille_items", "author", "anonymise", "posted_at",
                   blanked_columns=("comment",),
                   label="Liens de veille que vous avez partagés"),
    # A sheet is the establishment's answer to a question, read by everyone: its text
    # stays when its author or its last editor is forgotten, as an objective's does.
    PersonalColumn("answer_sheets", "author", "anonymise", "created_at",
                   label="Fiches réponses que vous avez écrites"),
    PersonalColumn("answer_sheets", "updated_by", "anonymise", "updated_at",
                   label="Fiches réponses que vous avez mises à jour en dernier"),
    # A role given by command holds while its row does: forgetting the person deletes
    # it (and its lines of the history); the purge deletes those withdrawn long ago.
    # Who gave or withdrew a role is kept while the role holds, for the history.
    PersonalColumn("role_grants", "user_id", "delete", "revoked_at",
                   label="Rôles qu'on vous a donnés par commande dans un établissement"),
    PersonalColumn("role_grants", "granted_by", "anonymise", "revoked_at",
                   label="Rôles que vous avez donnés par commande"),
    PersonalColumn("role_grants", "revoked_by", "anonymise", "revoked_at",
                   label="Rôles que vous avez retirés par commande"),
    # A class project's description says what a class did, not what its author thinks:
    # it is the establishment's record, shown in the letter and the year's report and
    # counted by the academy, so it stays when its author is forgotten, as a sheet does.
    PersonalColumn("class_projects", "author", "anonymise", "created_at",
                   label="Projets de classe avec le numérique que vous avez recensés"),
    # An objective's text is the establishment's (negotiated with the principal): it
    # stays; a progress note is its author's words and goes with them.
    PersonalColumn("objectives", "author", "anonymise", "created_at",
                   label="Objectifs de l'année que vous avez notés"),
    PersonalColumn("objectives", "updated_by", "anonymise", "status_at",
                   label="Objectifs que vous avez dits atteints, abandonnés ou repris"),
    PersonalColumn("objective_notes", "author", "anonymise", "created_at",
                   blanked_columns=("text",),
                   label="Vos points d'étape sur les objectifs"),
]  # fmt: skip

# What !mes-donnees shows of each table, column by column: never a file's bytes
# (``outbox.data``), its HTML copy or transaction ids.
EXPORTED: dict[str, tuple[str, ...]] = {
    "members": ("establishment_id", "user_id", "role", "display_name", "first_seen"),
    "room_members": ("establishment_id", "user_id", "joined_at"),
    "direct_choices": ("user_id", "establishment_id", "chosen_at"),
    "outbox": ("establishment_id", "body", "filename", "created_at", "sent_at", "failed_at"),
    "permanence_series": ("id", "establishment_id", "weekday", "start_time", "duration_minutes",
                          "capacity", "place", "opened_by", "opened_at", "stopped_at"),
    "permanence_slots": ("id", "establishment_id", "series_id", "number", "starts_at",
                         "ends_at", "capacity", "place", "cancelled_at", "cancelled_by"),
    "permanence_bookings": ("id", "slot_id", "user_id", "subject", "status", "created_at",
                            "updated_at"),
    "permanence_attendance": ("id", "slot_id", "user_id", "recorded_at"),
    "permanence_records": ("slot_id", "topics", "recorded_by", "recorded_at"),
    "training_needs": ("id", "establishment_id", "number", "text", "tags", "author",
                       "created_at", "status", "status_at", "closed_by", "close_note",
                       "poll_event_id", "dane_answer", "dane_answered_at", "dane_answered_by"),
    "training_votes": ("need_id", "voter", "voted_at"),
    "training_sessions": ("need_id", "establishment_id", "starts_at", "place", "planned_by",
                          "planned_at"),
    "training_polls": ("event_id", "need_id", "room_id", "options", "created_by", "created_at",
                       "closed_at", "max_selections"),
    "training_poll_responses": ("poll_event_id", "voter", "response_event_id", "answers",
                                "origin_ts"),
    "incidents": ("id", "establishment_id", "number", "description", "category", "reporter",
                  "reported_at", "ticket_ref", "ticket_at", "resolved_at", "resolved_by",
                  "room"),
    "incident_followers": ("incident_id", "user_id", "description", "joined_at"),
    "surveys": ("id", "establishment_id", "number", "title", "url", "audience", "opens_at",
                "deadline", "academy_key", "opened_by", "closed_at"),
    "survey_answers": ("survey_id", "user_id", "answered_at"),
    "survey_reminder_stops": ("survey_id", "user_id", "stopped_at"),
    "veille_items": ("id", "establishment_id", "number", "normalized_url", "title",
                     "title_found", "comment", "tags", "author", "posted_at"),
    "answer_sheets": ("id", "establishment_id", "name", "body", "author", "created_at",
                      "updated_by", "updated_at"),
    "role_grants": ("id", "establishment_id", "user_id", "role", "granted_by", "granted_at",
                    "revoked_by", "revoked_at"),
    "class_projects": ("id", "establishment_id", "number", "class_name", "discipline", "text",
                       "tags", "author", "created_at"),
    "objectives": ("id", "establishment_id", "school_year", "number", "text",
                   "indicator_figure", "indicator_op", "indicator_target",
                   "indicator_percent", "status", "author", "created_at", "status_at",
                   "updated_by"),
    "objective_notes": ("id", "objective_id", "text", "author", "created_at"),
}  # fmt: skip

# Text columns of tables holding a person that hold nobody's own words: the bot's,
# the establishment's (an objective, a survey, a place), a fetched page title,
# labels, instants, ids. A new text column must be added here or declared above.
NOT_WORDS: dict[str, tuple[str, ...]] = {
    "members": ("establishment_id", "role", "first_seen"),
    "inbox": ("event_id", "room_id", "received_at"),  # deleted with the row
    "handled_events": ("event_id", "room_id", "handled_at"),  # deleted with the row
    "counted_reactions": ("event_id", "room_id", "target_event_id", "purpose", "counted_at",
                          "withdrawn_at"),  # deleted with the row
    "room_members": ("establishment_id", "joined_at"),
    "direct_choices": ("establishment_id", "chosen_at"),
    "outbox": ("establishment_id", "room_id", "txn_id", "filename", "mimetype", "created_at",
               "sent_at", "event_id", "failed_at", "failure_code", "failure", "slot",
               "not_before"),
    "permanence_series": ("establishment_id", "start_time", "place", "opened_at",
                          "stopped_at"),
    "permanence_slots": ("establishment_id", "starts_at", "ends_at", "place", "cancelled_at"),
    "permanence_bookings": ("status", "created_at", "updated_at"),
    "permanence_attendance": ("recorded_at",),
    "permanence_records": ("topics", "recorded_at"),
    # The academy's answer is the academy's word, sent to the establishment's room.
    "training_needs": ("establishment_id", "tags", "created_at", "status", "status_at",
                       "poll_event_id", "dane_answer", "dane_answered_at"),
    "training_votes": ("voted_at",),
    "training_sessions": ("establishment_id", "starts_at", "place", "planned_at"),
    "training_polls": ("event_id", "room_id", "options", "created_at", "closed_at"),
    "training_poll_responses": ("poll_event_id", "answers"),
    # The room is the establishment's: it stays when the description goes.
    "incidents": ("establishment_id", "category", "reported_at", "ticket_ref", "ticket_at",
                  "resolved_at", "room", "room_key"),
    "incident_followers": ("joined_at",),
    "surveys": ("establishment_id", "title", "url", "audience", "opens_at", "deadline",
                "academy_key", "closed_at"),
    "survey_answers": ("answered_at",),
    "survey_reminder_stops": ("stopped_at",),
    "veille_items": ("establishment_id", "normalized_url", "title", "tags", "posted_at"),
    "answer_sheets": ("establishment_id", "name", "body", "created_at", "updated_at"),
    "role_grants": ("establishment_id", "role", "granted_at", "revoked_at"),
    "class_projects": ("establishment_id", "class_name", "discipline", "text", "tags",
                       "created_at"),
    "objectives": ("establishment_id", "text", "indicator_figure", "indicator_op", "status",
                   "created_at", "status_at"),
    "objective_notes": ("created_at",),
}  # fmt: skip

# bot_state keys that embed a Matrix ID (the direct room with someone).
PERSONAL_STATE_PREFIXES = ("dm:",)


def personal_state_keys(db: sqlite_utils.Database, user_id: str) -> list[str]:
    """The bot_state keys that name the person (their direct room)."""
    keys = [prefix + user_id for prefix in PERSONAL_STATE_PREFIXES]
    marks = ", ".join("?" * len(keys))
    rows = db.execute(f"SELECT key FROM bot_state WHERE key IN ({marks})", keys).fetchall()
    return [key for (key,) in rows]


def person_filter(column: PersonalColumn, user_id: str) -> tuple[str, list[str]]:
    """The WHERE clause and its parameters selecting one person's rows by ``column``."""
    if column.json_list:
        # A JSON list of IDs is matched on the quoted ID: '"@a:b"' cannot match
        # '@a:bc'. The first condition lets SQLite use a partial index.
        clause = f"{column.column} <> '[]' AND instr({column.column}, ?) > 0"
        return clause, [json.dumps(user_id)]
    return f"{column.column} = ?", [user_id]


def _exported_filter(column: PersonalColumn, user_id: str) -> tuple[str, list[str]]:
    clause, params = person_filter(column, user_id)
    return (f"{clause} AND {column.exported_where}" if column.exported_where else clause), params


def export_user(db: sqlite_utils.Database, user_id: str) -> dict[str, list[dict]]:
    """Every row that holds the person's ID, by ``table.column``; empty lists left out.

    Each table is read by the columns of ``EXPORTED``: the export of someone who
    asks again and again stays the size of what they did.
    """
    found: dict[str, list[dict]] = {}
    for column in _kept_columns(db):
        names = EXPORTED[column.table]
        clause, params = _exported_filter(column, user_id)
        cursor = db.conn.execute(
            f"SELECT {', '.join(names)} FROM {column.table} WHERE {clause}", params
        )
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        if rows:
            found[f"{column.table}.{column.column}"] = rows
    state = [{"key": key} for key in personal_state_keys(db, user_id)]
    if state:
        found["bot_state.key"] = state
    return found


@dataclass(frozen=True)
class Held:
    """How many rows of one kind the bot holds in someone's name, and whether they stay."""

    label: str
    count: int
    erase: str  # as its column's: "anonymise" and "redact" rows stay, without the name

    @property
    def stays(self) -> bool:
        """Whether the rows stay (still counted, or still sent), without the person."""
        return self.erase != "delete"


def held_for(db: sqlite_utils.Database, user_id: str) -> list[Held]:
    """What ``export_user`` would return, counted by kind (what ``!oublie-moi`` announces)."""
    held = []
    for column in _kept_columns(db):
        clause, params = _exported_filter(column, user_id)
        count = db.conn.execute(
            f"SELECT count(*) FROM {column.table} WHERE {clause}", params
        ).fetchone()[0]
        if count:
            held.append(Held(column.label, count, column.erase))
    state = len(personal_state_keys(db, user_id))
    if state:
        held.append(Held("Votre salon privé avec le bot", state, "delete"))
    return held


def count_user_rows(db: sqlite_utils.Database, user_id: str) -> int:
    """How many rows ``export_user`` would return."""
    return sum(h.count for h in held_for(db, user_id))


def _kept_columns(db: sqlite_utils.Database) -> list[PersonalColumn]:
    tables = set(db.table_names())
    return [c for c in PERSONAL_DATA if c.table in tables and not c.transient]


def is_anonymous(user_id: str) -> bool:
    """Whether an ID is an anonymised placeholder (shown as « anonyme »)."""
    return user_id.startswith(ANONYMOUS_PREFIX)
