"""!mes-donnees, !oublie-moi and the yearly purge cover every personal column."""

import dataclasses
import json
import re
from datetime import UTC, date, datetime

from hypothesis import given
from hypothesis import strategies as st

from bot.core.scheduler import Scheduler
from commands.donnees import export_json, purge_cutoff, yearly_purge
from storage import donnees, oubli
from storage.establishments import record_member
from storage.inbox import InboxItem, accept_batch, set_state
from storage.outbox import file_data, queue_message
from tests.conftest import PARIS, PRINCIPAL, REFERENT, TEACHER
from tests.support.reading import queued_as_read

MATRIX_ID = re.compile(r"@[a-z0-9._=/+\-]+:[a-z0-9.\-]+(:\d+)?", re.IGNORECASE)
PROF2 = "@prof2:localhost"
# Columns whose name says they hold a person, even when a test left them empty.
PERSON_COLUMN = re.compile(r"^(user_id|sender|author|voter|reporter|dm_user|mentions|.*_by)$")

# What every family's commands write when people use them.
ACTIVITY = [
    (REFERENT, "!permanence ouvrir mardi 12h30 1 place B12"),
    (TEACHER, "!permanence réserver 1 Pronote"),
    (PROF2, "!permanence réserver 1 ENT"),
    (TEACHER, "!permanence annuler 1"),
    (REFERENT, "!permanence ouvrir jeudi 17h"),
    (PROF2, "!permanence réserver jeudi 17h"),
    (REFERENT, "!permanence fermer jeudi 17h"),
    (REFERENT, "!enquete ouvrir https://enquetes.example.org/rupn 15/12 Usages du numérique"),
    (PROF2, "!enquete fait"),
    (TEACHER, "!formation Utiliser Pronote pour le cahier de textes #environnement-numerique"),
    (PROF2, "!formation +1 1"),
    (PROF2, "!formation Créer des cartes mentales"),
    (REFERENT, "!formation planifier 2 jeudi 3 décembre 12h30 CDI"),
    (REFERENT, "!formation clore 1 vu en conseil pédagogique"),
    (PROF2, "!panne vidéoprojecteur salle 12 ne s'allume pas"),
    (PROF2, "!panne ticket 1 GLPI-4521"),
    (TEACHER, "!panne le VPI de la salle 12 reste noir"),
    (TEACHER, "!panne salle 12"),
    (REFERENT, "!panne visite"),
    (REFERENT, "!panne résolue 1"),
    # Internal addresses: the page is refused without any connection, the link is kept.
    (REFERENT, "!veille http://localhost/veille/article?utm_source=x Pour la classe #ia"),
    (REFERENT, "!veille http://localhost/veille/autre"),
    (REFERENT, "!veille retirer 2"),
    (TEACHER, "!veille"),
    (PROF2, "!veille cherche classe"),
    (REFERENT, "!fiche ajouter wifi-cdi Le code du wifi est affiché au CDI."),
    (REFERENT, "!fiche modifier wifi-cdi Le code du wifi est affiché au CDI, près de l'entrée."),
    (TEACHER, "!fiche wifi cdi"),
    (TEACHER, "!projet 4e B histoire Podcast sur la Révolution #podcast"),
    (PROF2, "!projet cherche podcast"),
    (TEACHER, "!panne le wifi du CDI ne marche plus"),
    (REFERENT, "!objectifs ajouter Former les collègues à l'ENT indicateur: sessions>=2"),
    (PRINCIPAL, "!objectifs ajouter Ouvrir une permanence numérique"),
    (PRINCIPAL, "!objectifs point 1 Une session en décembre"),
    (REFERENT, "!objectifs atteint 2 tous les mardis"),
    (TEACHER, "!objectifs"),
    (PRINCIPAL, "!bilan"),
    (PRINCIPAL, f"!etablissement referent ajouter {PROF2}"),
    (PRINCIPAL, f"!etablissement direction ajouter {TEACHER}"),
    (PRINCIPAL, f"!etablissement direction retirer {TEACHER}"),
]


async def use_everything(chat):
    for sender, text in ACTIVITY:
        await chat.say(sender, text)
    # What the Matrix layer writes around commands.
    for person in (TEACHER, PROF2, REFERENT, PRINCIPAL):
        record_member(chat.db, "clg-test", person, "teacher", chat.now, display_name="X")
    accept_batch(chat.db, [InboxItem("$e", "!abc:localhost", PROF2, "!aide", 1)], "t", chat.now)
    queue_message(
        chat.db,
        establishment_id="clg-test",
        body="b",
        html="h",
        mentions=(PROF2,),
        txn_id="t1",
        now=chat.now,
        dm_user=PROF2,
    )
    set_state(chat.db, f"dm:{PROF2}", "!dm:localhost")


def columns_holding_ids(db) -> dict[str, set[str]]:
    """table.column -> the Matrix IDs found in it."""
    found: dict[str, set[str]] = {}
    for table in db.table_names():
        if table.startswith("sqlite_") or "_fts" in table:
            continue
        for column in db[table].columns:
            for (value,) in db.execute(f'SELECT "{column.name}" FROM "{table}"').fetchall():
                for match in MATRIX_ID.finditer(str(value or "")):
                    found.setdefault(f"{table}.{column.name}", set()).add(match.group())
    return found


def declared() -> set[str]:
    return {f"{c.table}.{c.column}" for c in donnees.PERSONAL_DATA} | {"bot_state.key"}


async def test_every_column_holding_a_matrix_id_is_covered(chat):
    await use_everything(chat)
    holding = set(columns_holding_ids(chat.db))
    # Free text written by the bot about people goes with a declared column of its row.
    companions = {
        f"{c.table}.{t}"
        for c in donnees.PERSONAL_DATA
        for t in c.text_columns + c.blanked_columns + c.event_columns
    }
    assert holding - declared() - companions == set()
    named = {
        f"{t}.{c.name}"
        for t in chat.db.table_names()
        for c in chat.db[t].columns
        if PERSON_COLUMN.match(c.name)
    }
    assert named - declared() == set()


async def test_after_forgetting_the_id_appears_nowhere(chat):
    await use_everything(chat)
    oubli.forget_user(chat.db, PROF2)
    assert not any(PROF2 in ids for ids in columns_holding_ids(chat.db).values())
    assert donnees.export_user(chat.db, PROF2) == {}


async def test_mes_donnees_sends_everything_privately(chat):
    await use_everything(chat)
    reply = await chat.say(PROF2, "!mes-donnees")
    assert reply.body.startswith("Je vous envoie vos données en message privé")
    summary, document = [m for m in queued_as_read(chat.db) if m.dm_user == PROF2][-2:]
    assert "- Vos réservations de permanence numérique : 2" in summary.body
    assert document.filename.startswith("mes-donnees-") and document.mimetype == "application/json"
    assert reply.body.count("message privé") == 1 and "ENT" not in reply.body
    data = json.loads(file_data(chat.db, document.id))
    bookings = data["données"]["permanence_bookings.user_id"]
    assert {b["subject"] for b in bookings} == {"ENT", None}
    assert "members.user_id" in data["données"] and "bot_state.key" in data["données"]


async def test_forgetting_asks_first_then_keeps_the_counts(chat):
    await use_everything(chat)
    booked_before = chat.db.execute(
        "SELECT count(*) FROM permanence_bookings WHERE status = 'booked'"
    ).fetchone()[0]
    reply = await chat.say(PROF2, "!oublie-moi")
    assert "tapez `!oublie-moi confirmer`" in reply.body
    held = donnees.export_user(chat.db, PROF2)
    assert held != {}
    # The number announced is the number of rows the export shows.
    assert f" {sum(len(rows) for rows in held.values())} " in reply.body
    reply = await chat.say(PROF2, "!oublie-moi confirmer")
    assert reply.body.startswith("C'est fait : ")
    assert (await chat.say(PROF2, "!mes-donnees")).body == "Je ne garde aucune donnée à votre nom."
    booked_after = chat.db.execute(
        "SELECT count(*) FROM permanence_bookings WHERE status = 'booked'"
    ).fetchone()[0]
    assert booked_after == booked_before
    subjects = [r[0] for r in chat.db.execute("SELECT subject FROM permanence_bookings")]
    assert "ENT" not in subjects


def test_purge_cutoff_is_the_retention_before_the_end_of_the_school_year():
    assert purge_cutoff(date(2027, 9, 1), 12) == date(2026, 9, 1)
    assert purge_cutoff(date(2027, 9, 1), 24) == date(2025, 9, 1)
    assert purge_cutoff(date(2027, 9, 1), 1) == date(2027, 8, 1)


async def test_yearly_purge_anonymises_old_rows_once(chat, caplog):
    old = datetime(2025, 3, 10, 9, 0, tzinfo=PARIS)
    await chat.say(REFERENT, "!permanence ouvrir mardi 12h30", now=old)
    await chat.say(TEACHER, "!permanence réserver 1 tablettes", now=old)
    await chat.say(REFERENT, "!permanence ouvrir jeudi 17h")  # November 2026: kept
    await chat.say(PROF2, "!permanence réserver jeudi 17h récent")
    clock = lambda: datetime(2026, 9, 1, 1, 0, tzinfo=UTC)  # noqa: E731
    scheduler = Scheduler([yearly_purge], chat.config, chat.db, chat.renderer, clock)
    with caplog.at_level("INFO"):
        await scheduler.run(yearly_purge, chat.config.establishments[0])
        await scheduler.run(yearly_purge, chat.config.establishments[0])  # same year: nothing
        # The purge covers the whole database: another establishment's run only records.
        other = dataclasses.replace(chat.config.establishments[0], id="clg-autre")
        await scheduler.run(yearly_purge, other)
    ran_for = {row[0] for row in chat.db.execute("SELECT establishment_id FROM job_runs")}
    assert {"clg-test", "clg-autre"} <= ran_for
    assert donnees.export_user(chat.db, TEACHER) == {}
    kept_series = donnees.export_user(chat.db, REFERENT)["permanence_series.opened_by"]
    assert [series["start_time"] for series in kept_series] == ["17:00"]
    assert [
        b["subject"] for b in donnees.export_user(chat.db, PROF2)["permanence_bookings.user_id"]
    ] == ["récent"]
    assert caplog.text.count("yearly purge 2025-2026 for clg-test: 2 personal row(s)") == 1
    assert caplog.text.count("yearly purge") == 1


def test_yearly_purge_forgets_only_the_poll_answers_older_than_the_cutoff(db):
    # Poll answers are dated by the event's timestamp in milliseconds, not by a stamp.
    from storage.formation import PollOption, attach_poll, record_need, record_poll_response

    autumn = datetime(2025, 10, 6, 9, 0, tzinfo=PARIS)
    need = record_need(db, "clg-test", "Pronote", (), REFERENT, autumn)
    attach_poll(db, need, "$poll", "!abc:localhost", [PollOption("a", autumn)], REFERENT, autumn)
    for voter, answered in ((TEACHER, autumn), (PROF2, datetime(2026, 10, 5, tzinfo=PARIS))):
        ms = int(answered.timestamp() * 1000)
        record_poll_response(db, "$poll", voter, f"$answer-{voter}", ["a"], ms)

    oubli.purge_before(db, datetime(2026, 9, 1, tzinfo=PARIS))

    voters = {row[0] for row in db.execute("SELECT voter FROM training_poll_responses")}
    assert PROF2 in voters and TEACHER not in voters


def personal_tables(db) -> set[str]:
    return {c.table for c in donnees.PERSONAL_DATA if c.table in db.table_names()}


def test_every_text_column_beside_a_person_is_classified(db):
    # A new text column in a table holding someone must say whose words it holds.
    for table in personal_tables(db):
        declared_here = [c for c in donnees.PERSONAL_DATA if c.table == table]
        handled = {c.column for c in declared_here}
        for c in declared_here:
            handled |= set(c.text_columns + c.blanked_columns + c.event_columns)
        handled |= set(donnees.NOT_WORDS.get(table, ()))
        texts = {c.name for c in db[table].columns if c.type.upper() == "TEXT"}
        assert texts - handled == set(), f"{table}: whose words are these?"
        assert handled - {c.name for c in db[table].columns} == set(), f"{table}: gone columns"


# What an export leaves out on purpose: a file's bytes, the HTML copy of a message,
# technical ids, and the person's own ID in their direct messages.
NOT_EXPORTED = {
    "outbox": {"id", "room_id", "dm_user", "html", "mentions", "txn_id", "mimetype", "data",
               "event_id", "failure_code", "failure", "slot", "alert", "not_before"},
    "incidents": {"room_key"},  # the exported room, written one way to compare rooms
}  # fmt: skip


def test_every_column_of_an_exported_table_is_exported_or_left_out_on_purpose(db):
    for table in personal_tables(db):
        if all(c.transient for c in donnees.PERSONAL_DATA if c.table == table):
            continue
        columns = {c.name for c in db[table].columns}
        exported = set(donnees.EXPORTED[table])
        assert exported <= columns
        assert columns - exported == NOT_EXPORTED.get(table, set()), table


def waiting_exports(db, user_id) -> list:
    return [m for m in queued_as_read(db) if m.dm_user == user_id]


async def test_asking_again_replaces_the_export_still_waiting(chat):
    await use_everything(chat)
    await chat.say(PROF2, "!mes-donnees")
    first = waiting_exports(chat.db, PROF2)
    first_file = next(m for m in first if m.filename)
    size = len(file_data(chat.db, first_file.id))
    for _ in range(11):
        reply = await chat.say(PROF2, "!mes-donnees")
        assert reply.body.startswith("Je vous envoie vos données en message privé")
    waiting = waiting_exports(chat.db, PROF2)
    # The digest-like direct message queued by use_everything, one summary, one file.
    assert len(waiting) == len(first) == 3
    (document,) = [m for m in waiting if m.filename]
    data = file_data(chat.db, document.id)
    assert len(data) == size  # no earlier export inside, whatever the number of requests
    exported_messages = json.loads(data)["données"]["outbox.dm_user"]
    assert [m["body"] for m in exported_messages] == ["b"]
    assert all("data" not in m and "html" not in m for m in exported_messages)


async def test_an_export_too_large_is_not_queued(chat, monkeypatch):
    from commands import donnees as command

    await use_everything(chat)
    monkeypatch.setattr(command, "EXPORT_MAX_BYTES", 1_000)
    reply = await chat.say(PROF2, "!mes-donnees")
    assert reply.body.startswith("Vos données pèsent ")
    assert "que je peux vous envoyer en un fichier : je ne vous les envoie pas" in reply.body
    assert not [m for m in waiting_exports(chat.db, PROF2) if m.filename]


_ROW_VALUES = st.none() | st.integers() | st.text() | st.booleans()


@given(
    st.dictionaries(
        st.text(min_size=1),
        st.lists(st.dictionaries(st.text(min_size=1), _ROW_VALUES, max_size=4), max_size=4),
        max_size=4,
    ),
    st.text(),
)
def test_the_export_file_reads_back_as_the_rows_exported(found, user_id):
    document = {"utilisateur": user_id, "exporté le": "2026-11-28T10:00:00+01:00", "données": found}
    text = export_json(document)
    assert json.loads(text) == document
    # One row per line, so that a person can read it.
    assert text.count("\n") == 6 + sum(len(rows) + 2 for rows in found.values()) - (not found)


def test_every_lookup_of_a_person_goes_through_an_index(db):
    # Asked in every personal column, a lookup that reads a whole table grows with the
    # académie; a list of IDs reads the partial index of rows that have any. A table
    # that only holds what is on its way (the inbox) stays a few rows long.
    for column in donnees.PERSONAL_DATA:
        if column.transient:
            continue
        clause, params = donnees.person_filter(column, TEACHER)
        plan = " ".join(
            row[3]
            for row in db.execute(
                f"EXPLAIN QUERY PLAN SELECT count(*) FROM {column.table} WHERE {clause}", params
            )
        )
        expected = "USING INDEX" if column.json_list else "SEARCH"
        assert expected in plan, f"{column.table}.{column.column}: {plan}"
