"""The JSON log format, and the one line each answered command leaves in the log."""

from __future__ import annotations

import json
import logging
import sys

from bot.ops.logs import JsonFormatter, formatter
from tests.conftest import TEACHER


def record(message: str, *args, level=logging.INFO, exc_info=None, **extra) -> logging.LogRecord:
    made = logging.LogRecord("bot.core.dispatcher", level, __file__, 1, message, args, exc_info)
    made.created = 1795507200.25  # 2026-11-24 08:00:00.250 UTC
    made.__dict__.update(extra)
    return made


def test_a_record_with_extras_becomes_one_json_object_with_those_fields():
    line = JsonFormatter().format(
        record(
            "%s: !%s: %s",
            "clg-x",
            "permanence réserver",
            "done",
            establishment="clg-x",
            command="permanence réserver",
            outcome="done",
            duration_ms=12.5,
            event_id="$abc",
            request="a library's request object, not ours to log",
        )
    )
    assert "\n" not in line
    assert json.loads(line) == {
        "time": "2026-11-24T08:00:00.250+00:00",
        "level": "INFO",
        "logger": "bot.core.dispatcher",
        "message": "clg-x: !permanence réserver: done",
        "establishment": "clg-x",
        "command": "permanence réserver",
        "outcome": "done",
        "duration_ms": 12.5,
        "event_id": "$abc",
    }


def test_a_traceback_stays_inside_its_one_line():
    try:
        raise ValueError("boom")
    except ValueError:
        line = JsonFormatter().format(
            record("failed", level=logging.ERROR, exc_info=sys.exc_info())
        )
    entry = json.loads(line)
    assert "\n" not in line
    assert entry["level"] == "ERROR" and "ValueError: boom" in entry["exception"]


def test_the_config_chooses_the_format():
    assert isinstance(formatter("json"), JsonFormatter)
    text = formatter("text").format(record("hello %s", "world"))
    assert text.endswith("INFO bot.core.dispatcher: hello world")


async def test_each_answered_command_logs_its_name_and_duration_never_its_text(chat, caplog):
    typed = "!AIDE motdepasse-hunter2"
    with caplog.at_level(logging.INFO, logger="bot.core.dispatcher"):
        await chat.say(TEACHER, typed)
    [line] = [r for r in caplog.records if r.name == "bot.core.dispatcher"]
    assert line.establishment == chat.config.establishments[0].id
    assert line.command == "aide"  # the registered name, not what was typed
    assert line.outcome == "rejected"  # no command by that name: a bad argument
    assert isinstance(line.duration_ms, float) and line.duration_ms >= 0
    as_json = JsonFormatter().format(line)
    for shown in (line.getMessage(), as_json):
        assert "hunter2" not in shown and "AIDE" not in shown
    assert json.loads(as_json)["command"] == "aide"
    school = chat.config.establishments[0].id
    assert f"{school}: !aide from {TEACHER}: rejected in " in line.getMessage()


async def test_an_unknown_command_is_logged_without_the_word_typed(chat, caplog):
    with caplog.at_level(logging.INFO, logger="bot.core.dispatcher"):
        await chat.say(TEACHER, "!secret-mot-tape")
    [line] = [r for r in caplog.records if r.name == "bot.core.dispatcher"]
    assert line.outcome == "unknown" and line.command is None
    assert "secret" not in line.getMessage() and "secret" not in JsonFormatter().format(line)
