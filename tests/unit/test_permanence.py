"""!permanence through the real dispatcher, a temp SQLite file and the school calendar."""

import copy
import sqlite3
import threading
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest
from icalendar import Calendar

from bot.core.config import parse_config
from bot.core.dispatcher import Outcome
from bot.core.scheduler import Scheduler
from commands.permanence import extend_calendar, ics_calendar, remind_booked_people
from storage import open_database
from storage import permanence as store
from tests.conftest import MINIMAL_CONFIG, PARIS, REFERENT, TEACHER
from tests.support.reading import queued_as_read

PROF2, PROF3 = "@prof2:localhost", "@prof3:localhost"


def bookings(db) -> list[tuple]:
    return db.execute(
        "SELECT slot_id, user_id, status FROM permanence_bookings ORDER BY id"
    ).fetchall()


async def open_tuesdays(chat, spec="mardi 12h30 45min 2 places B12"):
    return await chat.say(REFERENT, f"!permanence ouvrir {spec}")


async def test_opening_a_series_lists_its_dates_and_skips_the_holidays(chat):
    reply = await open_tuesdays(chat)
    assert "chaque mardi à 12 h 30, pendant 45 min, 2 places, salle B12" in reply.body
    assert "n° 1 : mardi 24 novembre à 12 h 30, salle B12" in reply.body
    assert "n° 4 : mardi 15 décembre à 12 h 30" in reply.body
    assert "congés" not in reply.body
    # A week later, the fourth week falls in the Christmas holidays of zone B.
    later = datetime(2026, 11, 30, 9, 0, tzinfo=PARIS)
    reply = await chat.say(REFERENT, "!permanence ouvrir mardi 17h", now=later)
    assert (
        "Pas de permanence pendant les congés :\n- mardi 22 décembre 2026 (Vacances de Noël)"
        in (reply.body)
    )


async def test_a_tuesday_series_opened_in_october_skips_toussaint(chat):
    october = datetime(2026, 10, 6, 8, 0, tzinfo=PARIS)
    await chat.say(REFERENT, "!permanence ouvrir mardi 12h30", now=october)
    days = [
        s.starts_at.day
        for s in store.upcoming_slots(chat.db, "clg-test", october, october + timedelta(weeks=5))
    ]
    assert days == [6, 13]  # 20 and 27 October are in the Toussaint holidays
    assert "- mardi 20 octobre 2026 (Vacances de la Toussaint)" in chat.messenger.last.body
    assert "- mardi 27 octobre 2026 (Vacances de la Toussaint)" in chat.messenger.last.body


async def test_defaults_are_one_hour_and_five_seats(chat):
    reply = await chat.say(REFERENT, "!permanence ouvrir jeudi 17h")
    assert "chaque jeudi à 17 h, pendant 1 h, 5 places." in reply.body


async def test_listing_shows_numbers_and_seats_left(chat):
    await open_tuesdays(chat)
    await chat.say(TEACHER, "!permanence réserver 1 Pronote")
    reply = await chat.say(TEACHER, "!permanence")
    assert "- n° 1 : mardi 24 novembre à 12 h 30, salle B12 — 1 place libre" in reply.body
    assert "- n° 2 : mardi 1er décembre à 12 h 30, salle B12 — 2 places libres" in reply.body
    assert "n° 3" not in reply.body  # two weeks only


async def test_booking_by_number_or_by_date(chat):
    await open_tuesdays(chat)
    reply = await chat.say(TEACHER, "!permanence réserver 2 classe virtuelle")
    assert (
        "vous avez une place à la permanence numérique du mardi 1er décembre à 12 h 30 (n° 2"
        in reply.body
    )
    assert "Sujet : classe virtuelle." in reply.body
    reply = await chat.say(PROF2, "!permanence réserver Mardi 12H30")
    assert "du mardi 24 novembre à 12 h 30 (n° 1, salle B12)" in reply.body
    assert bookings(chat.db) == [(2, TEACHER, "booked"), (1, PROF2, "booked")]


async def test_no_double_booking(chat):
    await open_tuesdays(chat)
    await chat.say(TEACHER, "!permanence réserver 1")
    reply = await chat.say(TEACHER, "!permanence réserver mardi 12h30")
    assert reply.body.startswith("Vous avez déjà une place")
    assert len(bookings(chat.db)) == 1


async def test_full_slot_waitlist_is_promoted_on_cancellation(chat):
    await open_tuesdays(chat)
    for person in (TEACHER, PROF2):
        await chat.say(person, "!permanence réserver 1")
    reply = await chat.say(PROF3, "!permanence réserver 1")
    assert "est complète : vous êtes **en liste d'attente** (position 1)" in reply.body
    reply = await chat.say(TEACHER, "!permanence annuler 1")
    assert (
        "Votre inscription à la permanence numérique du mardi 24 novembre à 12 h 30 (n° 1"
        in reply.body
    )
    (notice,) = queued_as_read(chat.db)
    assert notice.mentions == (PROF3,)
    assert "une place s'est libérée : vous êtes inscrit(e)" in notice.body
    assert [b[1:] for b in bookings(chat.db)] == [
        (TEACHER, "cancelled"),
        (PROF2, "booked"),
        (PROF3, "booked"),
    ]


async def test_my_bookings(chat):
    await open_tuesdays(chat, "mardi 12h30 1 place")
    await chat.say(TEACHER, "!permanence réserver 1 ENT")
    await chat.say(PROF2, "!permanence réserver 1")
    await chat.say(PROF2, "!permanence réserver 2")
    reply = await chat.say(PROF2, "!permanence mes")
    assert "- n° 1 : mardi 24 novembre à 12 h 30 — en liste d'attente (position 1)" in reply.body
    assert "- n° 2 : mardi 1er décembre à 12 h 30" in reply.body
    assert "ENT" not in reply.body  # someone else's subject


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("!permanence réserver mercredi 25h", "Je ne comprends pas la date « mercredi 25h »"),
        ("!permanence réserver 99", "La permanence n° 99 n'existe pas."),
        ("!permanence réserver jeudi 19 novembre à 12 h 30", "Cette date est passée"),
        ("!permanence réserver mercredi 12h30", "Il n'y a pas de permanence numérique le mercredi"),
        ("!permanence réserver abc", "Je ne comprends pas la date « abc »"),
        ("!permanence ouvrir 12h30", "Indiquez le jour de la semaine et l'heure"),
        ("!permanence ouvrir mardi 12h30 0 places", "Le nombre de places doit aller de 1 à 50."),
        ("!permanence ouvrir mardi 12h30 9h", "La durée doit aller de 10 minutes à 4 heures"),
    ],
)
async def test_bad_arguments_explain_and_change_nothing(chat, command, expected):
    await open_tuesdays(chat)
    before = (bookings(chat.db), len(store.active_series(chat.db)))
    sender = REFERENT if "ouvrir" in command else TEACHER
    reply = await chat.say(sender, command)
    assert expected in reply.body
    assert "Par exemple : `!permanence" in reply.body
    assert (bookings(chat.db), len(store.active_series(chat.db))) == before


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("!permanence annuler 1", "Vous n'êtes pas inscrit(e) à la permanence n° 1."),
        (
            "!permanence réserver 2",
            "La permanence n° 2 (mardi 1er décembre à 12 h 30) est annulée.",
        ),
        ("!permanence réserver 3", "Cette permanence numérique a déjà commencé."),
    ],
)
async def test_refusals_say_why_in_one_sentence_and_change_nothing(chat, command, expected):
    await open_tuesdays(chat)
    await chat.say(REFERENT, "!permanence fermer 2")
    before = bookings(chat.db)
    # Typed as n° 3 begins: booking it is too late.
    now = store.slot_by_number(chat.db, "clg-test", 3).starts_at
    reply = await chat.say(TEACHER, command, now=now)
    assert chat.outcome is Outcome.REFUSED
    assert reply.body == expected  # typing it again would not help: no usage line, no example
    assert bookings(chat.db) == before


async def test_teachers_cannot_open_or_close(chat):
    reply = await chat.say(TEACHER, "!permanence ouvrir mardi 12h30")
    assert reply.body == "La commande `!permanence ouvrir` est réservée aux référents numériques."
    assert store.active_series(chat.db) == []


async def test_closing_an_occurrence_tells_the_booked_people(chat):
    await open_tuesdays(chat)
    await chat.say(TEACHER, "!permanence réserver 2")
    reply = await chat.say(REFERENT, "!permanence fermer mardi 1er décembre 12h30")
    assert "est annulée. 1 personne prévenue." in reply.body
    (notice,) = queued_as_read(chat.db)
    assert notice.mentions == (TEACHER,)
    assert (
        "la permanence numérique du mardi 1er décembre à 12 h 30 (n° 2, salle B12) est **annulée**"
        in (notice.body)
    )
    reply = await chat.say(PROF2, "!permanence réserver 2")
    assert "est annulée" in reply.body and len(bookings(chat.db)) == 1


async def test_ics_calendar_has_the_time_zone_and_room(chat):
    await open_tuesdays(chat)
    await chat.say(TEACHER, "!permanence ics")
    sent = chat.messenger.sent[-1]
    assert sent.filename == "permanences-clg-test.ics"
    text = sent.data.decode()
    assert "BEGIN:VTIMEZONE" in text and "TZID:Europe/Paris" in text
    assert "DTSTART;TZID=Europe/Paris:20261124T123000" in text
    assert "LOCATION:B12" in text and text.count("BEGIN:VEVENT") == 4


def test_ics_file_reads_back_with_icalendar(config):
    establishment = config.establishments[0]
    place = "B12, bâtiment Jean Jaurès; 2e étage — entre le CDI et la salle des professeurs"
    slots = [
        store.Slot(
            1, n, 1, establishment.id, start, start + timedelta(hours=1), 5, place, False, 2, 0
        )
        for n, start in (
            (3, datetime(2027, 3, 23, 12, 30, tzinfo=PARIS)),  # before the clocks go forward
            (4, datetime(2027, 3, 30, 12, 30, tzinfo=PARIS)),  # after
        )
    ]
    ctx = SimpleNamespace(
        establishment=establishment, now=datetime(2027, 3, 20, 9, tzinfo=PARIS), prefix="!"
    )
    data = ics_calendar(ctx, slots)

    assert all(len(line) <= 75 for line in data.split(b"\r\n"))
    calendar = Calendar.from_ical(data)
    assert calendar.walk("VTIMEZONE")[0]["TZID"] == "Europe/Paris"
    events = calendar.walk("VEVENT")
    assert [e.decoded("DTSTART") for e in events] == [s.starts_at for s in slots]
    assert [e.decoded("DTSTART").utcoffset() for e in events] == [
        timedelta(hours=1),
        timedelta(hours=2),
    ]
    assert str(events[0]["LOCATION"]) == place
    assert str(events[1]["DESCRIPTION"]) == (
        "Places libres : 3 sur 5. Réserver : !permanence réserver 4"
    )
    assert events[0].decoded("DTSTAMP") == datetime(2027, 3, 20, 8, tzinfo=UTC)


def one_tuesday_slot(db, capacity: int) -> None:
    """A series with one occurrence, slot 1, on Tuesday 24 November 12:30."""
    series = store.open_series(
        db,
        establishment_id="clg-test",
        weekday=1,
        start_time=datetime(2026, 1, 1, 12, 30).time(),
        duration=timedelta(hours=1),
        capacity=capacity,
        place=None,
        opened_by=REFERENT,
        now=datetime(2026, 11, 23, 9, 0, tzinfo=PARIS),
    )
    store.add_occurrences(db, series, [datetime(2026, 11, 24, 12, 30, tzinfo=PARIS)])


def test_ten_people_racing_for_the_last_seat_get_one_booking(tmp_path, db):
    one_tuesday_slot(db, capacity=1)
    path = db.execute("PRAGMA database_list").fetchone()[2]
    barrier = threading.Barrier(10)
    outcomes = []

    def race(n):
        conn = open_database(path)  # one connection per contender, like separate processes
        barrier.wait()
        outcome = store.book_slot(
            conn, 1, f"@prof{n}:localhost", None, datetime(2026, 11, 23, 9, 0, tzinfo=PARIS)
        )
        outcomes.append(outcome.status)
        conn.close()

    threads = [threading.Thread(target=race, args=(n,)) for n in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["booked"] + ["waiting"] * 9
    assert (
        db.execute("SELECT count(*) FROM permanence_bookings WHERE status = 'booked'").fetchone()[0]
        == 1
    )


def test_the_database_refuses_a_second_live_booking(db):
    one_tuesday_slot(db, capacity=3)
    db.execute(
        "INSERT INTO permanence_bookings (slot_id, user_id, status, created_at, updated_at)"
        " VALUES (1, 'x', 'booked', '', '')"
    )
    with pytest.raises(sqlite3.IntegrityError):
        db.execute(
            "INSERT INTO permanence_bookings (slot_id, user_id, status, created_at,"
            " updated_at) VALUES (1, 'x', 'waiting', '', '')"
        )


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


async def test_reminder_is_sent_once_two_hours_before_even_after_a_restart(chat):
    await open_tuesdays(chat)
    await chat.say(TEACHER, "!permanence réserver 1")
    await chat.say(PROF2, "!permanence réserver 1")
    clock = Clock(datetime(2026, 11, 24, 10, 29, tzinfo=PARIS))
    school = chat.config.establishments[0]

    def scheduler():
        return Scheduler([remind_booked_people], chat.config, chat.db, chat.renderer, clock)

    assert await scheduler().run(remind_booked_people, school) == 0  # 2 h 01 before
    clock.now = datetime(2026, 11, 24, 10, 31, tzinfo=PARIS)
    assert await scheduler().run(remind_booked_people, school) == 1
    assert await scheduler().run(remind_booked_people, school) == 0  # a restart: same ledger
    (reminder,) = queued_as_read(chat.db)
    assert reminder.mentions == (TEACHER, PROF2)
    assert reminder.body.startswith(
        "Rappel — permanence numérique du mardi 24 novembre à 12 h 30 (n° 1"
    )
    assert "à tout à l'heure !" in reminder.body


async def test_a_reminder_sent_the_day_before_says_see_you_tomorrow(chat):
    await open_tuesdays(chat)
    await chat.say(TEACHER, "!permanence réserver 1")
    school = replace(chat.config.establishments[0], reminder_hours=20.0)
    clock = Clock(datetime(2026, 11, 23, 16, 31, tzinfo=PARIS))
    scheduler = Scheduler([remind_booked_people], chat.config, chat.db, chat.renderer, clock)
    assert await scheduler.run(remind_booked_people, school) == 1
    (reminder,) = queued_as_read(chat.db)
    assert "à demain !" in reminder.body and "tout à l'heure" not in reminder.body


async def test_the_daily_job_keeps_four_weeks_ahead(chat):
    await open_tuesdays(chat)
    clock = Clock(datetime(2027, 1, 5, 2, 0, tzinfo=PARIS))
    scheduler = Scheduler([extend_calendar], chat.config, chat.db, chat.renderer, clock)
    await scheduler.run(extend_calendar, chat.config.establishments[0])
    await scheduler.run(extend_calendar, chat.config.establishments[0])  # idempotent
    january = store.upcoming_slots(chat.db, "clg-test", clock.now, clock.now + timedelta(weeks=4))
    assert [(s.number, s.starts_at.day) for s in january] == [(5, 5), (6, 12), (7, 19), (8, 26)]


async def test_mentions_show_display_names_the_bot_knows(chat):
    from storage.establishments import record_member

    record_member(chat.db, "clg-test", PROF3, "teacher", chat.now, display_name="Amina <B>")
    await open_tuesdays(chat, "mardi 12h30 1 place")
    await chat.say(TEACHER, "!permanence réserver 1")
    await chat.say(PROF3, "!permanence réserver 1")
    await chat.say(TEACHER, "!permanence annuler 1")
    (notice,) = queued_as_read(chat.db)
    assert notice.body.startswith("Amina <B>, une place s'est libérée")
    assert '<a href="https://matrix.to/#/@prof3:localhost">Amina &lt;B&gt;</a>' in notice.html


async def test_newsletter_lists_next_weeks_slots_and_digest_counts_them(chat):
    from bot.core.digest import Window

    await open_tuesdays(chat)
    await chat.say(TEACHER, "!permanence réserver 1")
    window = Window(
        now=datetime(2026, 11, 20, 16, tzinfo=PARIS),
        since=None,
        ahead_start=datetime(2026, 11, 23).date(),
        ahead_end=datetime(2026, 11, 29).date(),
        lookup=lambda kind: frozenset(),
    )
    from commands.permanence import next_week_slots, permanences_held, seats_booked

    section = next_week_slots(chat.db, chat.config.establishments[0], window)
    assert section.news is False and [s.number for s in section.values["slots"]] == [1]
    november = (datetime(2026, 11, 1, tzinfo=PARIS), datetime(2026, 12, 1, tzinfo=PARIS))
    school = chat.config.establishments[0]
    assert permanences_held(chat.db, school, *november) == 1
    assert seats_booked(chat.db, school, *november) == 1


async def test_a_friday_series_in_may_2026_skips_both_holidays_and_the_ascension_bridge(chat):
    first_of_may = datetime(2026, 5, 1, 8, 0, tzinfo=PARIS)  # a Friday, zone B
    reply = await chat.say(REFERENT, "!permanence ouvrir vendredi 12h30", now=first_of_may)
    assert (
        "- vendredi 1er mai 2026 (Fête du Travail)\n"
        "- vendredi 8 mai 2026 (Fête de la Victoire)\n"
        "- vendredi 15 mai 2026 (Pont de l'Ascension)"
    ) in reply.body
    may = store.upcoming_slots(chat.db, "clg-test", first_of_may, first_of_may + timedelta(weeks=4))
    assert [s.starts_at.day for s in may] == [22]
    # A week later, the daily job adds 29 May and still leaves the bridge out.
    clock = Clock(datetime(2026, 5, 8, 2, 0, tzinfo=PARIS))
    scheduler = Scheduler([extend_calendar], chat.config, chat.db, chat.renderer, clock)
    await scheduler.run(extend_calendar, chat.config.establishments[0])
    held = store.upcoming_slots(chat.db, "clg-test", clock.now, clock.now + timedelta(weeks=4))
    assert [s.starts_at.date() for s in held] == [date(2026, 5, 22), date(2026, 5, 29)]


async def test_in_moselle_a_friday_series_skips_good_friday(chat, tmp_path):
    raw = copy.deepcopy(MINIMAL_CONFIG)
    raw["establishment"][0]["departement"] = "57"
    chat.config = parse_config(raw, tmp_path)
    march = datetime(2026, 3, 23, 9, 0, tzinfo=PARIS)
    reply = await chat.say(REFERENT, "!permanence ouvrir vendredi 17h", now=march)
    assert "- vendredi 3 avril 2026 (Vendredi saint)" in reply.body
    spring = store.upcoming_slots(chat.db, "clg-test", march, march + timedelta(weeks=4))
    assert [s.starts_at.date() for s in spring] == [date(2026, 3, 27), date(2026, 4, 10)]
    # The daily job, a week later, still leaves Good Friday out.
    clock = Clock(datetime(2026, 3, 30, 2, 0, tzinfo=PARIS))
    scheduler = Scheduler([extend_calendar], chat.config, chat.db, chat.renderer, clock)
    await scheduler.run(extend_calendar, chat.config.establishments[0])
    april = store.upcoming_slots(chat.db, "clg-test", clock.now, clock.now + timedelta(weeks=4))
    assert date(2026, 4, 3) not in [s.starts_at.date() for s in april]


async def test_outside_alsace_and_moselle_good_friday_is_a_school_day(chat):
    march = datetime(2026, 3, 23, 9, 0, tzinfo=PARIS)
    await chat.say(REFERENT, "!permanence ouvrir vendredi 17h", now=march)
    spring = store.upcoming_slots(chat.db, "clg-test", march, march + timedelta(weeks=4))
    assert date(2026, 4, 3) in [s.starts_at.date() for s in spring]
