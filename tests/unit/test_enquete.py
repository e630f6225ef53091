"""Surveys: commands, reminder days and people, the academy survey, its config."""

from __future__ import annotations

import copy
from datetime import date, datetime, timedelta

import pytest

from bot.app import academy_surveys
from bot.core.config import ConfigError, parse_config
from bot.core.scheduler import FIRST_START, Scheduler
from commands.enquete import remind, survey_answers
from storage.enquete import mark_answered, open_survey, open_surveys, sync_academy_surveys
from storage.establishments import note_room_membership, record_member, replace_room_members
from storage.inbox import set_state
from storage.ledger import runs
from storage.outbox import unsent_messages
from storage.stamps import to_stamp
from tests.conftest import MINIMAL_CONFIG, PARIS, PRINCIPAL, REFERENT, TEACHER
from tests.support.reading import queued_as_read

PROF2 = "@prof2:localhost"
FORM = "https://framaforms.org/bilan-numerique"


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


def at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS)


@pytest.fixture
def known(db, config):
    """Two teachers who used the bot in September, beside the configured referent and principal."""
    for user, name in ((TEACHER, "Paul Durand"), (PROF2, "Amina Benali")):
        record_member(db, "clg-test", user, "teacher", at(date(2026, 9, 7)), display_name=name)


async def run_reminders(config, db, renderer, registry, days) -> list[str]:
    """Run the daily reminder job at 9:00 on each day; returns the periods it claimed."""
    school = config.establishments[0]
    clock = Clock(None)
    scheduler = Scheduler([remind], config, db, renderer, clock, registry=registry)
    for day in days:
        clock.now = at(day)
        await scheduler.run(remind, school)
    return runs(db, "enquete", school.id)


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


# -- commands -------------------------------------------------------------------


async def test_a_referent_opens_a_survey_and_everyone_sees_it(chat):
    reply = await chat.say(REFERENT, f"!enquete ouvrir {FORM} 9 décembre Bilan du numérique")
    assert reply.body.startswith("Enquête n° 1 ouverte : Bilan du numérique")
    assert "d'ici le mercredi 9 décembre 2026" in reply.body
    assert "chaque lundi à 9 h" in reply.body and "`!enquete fait 1`" in reply.body
    listing = await chat.say(TEACHER, "!Enquête")
    assert f"n° 1 : Bilan du numérique ({FORM})" in listing.body
    assert f'<a href="{FORM}">Bilan du numérique</a>' in listing.html


async def test_only_referents_open_surveys(chat):
    reply = await chat.say(TEACHER, f"!enquete ouvrir {FORM} 9 décembre")
    assert "est réservée aux référents numériques" in reply.body


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ("framaforms.org/x 9 décembre", "« framaforms.org/x » n'est pas un lien"),
        (f"{FORM} 9 trucmuche", "Je ne comprends pas la date « 9 trucmuche »"),
        (f"{FORM} 2026-11-20", "L'échéance, vendredi 20 novembre 2026, est déjà passée."),
        (FORM, "Précisez l'échéance."),
    ],
)
async def test_bad_survey_arguments_say_what_is_wrong(chat, arguments, expected):
    reply = await chat.say(REFERENT, f"!enquete ouvrir {arguments}")
    assert expected in reply.body
    assert "Par exemple : `!enquete ouvrir https://" in reply.body


async def test_fait_stops_reminders_for_me_and_is_said_once(chat):
    await chat.say(REFERENT, f"!enquete ouvrir {FORM} 9 décembre")
    first = await chat.say(TEACHER, "!enquete fait")
    again = await chat.say(TEACHER, "!enquete fait 1")
    assert first.body == "Merci ! C'est noté pour l'enquête n° 1 : plus de rappel pour vous."
    assert again.body.startswith("C'était déjà noté")
    assert "(vous avez répondu)" in (await chat.say(TEACHER, "!enquete")).body


async def test_fait_asks_which_survey_when_several_are_open(chat):
    await chat.say(REFERENT, f"!enquete ouvrir {FORM} 9 décembre Équipement")
    await chat.say(REFERENT, "!enquete ouvrir https://example.org/b 11 décembre Usages")
    reply = await chat.say(TEACHER, "!enquete fait")
    assert "Plusieurs enquêtes sont ouvertes (n° 1, n° 2) : précisez laquelle." in reply.body
    assert "Par exemple : `!enquete fait 1`" in reply.body
    await chat.say(TEACHER, "!enquete fait 2")
    # Only one left unanswered for me: that is the one.
    assert "n° 1 (Équipement)" in (await chat.say(TEACHER, "!enquete fait")).body


async def test_fait_without_survey_or_with_a_wrong_number(chat):
    # Nothing to answer: a refusal, in one sentence.
    none = await chat.say(TEACHER, "!enquete fait")
    assert none.body == "Aucune enquête n'est ouverte en ce moment."
    await chat.say(REFERENT, f"!enquete ouvrir {FORM} 9 décembre")
    # A number that names nothing: a typing mistake, with the usage line.
    wrong = await chat.say(TEACHER, "!enquete fait 7")
    assert wrong.body.splitlines() == [
        "Il n'y a pas d'enquête n° 7.",
        "Par exemple : `!enquete`",
    ]


async def test_etat_counts_without_naming_and_fermer_closes(chat, known):
    await chat.say(REFERENT, f"!enquete ouvrir {FORM} 9 décembre Bilan")
    await chat.say(TEACHER, "!enquete fait")
    state = await chat.say(PRINCIPAL, "!enquete état")
    # Four people known: the referent, the principal and two teachers.
    assert "n° 1 (Bilan) : 1 sur 4 a dit l'avoir remplie" in state.body
    assert "Paul" not in state.body and TEACHER not in state.body
    closed = await chat.say(REFERENT, "!enquete fermer 1")
    assert closed.body == "L'enquête n° 1 (Bilan) est close : plus de rappel."
    assert (await chat.say(TEACHER, "!enquete")).body == "Aucune enquête en cours."
    assert (await chat.say(REFERENT, "!enquete fermer 1")).body == "L'enquête n° 1 est close."


# -- reminders -------------------------------------------------------------------


async def test_reminders_on_mondays_and_the_day_before_the_deadline(
    config, db, renderer, registry, known
):
    open_survey(
        db,
        "clg-test",
        title="Bilan",
        url=FORM,
        deadline=date(2026, 12, 9),
        opened_by=REFERENT,
        now=at(date(2026, 11, 18), 10),
    )
    periods = await run_reminders(
        config, db, renderer, registry, days_between(date(2026, 11, 18), date(2026, 12, 12))
    )
    assert periods == ["1:2026-11-23", "1:2026-11-30", "1:2026-12-07", "1:2026-12-08"]
    last = unsent_messages(db)[-1]
    assert "c'est demain la date limite" in last.body


async def test_reminders_mention_only_who_has_not_said_fait(config, db, renderer, registry, known):
    survey = open_survey(
        db,
        "clg-test",
        title="Bilan",
        url=FORM,
        deadline=date(2026, 12, 9),
        opened_by=REFERENT,
        now=at(date(2026, 11, 18), 10),
    )
    mark_answered(db, survey.id, TEACHER, at(date(2026, 11, 20), 12))
    await run_reminders(config, db, renderer, registry, [date(2026, 11, 23)])
    queued = queued_as_read(db)
    private = {m.dm_user: m for m in queued if m.dm_user}
    assert set(private) == {REFERENT, PRINCIPAL, PROF2}  # not the teacher who said « fait »
    assert all("`!enquete fait 1`" in m.body and "Bilan" in m.body for m in private.values())
    (room,) = [m for m in queued if m.dm_user is None]
    # The room learns how many, never who.
    assert "3 collègues n'ont pas encore dit l'avoir remplie" in room.body
    assert room.mentions == () and "Amina Benali" not in room.body and PROF2 not in room.body


async def test_nobody_left_to_remind_means_no_reminder(config, db, renderer, registry):
    survey = open_survey(
        db,
        "clg-test",
        title=None,
        url=FORM,
        deadline=date(2026, 12, 9),
        opened_by=REFERENT,
        now=at(date(2026, 11, 18), 10),
    )
    for user in (REFERENT, PRINCIPAL):
        mark_answered(db, survey.id, user, at(date(2026, 11, 19)))
    assert await run_reminders(config, db, renderer, registry, [date(2026, 11, 23)]) == []
    assert unsent_messages(db) == []


async def test_holiday_mondays_are_skipped_unless_the_deadline_is_near(
    config, db, renderer, registry
):
    # Christmas holidays (zone B): 19 December 2026 to 3 January 2027.
    for deadline in (date(2027, 1, 6), date(2026, 12, 23)):
        open_survey(
            db,
            "clg-test",
            title=f"Échéance {deadline}",
            url=FORM,
            deadline=deadline,
            opened_by=REFERENT,
            now=at(date(2026, 12, 10), 10),
        )
    periods = await run_reminders(
        config, db, renderer, registry, days_between(date(2026, 12, 10), date(2027, 1, 8))
    )
    assert periods == [
        "1:2026-12-14",
        "2:2026-12-14",
        "2:2026-12-21",  # in the holidays, but two days before its deadline
        "2:2026-12-22",  # the day before its deadline
        "1:2027-01-04",
        "1:2027-01-05",
    ]


async def test_a_late_reminder_mentions_who_it_would_have_on_time(
    config, db, renderer, registry, known
):
    survey = open_survey(
        db,
        "clg-test",
        title="Bilan",
        url=FORM,
        deadline=date(2026, 12, 9),
        opened_by=REFERENT,
        now=at(date(2026, 11, 18), 10),
    )
    clock = Clock(at(date(2026, 11, 23), 11))  # the bot was down at 9:00
    set_state(db, FIRST_START, to_stamp(at(date(2026, 9, 1), 8)))  # it ran before
    mark_answered(db, survey.id, TEACHER, at(date(2026, 11, 23), 10))
    scheduler = Scheduler([remind], config, db, renderer, clock, registry=registry)
    assert await scheduler.catch_up() == 5  # four people privately, and the room
    # Said « fait » after 9:00: the 9:00 reminder was theirs too.
    assert TEACHER in {m.dm_user for m in unsent_messages(db)}
    clock.now = at(date(2026, 11, 24), 8)
    assert await Scheduler([remind], config, db, renderer, clock).catch_up() == 0


# -- the academy survey ------------------------------------------------------------

ACADEMY = {
    "title": "Enquête annuelle des RUPN",
    "url": "https://enquetes.ac-exemple.fr/rupn",
    "opens": date(2027, 6, 1),
    "deadline": date(2027, 6, 30),
}


def with_surveys(tmp_path, *surveys):
    raw = copy.deepcopy(MINIMAL_CONFIG)
    raw["survey"] = list(surveys)
    return parse_config(raw, tmp_path)


async def test_the_academy_survey_reminds_the_referents_only(tmp_path, db, renderer, registry):
    config = with_surveys(tmp_path, ACADEMY)
    school = config.establishments[0]
    record_member(db, school.id, TEACHER, "teacher", at(date(2026, 9, 7)))
    sync_academy_surveys(db, school.id, academy_surveys(config, school), at(date(2026, 9, 1)))
    periods = await run_reminders(
        config, db, renderer, registry, days_between(date(2027, 5, 20), date(2027, 7, 3))
    )
    # The Mondays of June 2027 (it opens on the 1st) and the day before the deadline.
    assert periods == [
        "1:2027-06-07",
        "1:2027-06-14",
        "1:2027-06-21",
        "1:2027-06-28",
        "1:2027-06-29",
    ]
    # Only the referent hears of it, privately: nothing in the teachers' room.
    assert {m.dm_user for m in unsent_messages(db)} == {REFERENT}
    again = await run_reminders(config, db, renderer, registry, [date(2027, 6, 7)])
    assert len(again) == 5  # the ledger keeps it to one reminder a day


def test_academy_surveys_follow_the_config_on_restart(tmp_path, db):
    config = with_surveys(tmp_path, ACADEMY)
    school = config.establishments[0]
    sync_academy_surveys(db, school.id, academy_surveys(config, school), at(date(2026, 9, 1)))
    renamed = with_surveys(tmp_path, {**ACADEMY, "title": "Enquête RUPN 2027"})
    sync_academy_surveys(db, school.id, academy_surveys(renamed, school), at(date(2026, 9, 2)))
    rows = db.execute("SELECT number, title, closed_at FROM surveys").fetchall()
    assert rows == [(1, "Enquête RUPN 2027", None)]
    sync_academy_surveys(db, school.id, [], at(date(2026, 9, 3)))
    assert db.execute("SELECT closed_at IS NOT NULL FROM surveys").fetchone() == (1,)


def test_an_academy_survey_opens_four_weeks_before_its_deadline_by_default(tmp_path):
    config = with_surveys(tmp_path, {k: v for k, v in ACADEMY.items() if k != "opens"})
    (survey,) = config.surveys
    assert (survey.opens, survey.audience) == (date(2027, 6, 2), "referents")


def test_survey_config_problems_are_all_reported_with_their_key_path(tmp_path):
    raw = copy.deepcopy(MINIMAL_CONFIG)
    raw["establishment"][0]["survey_reminder_day"] = "lundy"
    raw["establishment"][0]["survey_reminder_time"] = "9h"
    raw["survey"] = [
        {"title": "A", "url": "ftp://x", "deadline": "30/06/2027", "audience": "tous"},
        {"url": "https://x.fr/a", "deadline": date(2027, 6, 1), "opens": "2027-06-10", "x": 1},
        {"title": "C", "url": "https://x.fr/a", "deadline": "2027-06-30"},
    ]
    with pytest.raises(ConfigError) as error:
        parse_config(raw, tmp_path)
    assert error.value.problems == [
        "establishment[1].survey_reminder_day: expected one of lundi, mardi, mercredi, jeudi,"
        " vendredi, samedi, dimanche",
        "establishment[1].survey_reminder_time: expected HH:MM (e.g. 09:00)",
        "survey[1].url: expected an http(s) URL, got 'ftp://x'",
        "survey[1].deadline: expected a date like 2027-06-30, got '30/06/2027'",
        "survey[1].audience: expected one of referents, members",
        "survey[2].title: missing",
        "survey[2].opens: must be on or before the deadline",
        "survey[2].x: unknown setting",
    ]


def test_duplicate_academy_surveys_are_refused(tmp_path):
    with pytest.raises(ConfigError) as error:
        with_surveys(tmp_path, ACADEMY, {**ACADEMY, "title": "Bis"})
    assert error.value.problems == ["survey[2].url: same survey as survey[1]"]


# -- digest figure ------------------------------------------------------------------


def test_the_digest_counts_answers_per_survey_and_month(config, db, known):
    survey = open_survey(
        db,
        "clg-test",
        title="Bilan",
        url=FORM,
        deadline=date(2026, 12, 9),
        opened_by=REFERENT,
        now=at(date(2026, 11, 18), 10),
    )
    mark_answered(db, survey.id, TEACHER, at(date(2026, 11, 20)))
    mark_answered(db, survey.id, PROF2, at(date(2026, 12, 2)))
    school = config.establishments[0]
    november = (at(date(2026, 11, 1), 0), at(date(2026, 12, 1), 0))
    december = (at(date(2026, 12, 1), 0), at(date(2027, 1, 1), 0))
    january = (at(date(2027, 1, 1), 0), at(date(2027, 2, 1), 0))
    assert survey_answers(db, school, *november) == {"Bilan": 1}
    assert survey_answers(db, school, *december) == {"Bilan": 1}
    assert survey_answers(db, school, *january) == {}


async def test_teachers_do_not_see_the_referents_survey(tmp_path, chat, db):
    config = with_surveys(tmp_path, {**ACADEMY, "opens": date(2026, 11, 1)})
    school = config.establishments[0]
    sync_academy_surveys(db, school.id, academy_surveys(config, school), at(date(2026, 11, 1)))
    assert (await chat.say(TEACHER, "!enquete")).body == "Aucune enquête en cours."
    assert "Aucune enquête n'est ouverte" in (await chat.say(TEACHER, "!enquete fait")).body
    assert "Enquête annuelle des RUPN" in (await chat.say(REFERENT, "!enquete")).body
    assert "C'est noté" in (await chat.say(REFERENT, "!enquete fait")).body


async def test_a_teacher_cannot_answer_the_referents_survey_by_its_number(
    tmp_path, chat, db, known
):
    config = with_surveys(tmp_path, {**ACADEMY, "opens": date(2026, 11, 1)})
    school = config.establishments[0]
    sync_academy_surveys(db, school.id, academy_surveys(config, school), at(date(2026, 11, 1)))
    await chat.say(REFERENT, f"!enquete ouvrir {FORM} 9 décembre Bilan")  # n° 2, for everyone
    # Typing its number gets the answer of a survey that does not exist: no title leaks.
    hidden = await chat.say(TEACHER, "!enquete fait 1")
    unknown = await chat.say(TEACHER, "!enquete fait 9")
    assert hidden.body == unknown.body.replace("9", "1")
    assert hidden.body.startswith("Il n'y a pas d'enquête n° 1.")
    assert "RUPN" not in hidden.body
    # The teacher's own survey is the only one they see and answer.
    listing = await chat.say(TEACHER, "!enquete")
    assert "Bilan" in listing.body and "RUPN" not in listing.body
    assert "C'est noté pour l'enquête n° 2" in (await chat.say(TEACHER, "!enquete fait")).body
    # Once closed, it still does not exist for them (no « est close »).
    await chat.say(REFERENT, "!enquete fermer 1")
    assert (await chat.say(TEACHER, "!enquete fait 1")).body.startswith("Il n'y a pas")


async def test_teachers_answers_do_not_inflate_the_referents_survey_counts(
    tmp_path, chat, db, config, known
):
    academy = with_surveys(tmp_path, {**ACADEMY, "opens": date(2026, 11, 1)})
    school = academy.establishments[0]
    sync_academy_surveys(db, school.id, academy_surveys(academy, school), at(date(2026, 11, 1)))
    (survey,) = [s for s in open_surveys(db, school.id, at(date(2026, 11, 23)))]
    # Answers noted before teachers were kept out of it, as an older version allowed.
    mark_answered(db, survey.id, TEACHER, at(date(2026, 11, 20)))
    mark_answered(db, survey.id, PROF2, at(date(2026, 11, 20)))
    mark_answered(db, survey.id, REFERENT, at(date(2026, 11, 21)))
    state = await chat.say(REFERENT, "!enquete état")
    assert "n° 1 (Enquête annuelle des RUPN) : 1 sur 1 a dit l'avoir remplie" in state.body
    november = (at(date(2026, 11, 1), 0), at(date(2026, 12, 1), 0))
    assert survey_answers(db, school, *november) == {"Enquête annuelle des RUPN": 1}


async def test_a_person_can_stop_the_reminders_of_one_survey(chat, config, db, renderer, registry):
    await chat.say(REFERENT, f"!enquete ouvrir {FORM} 9 décembre Bilan")
    await chat.say(TEACHER, "!aide")  # the teacher is known: part of the audience
    stopped = await chat.say(TEACHER, "!enquete sans-rappel 1")
    assert stopped.body.startswith(
        "C'est noté : plus de rappel pour vous de l'enquête n° 1 (Bilan)."
    )
    again = await chat.say(TEACHER, "!enquete sans-rappel")
    assert again.body.startswith("Vous ne recevez déjà plus de rappel de l'enquête n° 1")
    await run_reminders(config, db, renderer, registry, [date(2026, 11, 30)])
    reminded = {m.dm_user for m in queued_as_read(db) if m.dm_user}
    assert REFERENT in reminded and TEACHER not in reminded
    # Not an answer: the survey's figures do not count them as having answered.
    progress = await chat.say(REFERENT, "!enquete état")
    assert "0 sur" in progress.body


# -- the room is the audience ---------------------------------------------------------

ROOM = [REFERENT, TEACHER, PROF2, "@prof3:localhost", "@prof4:localhost", "@prof5:localhost"]


async def test_the_rooms_members_are_the_audience_even_those_who_never_used_the_bot(
    chat, db, config, renderer, registry
):
    replace_room_members(db, "clg-test", ROOM, chat.now)
    await chat.say(REFERENT, f"!enquete ouvrir {FORM} 9 décembre Bilan")
    assert "0 sur 6 a dit l'avoir remplie" in (await chat.say(REFERENT, "!enquete état")).body
    # Monday's reminder goes to each of them, privately.
    await run_reminders(config, db, renderer, registry, [date(2026, 11, 30)])
    assert sorted(m.dm_user for m in queued_as_read(db) if m.dm_user) == sorted(ROOM)
    # Someone who leaves the room is no longer asked; someone who joins is.
    note_room_membership(db, "clg-test", "@prof5:localhost", joined=False, now=chat.now)
    note_room_membership(db, "clg-test", "@prof6:localhost", joined=True, now=chat.now)
    await chat.say("@prof6:localhost", "!enquete fait")
    assert "1 sur 6 a dit l'avoir remplie" in (await chat.say(REFERENT, "!enquete état")).body


async def test_a_referent_reminds_now_by_direct_message_and_the_room_gets_a_count(chat, db):
    replace_room_members(db, "clg-test", ROOM, chat.now)
    await chat.say(REFERENT, f"!enquete ouvrir {FORM} 9 décembre Bilan")
    await chat.say(REFERENT, "!enquete fait")
    reply = await chat.say(REFERENT, "!enquete rappeler")
    assert reply.body == (
        "C'est fait : je rappelle l'enquête n° 1 (Bilan) à 5 collègues, en message privé."
    )
    queued = chat.messenger_outbox()
    assert sorted(m.dm_user for m in queued if m.dm_user) == sorted(ROOM[1:])
    (in_room,) = [m for m in queued if not m.dm_user]
    assert "Rappel : enquête n° 1, Bilan**, à remplir d'ici le mercredi 9 décembre" in in_room.body
    assert "5 collègues n'ont pas encore dit l'avoir remplie" in in_room.body
    # No one is named in the room, not even by mention.
    assert not in_room.mentions
    assert not any(user.split(":")[0][1:] in in_room.body for user in ROOM)
    # Once a day: the scheduled reminder and a second request that day add nothing.
    again = await chat.say(REFERENT, "!enquete rappeler 1")
    assert (
        again.body == "L'enquête n° 1 a déjà été rappelée aujourd'hui : un rappel par jour suffit."
    )
    assert len(chat.messenger_outbox()) == len(queued)


async def test_a_reminder_asked_for_in_the_evening_leaves_in_the_morning(chat, db):
    replace_room_members(db, "clg-test", ROOM, chat.now)
    await chat.say(REFERENT, f"!enquete ouvrir {FORM} 9 décembre Bilan")
    evening = datetime(2026, 11, 24, 21, 0, tzinfo=PARIS)
    reply = await chat.say(REFERENT, "!enquete rappeler", now=evening)
    assert reply.body.startswith("C'est fait : je rappelle l'enquête n° 1 (Bilan) à 6 collègues")
    assert "à partir du mercredi 25 novembre à 7 h 30" in reply.body


async def test_only_referents_remind_and_nobody_left_is_said(chat, db):
    replace_room_members(db, "clg-test", [REFERENT, TEACHER], chat.now)
    await chat.say(REFERENT, f"!enquete ouvrir {FORM} 9 décembre Bilan")
    refused = await chat.say(TEACHER, "!enquete rappeler")
    assert "référent" in refused.body and not chat.messenger_outbox()
    for person in (REFERENT, TEACHER):
        await chat.say(person, "!enquete fait")
    nobody = await chat.say(REFERENT, "!enquete rappeler")
    assert nobody.body.startswith("Personne à qui rappeler l'enquête n° 1 (Bilan)")
    assert not chat.messenger_outbox()
