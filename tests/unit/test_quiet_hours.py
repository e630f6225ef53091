"""Quiet hours: scheduled messages leave between 7:30 and 19:30, never on Sunday."""

from __future__ import annotations

import copy
import re
from datetime import datetime, time, timedelta
from types import SimpleNamespace

import pytest

from bot.core.config import ConfigError, parse_config
from bot.core.render import Message
from bot.core.scheduler import JobContext, Scheduler
from bot.matrix.lifecycle import Lifecycle
from bot.matrix.outbox import OutboxPump
from bot.toolkit.quiet_hours import SendingWindow
from commands.lettre import monthly_digest
from commands.permanence import remind_booked_people
from storage.outbox import unsent_messages
from tests.conftest import MINIMAL_CONFIG, PARIS, REFERENT, TEACHER

WINDOW = SendingWindow()


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=PARIS)  # 22 Nov 2026 is a Sunday


@pytest.mark.parametrize(
    ("due", "leaves"),
    [
        (at(24, 6), at(23, 19, 30)),  # a reminder for an 8:00 slot: the evening before
        (at(24, 10, 30), at(24, 10, 30)),  # inside the window: on time
        (at(24, 7, 30), at(24, 7, 30)),
        (at(24, 21), at(24, 19, 30)),  # late in the evening: the same day at 19:30
        (at(23, 6), at(21, 19, 30)),  # Monday dawn: Saturday evening, not Sunday
        (at(22, 15), at(21, 19, 30)),  # Sunday afternoon: Saturday evening
    ],
)
def test_a_message_due_in_quiet_hours_leaves_at_the_last_moment_before(due, leaves):
    assert WINDOW.latest_before(due) == leaves


def test_a_sending_time_already_past_waits_for_the_window_to_open():
    # Booked at 21:00 for 8:00 the next morning: the reminder's 19:30 has passed.
    assert WINDOW.sending_time(at(25, 6), now=at(24, 21)) == at(25, 7, 30)
    # Booked at 9:00 for 10:30: its 8:30 has passed, it goes now.
    assert WINDOW.sending_time(at(24, 8, 30), now=at(24, 9)) == at(24, 9)
    # Saturday night: Monday morning.
    assert WINDOW.sending_time(at(23, 6), now=at(21, 22)) == at(23, 7, 30)


def test_sundays_may_be_allowed():
    assert SendingWindow(sundays=True).latest_before(at(22, 15)) == at(22, 15)


def establishment_with(**settings) -> dict:
    raw = copy.deepcopy(MINIMAL_CONFIG)
    raw["establishment"][0].update(settings)
    return raw


def test_quiet_hours_are_configured_per_establishment(tmp_path):
    config = parse_config(
        establishment_with(quiet_hours="20:00-7:00", quiet_sunday=False), tmp_path
    )
    window = config.establishments[0].sending_window
    assert window == SendingWindow(opens=time(7), closes=time(20), sundays=True)
    assert parse_config(MINIMAL_CONFIG, tmp_path).establishments[0].sending_window == WINDOW


def test_a_newsletter_or_reminder_time_in_quiet_hours_is_refused(tmp_path):
    raw = establishment_with(newsletter_time="20:00", survey_reminder_day="dimanche")
    with pytest.raises(ConfigError) as error:
        parse_config(raw, tmp_path)
    assert "newsletter_time: 20:00 is in quiet hours: expected a time between 07:30 and 19:30" in (
        str(error.value)
    )
    assert "survey_reminder_day: Sunday is quiet" in str(error.value)
    allowed = establishment_with(newsletter_time="20:00", quiet_hours="21:00-07:00")
    assert parse_config(allowed, tmp_path).establishments[0].newsletter_time == "20:00"


@pytest.mark.parametrize("value", ["7:30-19:30", "19h30-7h30", "25:00-07:00"])
def test_bad_quiet_hours_are_named(tmp_path, value):
    with pytest.raises(ConfigError) as error:
        parse_config(establishment_with(quiet_hours=value), tmp_path)
    assert "quiet_hours" in str(error.value)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def reminders_sent_at(chat, moments: list[datetime]) -> list[datetime]:
    """Run the reminder job at each moment (as every minute would); when it sent one."""
    clock = Clock(moments[0])
    scheduler = Scheduler([remind_booked_people], chat.config, chat.db, chat.renderer, clock)
    school = chat.config.establishments[0]
    sent = []
    for moment in moments:
        clock.now = moment
        if await scheduler.run(remind_booked_people, school):
            sent.append(moment)
    return sent


def every_quarter_hour(start: datetime, end: datetime) -> list[datetime]:
    moments = [start]
    while moments[-1] < end:
        moments.append(moments[-1] + timedelta(minutes=15))
    return moments


async def test_a_reminder_due_at_6_for_an_8_oclock_slot_leaves_at_19_30_the_evening_before(chat):
    await chat.say(REFERENT, "!permanence ouvrir mercredi 8h 2 places")
    booked = await chat.say(TEACHER, "!permanence réserver 1", now=at(24, 9))
    assert re.search(r"Je vous le rappellerai la veille à 19\s?h\s?30\.", booked.body)
    moments = every_quarter_hour(at(24, 9), at(25, 8))
    assert await reminders_sent_at(chat, moments) == [at(24, 19, 30)]
    (reminder,) = unsent_messages(chat.db)
    assert reminder.alert and reminder.mentions == (TEACHER,)


@pytest.mark.parametrize(
    ("opened", "booked_at", "promised", "watched", "sent"),
    [
        # Booked after 19:30 for the next morning: the reminder waits for 7:30.
        ("mercredi 8h", at(24, 21), "le jour même à 7 h 30.", (at(24, 21), at(25, 8)),
         at(25, 7, 30)),
        # A Monday morning: Saturday evening, not Sunday.
        ("lundi 8h", at(26, 9), "le samedi 28 novembre à 19 h 30.", (at(28, 9), at(30, 8)),
         at(28, 19, 30)),
    ],
)  # fmt: skip
async def test_a_reminder_due_in_quiet_hours_leaves_at_the_window_s_edge(
    chat, opened, booked_at, promised, watched, sent
):
    await chat.say(REFERENT, f"!permanence ouvrir {opened} 2 places")
    booked = await chat.say(TEACHER, "!permanence réserver 1", now=booked_at)
    assert promised in booked.body
    assert await reminders_sent_at(chat, every_quarter_hour(*watched)) == [sent]


async def test_a_slot_within_reminder_hours_is_reminded_at_once(chat):
    await chat.say(REFERENT, "!permanence ouvrir mardi 10h30 2 places")
    booked = await chat.say(TEACHER, "!permanence réserver 1", now=at(24, 9))
    assert "Je vous envoie un rappel dans un instant." in booked.body
    assert await reminders_sent_at(chat, [at(24, 9), at(24, 9, 1)]) == [at(24, 9)]


async def test_a_digest_due_on_a_sunday_waits_in_the_outbox_for_monday_7_30(chat):
    sunday = datetime(2026, 11, 1, 8, 0, tzinfo=PARIS)
    scheduler = Scheduler([monthly_digest], chat.config, chat.db, chat.renderer, Clock(sunday))
    assert await scheduler.run(monthly_digest, chat.config.establishments[0]) == 1
    assert unsent_messages(chat.db, now=sunday) == []
    assert unsent_messages(chat.db, now=datetime(2026, 11, 2, 7, 29, tzinfo=PARIS)) == []
    (digest,) = unsent_messages(chat.db, now=datetime(2026, 11, 2, 7, 30, tzinfo=PARIS))
    assert digest.dm_user and digest.alert


async def test_the_outbox_sends_a_held_message_only_once_its_time_has_come(chat):
    sent = []

    class Delivering:
        async def deliver_message(self, room_id, message, *, txn_id=None, alert=False, **lane):
            sent.append(message.body)
            return f"$ev{len(sent)}"

    late = datetime(2026, 11, 24, 21, 0, tzinfo=PARIS)
    chat.db.execute("DELETE FROM outbox")
    ctx = JobContext("essai", chat.config.establishments[0], late, late, chat.db, chat.config, None)
    ctx.post(Message("lettre du soir", "lettre du soir"), key="soir")
    clock = Clock(late)
    rooms = SimpleNamespace(room_of=lambda establishment_id: "!salle:localhost")
    pump = OutboxPump(chat.db, clock, Delivering(), rooms, Lifecycle())
    assert await pump.flush() == 0 and sent == []
    clock.now = datetime(2026, 11, 25, 7, 30, tzinfo=PARIS)
    assert await pump.flush() == 1 and sent == ["lettre du soir"]


async def test_booked_after_the_reminder_went_no_reminder_is_promised(chat):
    await chat.say(REFERENT, "!permanence ouvrir mercredi 8h 2 places")
    await chat.say(TEACHER, "!permanence réserver 1", now=at(24, 9))
    assert await reminders_sent_at(chat, [at(24, 19, 30)]) == [at(24, 19, 30)]
    late = await chat.say("@prof2:localhost", "!permanence réserver 1", now=at(24, 21))
    assert "vous avez une place" in late.body and "rappel" not in late.body
