"""The permanence prepared and recorded: the referents' recap, !permanence fait, the report."""

from dataclasses import replace
from datetime import datetime

from bot.core.dispatcher import Outcome
from bot.core.scheduler import Scheduler
from commands.permanence import prepare_referents
from storage import donnees, oubli
from storage.establishments import record_member
from tests.conftest import PARIS, PRINCIPAL, REFERENT, TEACHER
from tests.support.reading import queued_as_read
from tests.unit.test_bilan import ask_report, numbers, table_row
from tests.unit.test_permanence import PROF2, PROF3, Clock

TUESDAY = datetime(2026, 11, 24, 9, 0, tzinfo=PARIS)  # slot n° 1 is at 12 h 30
AFTER_FIRST = datetime(2026, 11, 24, 13, 30, tzinfo=PARIS)
AFTER_SECOND = datetime(2026, 12, 1, 13, 30, tzinfo=PARIS)
REPORT = datetime(2026, 12, 10, 9, 0, tzinfo=PARIS)


async def booked_tuesday(chat):
    """Two seats on Tuesdays at 12 h 30: two people booked with a subject, one waiting."""
    await chat.say(REFERENT, "!permanence ouvrir mardi 12h30 45min 2 places B12")
    await chat.say(TEACHER, "!permanence réserver 1 Pronote : le cahier de textes")
    await chat.say(PROF2, "!permanence réserver 1")
    await chat.say(PROF3, "!permanence réserver 1 l'ENT")


def attendance(db) -> list[tuple]:
    return db.execute(
        "SELECT slot_id, user_id FROM permanence_attendance ORDER BY slot_id, id"
    ).fetchall()


async def test_each_referent_gets_the_recap_privately_once_when_people_are_reminded(chat):
    await booked_tuesday(chat)
    school = replace(chat.config.establishments[0], referents=(REFERENT, PRINCIPAL))
    clock = Clock(datetime(2026, 11, 24, 10, 29, tzinfo=PARIS))

    def scheduler():
        return Scheduler([prepare_referents], chat.config, chat.db, chat.renderer, clock)

    assert await scheduler().run(prepare_referents, school) == 0  # 2 h 01 before
    clock.now = datetime(2026, 11, 24, 10, 31, tzinfo=PARIS)
    assert await scheduler().run(prepare_referents, school) == 2
    assert await scheduler().run(prepare_referents, school) == 0  # a restart: same ledger
    recaps = queued_as_read(chat.db)
    assert [m.dm_user for m in recaps] == [REFERENT, PRINCIPAL]
    assert all(m.room_id is None for m in recaps)
    recap = recaps[0]
    assert recap.body.startswith(
        "Pour préparer la permanence numérique du mardi 24 novembre à 12 h 30 (n° 1, salle B12)"
        " : 2 inscrits sur 2 places."
    )
    assert f"- {TEACHER} : Pronote : le cahier de textes\n" in recap.body
    assert f"- {PROF2} (sans sujet précisé)\n" in recap.body
    assert f"En liste d'attente :\n- {PROF3} : l'ENT\n" in recap.body
    assert "!permanence fait 1 Pronote, ENT" in recap.body
    assert set(recap.mentions) == {TEACHER, PROF2, PROF3}
    assert f'<li><a href="https://matrix.to/#/{TEACHER}">' in recap.html
    assert len({m.txn_id for m in recaps}) == 2
    assert REFERENT not in recap.txn_id  # the ID stays out of an id that travels in URLs


async def test_a_slot_nobody_booked_gets_no_recap(chat):
    await chat.say(REFERENT, "!permanence ouvrir mardi 12h30")
    clock = Clock(datetime(2026, 11, 24, 11, 0, tzinfo=PARIS))
    scheduler = Scheduler([prepare_referents], chat.config, chat.db, chat.renderer, clock)
    assert await scheduler.run(prepare_referents, chat.config.establishments[0]) == 0


async def test_recording_counts_the_booked_people_unless_told_otherwise(chat):
    await booked_tuesday(chat)
    reply = await chat.say(REFERENT, "!permanence fait 1 Pronote, ENT", now=AFTER_FIRST)
    assert reply.body.startswith(
        "C'est noté : à la permanence numérique du mardi 24 novembre à 12 h 30 (n° 1, salle"
        " B12), 2 personnes présentes (les inscrits) ; sujets : Pronote, ENT."
    )
    assert TEACHER not in reply.body and not reply.mentions
    assert attendance(chat.db) == [(1, TEACHER), (1, PROF2)]

    # Recording again replaces: only the people named came.
    reply = await chat.say(REFERENT, f"!permanence fait 1 {PROF3} @prof1 ENT", now=AFTER_FIRST)
    assert "(cela remplace ce que j'avais noté)" in reply.body
    assert "2 personnes présentes ; sujets : ENT." in reply.body
    assert attendance(chat.db) == [(1, PROF3), (1, TEACHER)]


async def test_a_pill_s_display_name_names_the_person(chat):
    await booked_tuesday(chat)
    record_member(chat.db, "clg-test", PROF2, "teacher", chat.now, display_name="Camille Dupont")
    await chat.say(
        REFERENT, "!permanence fait 1 Camille Dupont : classe virtuelle", now=AFTER_FIRST
    )
    assert "1 personne présente ; sujets : classe virtuelle." in chat.messenger.last.body
    assert attendance(chat.db) == [(1, PROF2)]


async def test_nobody_came(chat):
    await booked_tuesday(chat)
    reply = await chat.say(REFERENT, "!permanence fait 1 personne", now=AFTER_FIRST)
    assert "(n° 1, salle B12), personne n'est venu." in reply.body
    assert "!permanence fait 1 personne Pronote, ENT" in reply.body  # how to add the topics
    assert attendance(chat.db) == []
    assert chat.db.execute("SELECT count(*) FROM permanence_records").fetchone()[0] == 1


async def test_refusals_change_nothing(chat):
    await booked_tuesday(chat)
    reply = await chat.say(REFERENT, "!permanence fait 1 Pronote", now=TUESDAY)
    assert reply.body.startswith(
        "La permanence n° 1 n'a pas encore eu lieu (elle commence le mardi 24 novembre à"
        " 12 h 30) : notez-la après."
    )
    reply = await chat.say(REFERENT, "!permanence fait 1 @inconnu Pronote", now=AFTER_FIRST)
    assert "Je ne connais personne ici qui s'appelle « @inconnu »" in reply.body
    reply = await chat.say(REFERENT, "!permanence fait 42", now=AFTER_FIRST)
    assert "La permanence n° 42 n'existe pas." in reply.body
    await chat.say(TEACHER, "!permanence fait 1 personne", now=AFTER_FIRST)
    assert chat.outcome is Outcome.FORBIDDEN
    assert chat.db.execute("SELECT count(*) FROM permanence_records").fetchone()[0] == 0


async def recorded_two_tuesdays(chat):
    await booked_tuesday(chat)
    await chat.say(REFERENT, "!permanence fait 1 Pronote; ENT et tableur", now=AFTER_FIRST)
    await chat.say(TEACHER, "!permanence réserver 2 ENT", now=AFTER_FIRST)
    await chat.say(REFERENT, "!permanence fait 2 personne", now=AFTER_SECOND)


async def test_the_report_counts_attendance_and_lists_topics_without_names(chat):
    await recorded_two_tuesdays(chat)
    _, files = await ask_report(chat, now=REPORT)
    text = files[0][1]
    assert table_row(text, "Permanences numériques tenues") == ["3"]
    assert table_row(text, "Permanences où au moins une personne est venue") == ["1"]
    assert table_row(text, "Permanences où personne n'est venu") == ["1"]
    assert table_row(text, "Permanences sans compte rendu") == ["1"]
    assert table_row(text, "Présences (une personne à une permanence)") == ["2"]
    assert "Sujets abordés en permanence : ENT (1), Pronote (1), Tableur (1)." in text
    assert "@" not in text


async def test_attendance_is_exported_and_forgotten_with_the_counts_kept(chat):
    await recorded_two_tuesdays(chat)
    exported = donnees.export_user(chat.db, PROF2)["permanence_attendance.user_id"]
    assert [row["slot_id"] for row in exported] == [1]
    assert donnees.export_user(chat.db, REFERENT)["permanence_records.recorded_by"]
    _, before = await ask_report(chat, now=REPORT)
    oubli.forget_user(chat.db, PROF2)
    oubli.forget_user(chat.db, REFERENT)
    assert PROF2 not in [user for _, user in attendance(chat.db)]
    assert "permanence_attendance.user_id" not in donnees.export_user(chat.db, PROF2)
    _, after = await ask_report(chat, now=REPORT, sender=PRINCIPAL)
    assert numbers(after[0][1]) == numbers(before[0][1])
    assert "Sujets abordés en permanence : ENT (1)" in after[0][1]


async def test_aide_shows_referents_how_to_record_a_permanence(chat):
    teacher = (await chat.say(TEACHER, "!aide")).body
    referent = (await chat.say(REFERENT, "!aide")).body
    assert "!permanence fait" not in teacher
    assert "`!permanence fait <n°> [présents…] [sujets…]`" in referent
    detail = (await chat.say(REFERENT, "!aide permanence fait")).body
    assert "!permanence fait 12 @prof1 @prof2 Pronote, ENT" in detail
    assert "!permanence fait 12 personne" in detail
