"""Refusals sorted: what may pass and what never will; a handler's send never raises.

What nio answers (errcode in ``status_code``, the HTTP status on its transport
response) or raises, as ``bot.matrix.failures`` sorts it; the real Sender with a
stand-in nio client where one room refuses the bot and one is unknown to it.
"""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest
from aiohttp import ClientConnectionError
from nio import LocalProtocolError, RoomSendError, RoomSendResponse, UploadError

from bot.core.render import Message
from bot.matrix.failures import SendFailure, failure_of_exception, failure_of_response
from bot.matrix.sender import Pacing, Sender

ROOM_A, ROOM_B, ROOM_C = "!a:localhost", "!b:localhost", "!c:localhost"


def answer(cls, errcode: str | None, status: int | None, message: str = "refused"):
    """An error answer as nio builds it: errcode in status_code, HTTP status on the side."""
    resp = cls(message, errcode)
    if status is not None:
        resp.transport_response = SimpleNamespace(status=status)
    return resp


# What the homeserver (or nio) answers, and how it is sorted.
CASES = [
    ("muted or kicked", answer(RoomSendError, "M_FORBIDDEN", 403), "M_FORBIDDEN", True),
    ("unknown room", answer(RoomSendError, "M_NOT_FOUND", 404), "M_NOT_FOUND", True),
    ("file too large", answer(UploadError, "M_TOO_LARGE", 413), "M_TOO_LARGE", True),
    ("bad content", answer(RoomSendError, "M_BAD_JSON", 400), "M_BAD_JSON", True),
    ("other 4xx", answer(RoomSendError, "M_UNKNOWN", 400), "M_UNKNOWN", True),
    ("errcode alone", answer(RoomSendError, "M_FORBIDDEN", None), "M_FORBIDDEN", True),
    ("server error", answer(RoomSendError, "M_UNKNOWN", 500), "M_UNKNOWN", False),
    ("proxy 502, no JSON", answer(RoomSendError, None, 502, "unknown error"), "HTTP_502", False),
    ("rate limited", answer(RoomSendError, "M_LIMIT_EXCEEDED", 429), "M_LIMIT_EXCEEDED", False),
    ("timeout", answer(RoomSendError, None, 408), "HTTP_408", False),
    ("token revoked", answer(RoomSendError, "M_UNKNOWN_TOKEN", 401), "M_UNKNOWN_TOKEN", False),
    ("no answer at all", answer(RoomSendError, None, None, "unknown error"), "NO_ANSWER", False),
]


@pytest.mark.parametrize(("what", "resp", "code", "permanent"), CASES, ids=[c[0] for c in CASES])
def test_error_answers_are_sorted(what, resp, code, permanent):
    failure = failure_of_response(resp)
    assert (failure.code, failure.permanent) == (code, permanent)


def test_what_nio_raises_is_sorted():
    not_joined = failure_of_exception(LocalProtocolError(f"No such room with id {ROOM_A} found."))
    assert (not_joined.code, not_joined.permanent) == ("NOT_JOINED", True)
    network = failure_of_exception(ClientConnectionError("reset"))
    assert (network.code, network.permanent) == ("NO_ANSWER", False)
    local = failure_of_exception(RuntimeError("olm"))
    assert (local.code, local.permanent) == ("LOCAL_ERROR", False)


class RefusingClient:
    """nio's client where room A refuses the bot and room C is unknown to it."""

    user_id = "@bot:localhost"

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def room_send(self, room_id, event_type, content, tx_id=None, **_):
        if room_id == ROOM_C:
            raise LocalProtocolError(f"No such room with id {room_id} found.")
        if room_id == ROOM_A:
            return answer(RoomSendError, "M_FORBIDDEN", 403, "You don't have permission")
        self.sent.append(room_id)
        return RoomSendResponse(f"$ev{len(self.sent)}", room_id)


class StateKnown:
    async def with_state(self, room_id):
        return SimpleNamespace(encrypted=False)


async def test_a_reply_to_a_refusing_room_is_logged_once_and_never_raises(caplog):
    client = RefusingClient()
    sender = Sender(SimpleNamespace(client=client), StateKnown(), Pacing())
    with caplog.at_level(logging.WARNING):
        assert await sender.send_message(ROOM_A, Message("b", "b"), reply_to="$cmd") is None
        assert await sender.send_message(ROOM_C, Message("b", "b"), reply_to="$cmd") is None
        assert await sender.send_message(ROOM_B, Message("b", "b"), reply_to="$cmd") == "$ev1"
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2 and not any(r.exc_info for r in caplog.records)
    assert f"could not send a message to {ROOM_A}: M_FORBIDDEN" in lines[0]
    assert f"could not send a message to {ROOM_C}: NOT_JOINED" in lines[1]
    with pytest.raises(SendFailure) as refused:
        await sender.deliver_message(ROOM_A, Message("b", "b"))
    assert refused.value.permanent
