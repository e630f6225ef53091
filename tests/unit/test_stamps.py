"""Stored instants: one UTC form, and the migration that rewrote the rows of older versions."""

from __future__ import annotations

import importlib
import json
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.core.render import Renderer
from commands import load_registry
from storage import bilan, migrate, open_database
from storage.db import available_migrations, schema_version
from storage.stamps import from_stamp, to_stamp
from tests.conftest import PARIS, REFERENT, TEACHER, ChatHarness, RecordingMessenger

STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
UTC_STAMPS = importlib.import_module("storage.migrations.0018_utc_stamps")


def test_a_stamp_is_fixed_width_utc_and_reads_back_as_the_same_instant():
    winter = datetime(2026, 11, 23, 9, 0, tzinfo=PARIS)
    summer = datetime(2027, 6, 11, 16, 0, 0, 250, tzinfo=PARIS)
    assert to_stamp(winter) == "2026-11-23T08:00:00.000000Z"
    assert to_stamp(summer) == "2027-06-11T14:00:00.000250Z"
    assert from_stamp(to_stamp(summer)) == summer
    assert from_stamp(to_stamp(summer)).tzinfo is UTC
    # Text order is time order, across a change of offset and within a second.
    moments = [winter, summer, summer - timedelta(microseconds=1), winter + timedelta(hours=1)]
    assert sorted(map(to_stamp, moments)) == list(map(to_stamp, sorted(moments)))
    with pytest.raises(ValueError):
        to_stamp(datetime(2026, 11, 23, 9, 0))


def test_the_migration_reads_every_old_form_as_the_same_instant():
    paris_winter = timezone(timedelta(hours=1))
    assert UTC_STAMPS.stamp("2026-11-24T00:30:00+01:00") == "2026-11-23T23:30:00.000000Z"
    assert UTC_STAMPS.stamp("2026-11-24T00:30:00.5+01:00") == "2026-11-23T23:30:00.500000Z"
    assert UTC_STAMPS.stamp("2026-07-01T10:00:00.123456+02:00") == "2026-07-01T08:00:00.123456Z"
    assert UTC_STAMPS.stamp("2026-11-23T11:30:00Z") == "2026-11-23T11:30:00.000000Z"
    assert UTC_STAMPS.stamp("2026-11-23T11:30:00+00:00") == "2026-11-23T11:30:00.000000Z"
    assert (
        UTC_STAMPS.stamp("2026-11-23 11:30:00") == "2026-11-23T11:30:00.000000Z"
    )  # as julianday()
    assert UTC_STAMPS.stamp(to_stamp(datetime(2026, 11, 24, tzinfo=paris_winter))) == (
        "2026-11-23T23:00:00.000000Z"
    )
    assert UTC_STAMPS.stamp(None) is None
    assert UTC_STAMPS.stamp("") == ""  # not an instant: left as it was


# Rows as version 17 wrote them: ``now.isoformat()`` in the establishment's zone
# (with microseconds when the clock had some), ``…Z`` for slots, ``+00:00`` for
# sessions, polls, surveys, letters and objectives.
OLD_ROWS = {
    "establishments": [
        ("clg-test", "Collège Test", "!abc:localhost", "!abc:localhost", "B", "Europe/Paris"),
    ],
    "members": [
        ("clg-test", REFERENT, "referent", "Claire Référente", "2026-09-01T08:00:00+02:00"),
        ("clg-test", TEACHER, "teacher", "Paul Prof", "2026-11-02T10:00:00.250000+01:00"),
    ],
    "bot_state": [("scheduler_first_start", "2026-09-01T08:00:00+02:00"), ("sync_token", "s1")],
    "handled_events": [("$old", "!abc:localhost", "2026-11-20T10:00:00.100000+01:00")],
    "job_runs": [("lettre", "clg-test", "2026-W47", "2026-11-20T16:00:05.123456+01:00")],
    "outbox": [
        (1, "clg-test", None, None, "Lettre", "<p>Lettre</p>", "[]", "t1", None, None, None,
         "2026-11-20T16:00:05+01:00", "2026-11-20T16:00:06.5+01:00", "$l1"),
    ],
    "permanence_series": [
        (1, "clg-test", 1, "12:30", 45, 4, "CDI", REFERENT, "2026-11-02T10:00:00+01:00", None),
    ],
    "permanence_slots": [
        (1, "clg-test", 1, 1, "2026-11-24T12:30:00+01:00", "2026-11-24T11:30:00Z",
         "2026-11-24T12:15:00Z", 4, "CDI", None, None),
        (2, "clg-test", 1, 2, "2026-12-01T12:30:00+01:00", "2026-12-01T11:30:00Z",
         "2026-12-01T12:15:00Z", 4, "CDI", "2026-11-20T09:00:00+01:00", REFERENT),
        (3, "clg-test", 1, 3, "2026-12-08T12:30:00+01:00", "2026-12-08T11:30:00Z",
         "2026-12-08T12:15:00Z", 4, "CDI", None, None),
    ],
    "permanence_bookings": [
        (1, 1, TEACHER, "Pronote", "booked", "2026-11-20T08:00:00.123456+01:00",
         "2026-11-20T08:00:00.123456+01:00"),
    ],
    "training_needs": [
        (1, "clg-test", 1, "Créer des capsules vidéo", "creation-contenus", TEACHER,
         "2026-11-05T14:00:00+01:00", "planned", "2026-11-06T09:00:00+01:00", None, None, "$p1"),
        (2, "clg-test", 2, "Sécuriser mes mots de passe", "protection-securite", REFERENT,
         "2026-11-17T00:20:00+01:00", "open", None, None, None, None),
    ],
    "training_votes": [
        (1, TEACHER, "2026-11-05T14:00:00+01:00"),
        (1, REFERENT, "2026-11-05T14:00:00.000001+01:00"),
        (2, REFERENT, "2026-11-17T00:20:00+01:00"),
    ],
    "training_sessions": [
        (1, "clg-test", "2026-11-26T12:30:00+00:00", "B12", REFERENT, "2026-11-06T09:00:00+01:00"),
    ],
    "training_polls": [
        ("$p1", 1, "!abc:localhost", '[{"id": "date-1", "starts_at": "2026-11-26T12:30:00+00:00"}]',
         REFERENT, "2026-11-05T15:00:00+01:00", "2026-11-06T09:00:00+01:00"),
    ],
    "incidents": [
        # Reported at 00:30 in Paris: the day before in UTC, the listing says the 17th.
        (1, "clg-test", 1, "Le wifi ne marche pas en B12", "reseau", TEACHER,
         "2026-11-17T00:30:00+01:00", "GLPI-1", "2026-11-17T09:00:00+01:00", None, None),
        (2, "clg-test", 2, "Imprimante en panne", "imprimante", TEACHER,
         "2026-11-09T10:00:00+01:00", None, None, "2026-11-12T10:00:00.5+01:00", REFERENT),
    ],
    "veille_items": [
        (1, "clg-test", 1, "https://eduscol.education.fr/ia", "L'IA en classe — Éduscol", 1,
         "À lire", "ia", REFERENT, "2026-11-10T00:10:00.500000+01:00"),
        (3, "clg-test", 3, "https://www.cnil.fr/rgpd", "RGPD — CNIL", 1,
         None, "", REFERENT, "2026-11-20T17:45:00+01:00"),
        # Shared on 1 November in Paris, still 31 October in UTC: a November link.
        (4, "clg-test", 4, "https://pix.fr/", "Pix", 1,
         None, "", REFERENT, "2026-11-01T00:05:00+01:00"),
    ],
    "veille_counters": [("clg-test", 4)],
    "surveys": [
        (1, "clg-test", 1, "Usages du numérique", "https://framaforms.org/usages", "members",
         "2026-11-02T09:00:00.000000+00:00", "2026-11-30", None, REFERENT, None),
    ],
    "survey_answers": [(1, TEACHER, "2026-11-03T10:00:00.654321+00:00")],
    "newsletters": [
        (1, "clg-test", "2026-W47", "2026-11-20T15:00:00.000000+00:00",
         "2026-11-20T15:00:05.123456+00:00"),
    ],
    "objectives": [
        (1, "clg-test", 2026, 1, "Former les collègues à l'ENT", "sessions", ">=", 6, 0,
         "active", REFERENT, "2026-09-15T10:00:00+00:00", None, None),
    ],
    "objective_notes": [(1, 1, "Deux sessions faites", REFERENT, "2026-10-01T08:00:00+00:00")],
}  # fmt: skip


def old_database(path):
    """A database at version 17 holding ``OLD_ROWS``."""
    db = open_database(path)
    migrate(db, [m for m in available_migrations() if m[0] <= 17])
    assert schema_version(db) == 17
    with db.atomic():
        for table, rows in OLD_ROWS.items():
            marks = ", ".join("?" * len(rows[0]))
            db.conn.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
    return db


async def listings(db) -> dict[str, str]:
    """What people read in the lists that show stored instants."""
    from bot.core.config import parse_config
    from tests.conftest import MINIMAL_CONFIG

    chat = ChatHarness(
        parse_config(MINIMAL_CONFIG, "."),
        db,
        RecordingMessenger(),
        load_registry(),
        Renderer(),
        datetime(2026, 11, 23, 9, 0, tzinfo=PARIS),
    )
    said = {}
    for sender, line in (
        (REFERENT, "!panne"),
        (REFERENT, "!veille"),
        (REFERENT, "!permanence"),
        (TEACHER, "!permanence mes"),
        (REFERENT, "!formation"),
        (REFERENT, "!enquete état"),
        (REFERENT, "!objectifs"),
    ):
        said[line] = (await chat.say(sender, line)).body
    return said


# What version 17 answered on OLD_ROWS, word for word.
LISTINGS = {
    "!panne": (
        "**Pannes en cours au collège Test**\n"
        "- **n° 1** (réseau ou wifi) « Le wifi ne marche pas en B12 »,"
        " signalée le mardi 17 novembre 2026 par Paul Prof : ticket GLPI-1"
    ),
    "!veille": (
        "**Veille partagée : les 3 derniers liens**\n"
        "- n° 4 : Pix (https://pix.fr/) — Claire Référente, dimanche 1er novembre 2026\n"
        "\n"
        "- n° 3 : RGPD — CNIL (https://www.cnil.fr/rgpd) — Claire Référente,"
        " vendredi 20 novembre 2026\n"
        "\n"
        "- n° 1 : L'IA en classe — Éduscol (https://eduscol.education.fr/ia) — Claire Référente,"
        " mardi 10 novembre 2026 · #ia\n"
        "  « À lire »\n"
        "\n"
        "Chercher dans la veille : `!veille cherche numerique`"
    ),
    "!permanence": (
        "**Permanences numériques des deux prochaines semaines**\n"
        "- n° 1 : mardi 24 novembre à 12 h 30, au CDI — 3 places libres\n"
        "\n"
        "Pour réserver : `!permanence réserver 1 votre sujet`"
    ),
    "!permanence mes": (
        "**Vos permanences numériques à venir**\n"
        "- n° 1 : mardi 24 novembre à 12 h 30, au CDI — Pronote"
    ),
    "!formation": (
        "**Besoins de formation** (du plus soutenu au moins soutenu)\n"
        "- **n° 2** « Sécuriser mes mots de passe » : 1 soutien (Protection et sécurité)\n"
        "\n"
        "Pour soutenir un besoin, « +1 » et son numéro : `!formation +1 2`.\n"
        "\n"
        "**Sessions prévues**\n"
        "- jeudi 26 novembre à 13 h 30 (salle B12) : n° 1 « Créer des capsules vidéo »"
    ),
    "!enquete état": (
        "**Enquêtes en cours**\n"
        "- n° 1 (Usages du numérique) : 1 sur 2 a dit l'avoir remplie ;"
        " échéance le lundi 30 novembre 2026"
    ),
    "!objectifs": (
        "**Objectifs 2026-2027 du collège Test**\n"
        "- **n° 1** Former les collègues à l'ENT\n"
        "    - Indicateur : Sessions de formation (au moins 6) : **0 / 6**\n"
        "    - Dernier point d'étape, le jeudi 1er octobre 2026 : Deux sessions faites\n"
        "\n"
        "Pour noter où en est un objectif : `!objectifs point 1 où nous en sommes` ;"
        " une fois atteint : `!objectifs atteint 1`, ou abandonné : `!objectifs abandonné 1`."
    ),
}


# The figures version 17 counted on OLD_ROWS (a link shared at 00:05 on 1 November
# in Paris, 31 October in UTC, counts in November).
FIGURES = {
    "letters": 1,
    "needs": bilan.NeedsSummary(
        received=2,
        handled=1,
        planned=1,
        closed=0,
        forwarded=0,
        sessions=1,
        themes=(
            bilan.ThemeCounts("Création de contenus", received=1, handled=1, sessions=1),
            bilan.ThemeCounts("Protection et sécurité", received=1, handled=0, sessions=0),
        ),
    ),
    "seats": 8,
    "assistance": bilan.AssistanceSummary(2, 1, 1, timedelta(days=3, seconds=1)),
    "breakdowns": [{}, {}, {"imprimante ou copieur": 1, "réseau ou wifi": 1}, {}],
    "tickets": [0, 0, 1, 1],
    "shared": [0, 0, 3, 0],
    "themes": [{}, {}, {"Création de contenus": 1, "Protection et sécurité": 1}, {}],
    "sessions": [0, 0, 1, 0],
    "held": [0, 0, 1, 1],
    "booked": [0, 0, 1, 0],
    "answers": [[], [], [(1, "Usages du numérique", 1)], []],
}


def figures(db):
    """The report's and the digest's figures over the autumn, month by month."""
    from storage import enquete, formation, panne, permanence, veille

    months = [datetime(2026, m, 1, tzinfo=PARIS) for m in (9, 10, 11, 12)]
    periods = list(zip(months, [*months[1:], datetime(2027, 1, 1, tzinfo=PARIS)], strict=True))
    start, end = periods[0][0], periods[-1][1]
    eid = "clg-test"
    return {
        "letters": bilan.newsletters_sent(db, eid, start, end),
        "needs": bilan.needs_summary(db, eid, start, end),
        "seats": bilan.seats_offered(db, eid, start, end),
        "assistance": bilan.assistance_summary(db, eid, start, end),
        "breakdowns": panne.breakdowns_by_category_per_period(db, eid, periods),
        "tickets": panne.open_tickets_per_period(db, eid, periods),
        "shared": veille.shared_per_period(db, eid, periods),
        "themes": formation.needs_by_theme_per_period(db, eid, periods),
        "sessions": formation.sessions_per_period(db, eid, periods),
        "held": permanence.held_per_period(db, eid, periods),
        "booked": permanence.seats_booked_per_period(db, eid, periods),
        "answers": enquete.answers_per_period(db, eid, periods),
    }


async def test_old_rows_are_rewritten_and_read_the_same(tmp_path):
    db = old_database(tmp_path / "old.db")
    assert migrate(db) == [name for n, name, _ in available_migrations() if n > 17]

    for table, columns in UTC_STAMPS.INSTANTS.items():
        for column in columns:
            for (value,) in db.execute(f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL"):
                assert STAMP.match(value), (table, column, value)
    assert db.execute("SELECT value FROM bot_state WHERE key = 'scheduler_first_start'").fetchone()
    assert db.execute(
        "SELECT key, value FROM bot_state WHERE key NOT LIKE 'bienvenue:%' ORDER BY key"
    ).fetchall() == [
        ("scheduler_first_start", "2026-09-01T06:00:00.000000Z"),
        ("sync_token", "s1"),
    ]
    # A room the bot already served is not greeted on upgrade.
    assert db.execute("SELECT count(*) FROM bot_state WHERE key LIKE 'bienvenue:%'").fetchone()[0]
    assert db.execute(
        "SELECT reported_at, ticket_at FROM incidents WHERE number = 1"
    ).fetchone() == (
        "2026-11-16T23:30:00.000000Z",
        "2026-11-17T08:00:00.000000Z",
    )
    assert db.execute("SELECT posted_at FROM veille_items WHERE number = 1").fetchone() == (
        "2026-11-09T23:10:00.500000Z",
    )
    assert db.execute("SELECT voted_at FROM training_votes ORDER BY voted_at").fetchall() == [
        ("2026-11-05T13:00:00.000000Z",),
        ("2026-11-05T13:00:00.000001Z",),
        ("2026-11-16T23:20:00.000000Z",),
    ]
    (options,) = db.execute("SELECT options FROM training_polls").fetchone()
    assert json.loads(options) == [{"id": "date-1", "starts_at": "2026-11-26T12:30:00.000000Z"}]
    # The local copy of a slot's start is gone; its UTC columns took the plain names.
    columns = [row[1] for row in db.execute("PRAGMA table_info(permanence_slots)")]
    assert "starts_utc" not in columns and "ends_utc" not in columns
    assert db.execute(
        "SELECT starts_at, ends_at FROM permanence_slots WHERE id = 1"
    ).fetchone() == (
        "2026-11-24T11:30:00.000000Z",
        "2026-11-24T12:15:00.000000Z",
    )
    # No index is left on julianday(): comparisons are plain text now.
    indexes = [sql for (sql,) in db.execute("SELECT sql FROM sqlite_master WHERE type = 'index'")]
    assert not [sql for sql in indexes if sql and "julianday" in sql]
    plan = db.execute(
        "EXPLAIN QUERY PLAN SELECT count(*) FROM veille_items WHERE establishment_id = ?"
        " AND posted_at >= ? AND posted_at < ?",
        ("clg-test", "2026-11-01", "2026-12-01"),
    ).fetchall()
    assert "veille_items_posted" in str(plan)

    said = await listings(db)
    for line, expected in LISTINGS.items():
        assert said[line] == expected, line
    assert figures(db) == FIGURES
