"""Arbitrary text thrown at the real dispatcher: no crash, replies fit, rejections write nothing."""

import asyncio
import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.config import parse_config
from bot.core.dispatcher import Outcome
from bot.core.places import Place
from commands import load_registry
from tests.conftest import MINIMAL_CONFIG, PRINCIPAL, REFERENT, TEACHER

# A Matrix event is at most 65,536 bytes: the content JSON, base64'd by encryption
# (x4/3), plus the event's envelope, must fit.
EVENT_LIMIT, ENVELOPE = 65_536, 2_000

REGISTRY = load_registry()
COMMAND_WORDS = sorted(
    {key for spec in REGISTRY.commands for key in spec.keys}
    | {f"{spec.name} {sub.name}" for spec in REGISTRY.commands for sub in spec.sub_commands}
)
HOSTILE = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(2)">',
    "@room",
    "@room @room",
    "@",
    "@:",
    "@@prof1:localhost:",
    "personne @room",
    "**gras** _it_ `code` [lien](javascript:alert(3))",
    "# titre",
    "> citation",
    "| a | b |",
    "\x00\x01\x1b[31m",
    "\u202e\u200b\ufeff",
    "𝕏😀🇫🇷",
    "99999999999999999999999999",
    "9" * 5_000,  # beyond the 4,300 digits Python converts to int
    "9" * 5_000 + " places",
    "9" * 5_000 + "places",
    "-1",
    "0",
    "1e9",
    "mardi 25h",
    "32 décembre",
    "demain 10h",
    "3/12 14h",
    "\n\n\n",
]
argument = st.one_of(
    st.text(max_size=200),
    st.sampled_from(HOSTILE),
    st.integers().map(str),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=50),
    st.builds(
        lambda c, n: c * n, st.sampled_from(["a", "é", "<", "@room ", "1 "]), st.integers(1, 60_000)
    ),
)
arguments = st.lists(argument, max_size=4).map(" ".join)
body = st.builds(lambda word, rest: f"!{word} {rest}", st.sampled_from(COMMAND_WORDS), arguments)


@pytest.fixture
def loop():
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@settings(
    max_examples=10_000,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(
    text=st.one_of(body, st.text(max_size=100)),
    sender=st.sampled_from([TEACHER, REFERENT, PRINCIPAL]),
)
def test_any_text_is_answered_safely(chat, loop, text, sender):
    changes = chat.db.conn.total_changes
    sent = len(chat.messenger.sent)
    reply = loop.run_until_complete(chat.say(sender, text))
    assert chat.outcome is not Outcome.FAILED, f"a handler crashed on {text[:200]!r}"
    if chat.outcome is Outcome.IGNORED:
        assert reply is None
        return
    for item in chat.messenger.sent[sent:]:
        if item.message is not None:
            content = {"body": item.message.body, "formatted_body": item.message.html}
            assert len(json.dumps(content)) * 4 / 3 + ENVELOPE <= EVENT_LIMIT
            assert "@room" not in item.message.body and "<script" not in item.message.html
            assert "<img" not in item.message.html and "Traceback" not in item.message.body
    if chat.outcome in (Outcome.REJECTED, Outcome.REFUSED, Outcome.UNKNOWN, Outcome.FORBIDDEN):
        assert chat.db.conn.total_changes == changes, f"{text[:200]!r} wrote despite {chat.outcome}"


ADMIN = "@dane:localhost"
ACADEMY_COMMANDS = [spec for spec in REGISTRY.commands if spec.used_in(Place.ACADEMY)]
ACADEMY_WORDS = sorted(
    {f"{spec.name} {sub.name}" for spec in ACADEMY_COMMANDS for sub in spec.sub_commands}
    | {key for spec in ACADEMY_COMMANDS for key in spec.keys}
)


@settings(
    max_examples=2_000,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(
    text=st.builds(lambda word, rest: f"!{word} {rest}", st.sampled_from(ACADEMY_WORDS), arguments),
    sender=st.sampled_from([ADMIN, TEACHER]),
)
def test_any_text_in_the_academys_room_is_answered_safely(chat, loop, tmp_path, text, sender):
    raw = copy.deepcopy(MINIMAL_CONFIG)
    raw["bot"]["admins"] = [ADMIN]
    raw["academy"] = {"room": "!academie:localhost"}
    chat.config = parse_config(raw, tmp_path)
    changes = chat.db.conn.total_changes
    loop.run_until_complete(chat.say(sender, text, in_academy=True))
    assert chat.outcome is not Outcome.FAILED, f"a handler crashed on {text[:200]!r}"
    for item in chat.messenger.sent:
        if item.message is not None:
            assert "@room" not in item.message.body and "<script" not in item.message.html
    if chat.outcome in (Outcome.REJECTED, Outcome.REFUSED, Outcome.UNKNOWN, Outcome.FORBIDDEN):
        assert chat.db.conn.total_changes == changes, f"{text[:200]!r} wrote despite {chat.outcome}"
