"""Each person's command budget: 20 commands a minute, then one line, then silence.

The real dispatcher with a budget, on a temp SQLite file; the clock is the
message's handling time, moved by the test.
"""

from __future__ import annotations

import copy
import logging
from datetime import datetime, timedelta

import pytest

from bot.core.budget import CommandBudget, Verdict
from bot.core.config import ConfigError, parse_config
from bot.core.dispatcher import Dispatcher, Outcome
from tests.conftest import MINIMAL_CONFIG, PARIS, REFERENT, TEACHER

PAUSE = "Vous m'envoyez beaucoup de commandes : je reprends dans une minute."
START = datetime(2026, 11, 23, 9, 0, tzinfo=PARIS)


@pytest.fixture
def budgeted(chat):
    chat.dispatcher = Dispatcher(chat.registry, CommandBudget(20))
    return chat


async def burst(chat, sender: str, count: int, at: datetime) -> list:
    """``count`` commands a second apart from ``at``; the reply to each, or None."""
    return [await chat.say(sender, "!aide", now=at + timedelta(seconds=n)) for n in range(count)]


async def test_a_burst_of_25_gets_20_answers_one_line_then_silence(budgeted, caplog):
    with caplog.at_level(logging.INFO, logger="bot.core.dispatcher"):
        replies = await burst(budgeted, TEACHER, 25, START)
    # One log line for what was held back, naming the command.
    throttled = [r.getMessage() for r in caplog.records if "throttled" in r.getMessage()]
    assert len(throttled) == 1 and f"!aide from {TEACHER}: throttled" in throttled[0]
    answers = [r for r in replies[:20] if r is not None and "!aide" in r.body]
    assert len(answers) == 20
    assert replies[20].body == PAUSE
    assert replies[21:] == [None, None, None, None]
    assert budgeted.outcome is Outcome.IGNORED
    # Someone else is answered meanwhile: the budget is each person's.
    assert (
        "!aide" in (await budgeted.say(REFERENT, "!aide", now=START + timedelta(seconds=30))).body
    )


async def test_the_budget_refills_a_minute_after_the_first_command(budgeted):
    await burst(budgeted, TEACHER, 25, START)
    assert await budgeted.say(TEACHER, "!aide", now=START + timedelta(seconds=59)) is None
    # The first command is a minute old: one more may go, then the line again, once.
    again = await budgeted.say(TEACHER, "!aide", now=START + timedelta(seconds=60))
    assert "!aide" in again.body
    later = START + timedelta(seconds=60.5)
    replies = [await budgeted.say(TEACHER, "!aide", now=later) for _ in range(3)]
    assert [r.body if r else None for r in replies] == [PAUSE, None, None]


async def test_chatter_and_unknown_commands(budgeted):
    # « !!! » is not a command: it costs nothing. An unknown command is answered: it counts.
    for n in range(40):
        assert await budgeted.say(TEACHER, "!!!", now=START + timedelta(seconds=n)) is None
    replies = [
        await budgeted.say(TEACHER, "!bonjour", now=START + timedelta(seconds=40))
        for _ in range(21)
    ]
    assert all("bonjour" in r.body for r in replies[:20]) and replies[20].body == PAUSE


async def test_the_limit_is_read_from_the_config_and_zero_means_none(tmp_path):
    raw = copy.deepcopy(MINIMAL_CONFIG)
    assert parse_config(raw, tmp_path).bot.commands_per_minute == 20
    raw["bot"]["commands_per_minute"] = 0
    assert parse_config(raw, tmp_path).bot.commands_per_minute == 0
    raw["bot"]["commands_per_minute"] = -3
    with pytest.raises(ConfigError) as error:
        parse_config(raw, tmp_path)
    assert error.value.problems == [
        "bot.commands_per_minute: expected a number between 0 (no limit) and 10000"
    ]


def test_memory_stays_bounded_whatever_people_send():
    budget = CommandBudget(20, max_people=1000)
    # A day of 100,000 different senders, one command each, a second apart: those
    # idle for a minute are forgotten as others come.
    for n in range(100_000):
        budget.take("clg-a", f"@p{n}:x", START + timedelta(seconds=n))
        assert len(budget) <= 61
    # 5,000 senders in the same second: no more than the cap is kept.
    for n in range(5_000):
        budget.take("clg-a", f"@q{n}:x", START + timedelta(days=2))
    assert len(budget) == 1000
    # One person's memory is their 20 last commands, however many they send.
    for n in range(10_000):
        budget.take("clg-a", "@flood:x", START + timedelta(days=3, milliseconds=n))
    flood = budget._people[("clg-a", "@flood:x")]
    assert len(flood.times) == 20


def test_the_budget_is_per_establishment():
    budget = CommandBudget(2)
    verdicts = [budget.take("clg-a", TEACHER, START) for _ in range(3)]
    assert verdicts == [Verdict.ANSWER, Verdict.ANSWER, Verdict.WARN]
    assert budget.take("clg-b", TEACHER, START) is Verdict.ANSWER
