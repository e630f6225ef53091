"""Quiet hours: scheduled messages leave between 7:30 and 19:30, never on Sunday."""

from __future__ import annotations

import copy
from datetime import datetime, time

import pytest

from bot.core.config import ConfigError, parse_config
from bot.toolkit.quiet_hours import SendingWindow, format_clock_fr
from tests.conftest import MINIMAL_CONFIG, PARIS

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


def test_times_read_as_french_writes_them():
    assert format_clock_fr(at(24, 19, 30)) == "19 h 30"
    assert format_clock_fr(time(8, 0)) == "8 h"


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


@pytest.mark.parametrize("value", ["7:30-19:30", "19h30-7h30", "25:00-07:00"])
def test_bad_quiet_hours_are_named(tmp_path, value):
    with pytest.raises(ConfigError) as error:
        parse_config(establishment_with(quiet_hours=value), tmp_path)
    assert "quiet_hours" in str(error.value)
