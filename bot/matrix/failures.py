"""Why a send failed, and whether trying the same message again can help.

matrix-nio answers a refused request with an ``ErrorResponse`` (``RoomSendError``,
``UploadError``, ``RoomGetStateError``…) whose ``status_code`` is the Matrix
``errcode`` and whose ``transport_response.status`` is the HTTP status; it
raises ``LocalProtocolError`` when it does not know the room. With the bot's
client settings it retries 429s (after ``retry_after_ms``) and unreachable
homeservers itself, without end, so those rarely come back here.

- **Permanent**: this message can never go as it is, so it is set aside and
  what follows goes on: the room refuses the bot (``M_FORBIDDEN``: kicked,
  banned, muted, a room upgraded and closed), the room is unknown or the bot is
  not in it (``M_NOT_FOUND``, ``NOT_JOINED``), the content is refused
  (``M_TOO_LARGE``, ``M_BAD_JSON``…), and any other 4xx answer.
- **Temporary**: the homeserver or the network is in trouble, or the whole
  account is held back: 429, 408, 5xx, no answer, an unexpected local error,
  and the account-wide errcodes (an expired token stops the bot elsewhere).
  The message is tried again later.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import ClientError
from nio import ErrorResponse, LocalProtocolError

# Refusals that say nothing about the message or its room: the whole account is held.
ACCOUNT_WIDE = {
    "M_LIMIT_EXCEEDED",
    "M_UNKNOWN_TOKEN",
    "M_MISSING_TOKEN",
    "M_USER_DEACTIVATED",
    "ORG_MATRIX_EXPIRED_ACCOUNT",
    "M_RESOURCE_LIMIT_EXCEEDED",
    "M_CONSENT_NOT_GIVEN",
}
# Refusals of this message in this room, whatever the HTTP status says.
FOR_GOOD = {
    "M_FORBIDDEN",
    "M_NOT_FOUND",
    "M_TOO_LARGE",
    "M_BAD_JSON",
    "M_NOT_JSON",
    "M_INVALID_PARAM",
    "M_UNSUPPORTED_ROOM_VERSION",
    "M_INCOMPATIBLE_ROOM_VERSION",
    "M_GUEST_ACCESS_FORBIDDEN",
}
NOT_JOINED = "NOT_JOINED"  # nio does not know the room: the bot is not in it
NO_ANSWER = "NO_ANSWER"  # the request got no usable answer (network, timeout)
LOCAL_ERROR = "LOCAL_ERROR"  # something failed on the bot's side before the request


@dataclass(eq=False)
class SendFailure(Exception):
    """A message that did not go: a code (errcode or ours), the words, and whether for good."""

    code: str
    reason: str
    permanent: bool

    def __str__(self) -> str:
        return f"{self.code}: {self.reason}"


def http_status(resp: ErrorResponse) -> int | None:
    """The HTTP status of an error answer, when nio kept the transport response."""
    transport = getattr(resp, "transport_response", None)
    return getattr(transport, "status", None)


def failure_of_response(resp: ErrorResponse) -> SendFailure:
    """Sort an error answer of the homeserver."""
    code = resp.status_code or ""
    status = http_status(resp)
    reason = resp.message or "no reason given"
    if status is not None:
        reason = f"{reason} (HTTP {status})"
    if code in ACCOUNT_WIDE:
        permanent = False
    elif code in FOR_GOOD:
        permanent = True
    elif status is None:
        permanent = False
    else:
        permanent = 400 <= status < 500 and status not in (408, 429)
    return SendFailure(code or (f"HTTP_{status}" if status else NO_ANSWER), reason, permanent)


def failure_of_exception(error: BaseException) -> SendFailure:
    """Sort what nio raised instead of answering."""
    if isinstance(error, LocalProtocolError) and str(error).startswith("No such room"):
        return SendFailure(NOT_JOINED, f"the bot is not in this room ({error})", permanent=True)
    if isinstance(error, (ClientError, OSError, TimeoutError)):
        return SendFailure(NO_ANSWER, f"{type(error).__name__}: {error}", permanent=False)
    return SendFailure(LOCAL_ERROR, f"{type(error).__name__}: {error}", permanent=False)
