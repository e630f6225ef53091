"""Sending: notices, files and other events, one at a time, a command's answers first.

- Replies are ``m.notice`` with HTML, in reply to the command, with explicit
  ``m.mentions``; their transaction ids derive from the command's event id so
  a repeated send after a crash is dropped by the homeserver.
- Alerts (a reminder, a promotion, a digest by direct message) are ``m.text``:
  the default push rules suppress every notice before any mention or
  one-to-one rule, so only a text with its ``m.mentions`` makes a phone ring.
- One send at a time, in two lanes (``Pacing``): whatever answers a command
  (a reply, a notice the command queued for others) goes before any scheduled
  message (a newsletter, a reminder, a welcome), which the bot spaces itself
  at ``[bot] messages_per_second``: Tchap asks bots to keep to about one
  request a second rather than lean on 429s, and a teacher's ``!aide`` must
  not wait behind the Friday newsletters.
- After a 429 nobody sends before ``retry_after_ms``: concurrent senders
  retrying each on their own would hammer the homeserver with requests bound
  to be refused. The rate limit is the account's, so a 429 rightly holds every
  room; when the pause ends, answers waiting go first.
- A refusal is sorted (``bot.matrix.failures``): a handler's send logs it in one
  line and goes on; the outbox is told whether the message may go later.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable

from nio import ErrorResponse, MatrixRoom, RoomSendResponse, UploadResponse

from bot.core.render import Message
from bot.matrix.failures import NO_ANSWER, SendFailure, failure_of_exception, failure_of_response
from bot.matrix.rooms import Rooms, RoomUnavailable
from bot.matrix.session import Session
from bot.toolkit.charts import png_size

log = logging.getLogger(__name__)


class Pacing:
    """The account's pace: one send at a time, a command's answers before scheduled messages.

    - An answer (``turn()``) takes the next turn: it waits only for the send in
      flight, then for the homeserver's pause after a 429, holding the turn so
      that answers keep their order.
    - A scheduled message (``turn(scheduled=True)``) waits for its slot and for
      the pause without holding the turn, so an answer never waits behind that
      wait; then it queues behind every answer waiting. It starts at least
      ``1 / messages_per_second`` after the previous send of any kind: answers
      are not held back, but each uses up a slot of the scheduled lane, so the
      account keeps to the pace asked of it.

    ``clock`` and ``sleep`` are the event loop's unless given (tests move time by hand).
    """

    def __init__(
        self,
        messages_per_second: float = 1.0,
        *,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.interval = 1.0 / messages_per_second
        self.rate_limited = 0  # 429 answers seen
        self._clock = clock or (lambda: asyncio.get_running_loop().time())
        self._sleep = sleep
        self._paused_until = 0.0  # before this, the homeserver asked us to wait
        self._next_scheduled = 0.0  # before this, no scheduled message starts
        self._busy = False  # a send holds the turn
        self._answers: deque[asyncio.Future] = deque()  # waiting for the turn, in order
        self._scheduled: deque[asyncio.Future] = deque()

    @property
    def answers_waiting(self) -> int:
        """Answers waiting for the turn (each goes before any scheduled message)."""
        return len(self._answers)

    async def on_error_response(self, resp: ErrorResponse) -> None:
        """Note a 429 and how long the homeserver asked every request to wait."""
        if resp.status_code == "M_LIMIT_EXCEEDED":
            self.rate_limited += 1
            wait = (resp.retry_after_ms or 5000) / 1000
            self._paused_until = max(self._paused_until, self._clock() + wait)
            # The request refused goes again when the pause ends: that is the slot.
            self._next_scheduled = max(self._next_scheduled, self._paused_until + self.interval)
            log.warning(
                "rate limited by the homeserver (429 #%d), waiting %s ms as asked (%s)",
                self.rate_limited,
                resp.retry_after_ms,
                type(resp).__name__,  # which request: a message, a room created, a join…
            )

    @contextlib.asynccontextmanager
    async def turn(self, *, scheduled: bool = False) -> AsyncIterator[None]:
        """Hold the only right to send: an answer's next, a scheduled message's in its slot."""
        if scheduled:
            await self._scheduled_turn()
        else:
            await self._take_turn(self._answers)
        try:
            if not scheduled:
                await self._wait_until(self._paused_until)
            self._next_scheduled = max(self._next_scheduled, self._clock() + self.interval)
            yield
        finally:
            self._hand_over()

    async def _scheduled_turn(self) -> None:
        while True:
            # Waited outside the turn, so an answer never waits behind this wait.
            await self._wait_until(max(self._next_scheduled, self._paused_until))
            await self._take_turn(self._scheduled)
            if self._clock() >= max(self._next_scheduled, self._paused_until):
                return
            # An answer took the slot, or a 429 came, while this one waited its turn.
            self._hand_over()

    async def _wait_until(self, instant: float) -> None:
        delay = instant - self._clock()
        if delay > 0:
            await self._sleep(delay)

    async def _take_turn(self, lane: deque[asyncio.Future]) -> None:
        if not self._busy:  # nobody waits either: the turn is handed over while anyone does
            self._busy = True
            return
        waiting = asyncio.get_running_loop().create_future()
        lane.append(waiting)
        try:
            await waiting
        except asyncio.CancelledError:
            if waiting.done() and not waiting.cancelled():
                self._hand_over()  # given the turn just as it was cancelled: pass it on
            else:
                lane.remove(waiting)
            raise

    def _hand_over(self) -> None:
        """Give the turn to the first answer waiting, else the first scheduled message."""
        for lane in (self._answers, self._scheduled):
            while lane:
                waiting = lane.popleft()
                if not waiting.done():
                    waiting.set_result(None)
                    return
        self._busy = False


class Sender:
    """What handlers speak through (the core's ``Messenger``), and what sends the outbox.

    ``send_*`` are for handlers: a refused message is logged in one line and
    gives None, so a room that refuses the bot never raises into the
    dispatcher. ``deliver_*`` are for the outbox: they raise ``SendFailure``,
    which says whether trying again can help.
    """

    def __init__(self, session: Session, rooms: Rooms, pacing: Pacing) -> None:
        self.session = session
        self.rooms = rooms
        self.pacing = pacing

    async def send_message(
        self,
        room_id: str,
        message: Message,
        *,
        reply_to: str | None = None,
        txn_id: str | None = None,
        alert: bool = False,
    ) -> str | None:
        """Send an ``m.notice`` (an ``m.text`` if an ``alert``; HTML, explicit mentions),
        as a reply when told."""
        sending = self.deliver_message(
            room_id, message, reply_to=reply_to, txn_id=txn_id, alert=alert
        )
        return await _logged(sending, "a message", room_id)

    async def send_file(
        self,
        room_id: str,
        filename: str,
        data: bytes,
        mimetype: str,
        *,
        reply_to: str | None = None,
        txn_id: str | None = None,
    ) -> str | None:
        """Upload a file (encrypted in encrypted rooms) and post it as ``m.file``."""
        sending = self.deliver_file(
            room_id, filename, data, mimetype, reply_to=reply_to, txn_id=txn_id
        )
        return await _logged(sending, filename, room_id)

    async def send_event(
        self, room_id: str, event_type: str, content: dict, *, txn_id: str | None = None
    ) -> str | None:
        """Send any room event (polls use ``m.poll.start``), at the homeserver's pace."""
        return await _logged(
            self.deliver_event(room_id, event_type, content, txn_id), event_type, room_id
        )

    async def deliver_message(
        self,
        room_id: str,
        message: Message,
        *,
        reply_to: str | None = None,
        txn_id: str | None = None,
        alert: bool = False,
        scheduled: bool = False,
    ) -> str:
        """``send_message`` that raises ``SendFailure`` instead of logging; an ``alert``
        is an ``m.text``, which the default push rules notify (a notice never). A
        ``scheduled`` message goes in its slot, after every command's answer waiting."""
        content = {
            "msgtype": "m.text" if alert else "m.notice",
            "body": message.body,
            "format": "org.matrix.custom.html",
            "formatted_body": message.html,
            # Always present: an empty list tells clients to ping nobody.
            "m.mentions": {"user_ids": list(message.mentions)},
        }
        if reply_to:
            content["m.relates_to"] = {"m.in_reply_to": {"event_id": reply_to}}
        return await self.deliver_event(
            room_id, "m.room.message", content, txn_id, scheduled=scheduled
        )

    async def deliver_file(
        self,
        room_id: str,
        filename: str,
        data: bytes,
        mimetype: str,
        *,
        reply_to: str | None = None,
        txn_id: str | None = None,
        scheduled: bool = False,
    ) -> str:
        """``send_file`` that raises ``SendFailure`` instead of logging; a PNG goes
        as ``m.image`` with its size, which clients need to lay it out before it loads."""
        room = await self._with_state(room_id)
        encrypt = bool(room and room.encrypted)
        try:
            upload, keys = await self.session.client.upload(
                io.BytesIO(data),
                content_type=mimetype,
                filename=filename,
                encrypt=encrypt,
                filesize=len(data),
            )
        except Exception as error:
            raise failure_of_exception(error) from error
        if not isinstance(upload, UploadResponse):
            raise failure_of_response(upload)
        content = {
            # A picture is shown in the timeline, a file only named.
            "msgtype": "m.image" if mimetype.startswith("image/") else "m.file",
            "body": filename,
            "filename": filename,
            "info": {"mimetype": mimetype, "size": len(data), **png_size(data)},
            "m.mentions": {"user_ids": []},
        }
        if encrypt:
            content["file"] = {**keys, "url": upload.content_uri}
        else:
            content["url"] = upload.content_uri
        if reply_to:
            content["m.relates_to"] = {"m.in_reply_to": {"event_id": reply_to}}
        return await self.deliver_event(
            room_id, "m.room.message", content, txn_id, scheduled=scheduled
        )

    async def deliver_event(
        self,
        room_id: str,
        event_type: str,
        content: dict,
        txn_id: str | None = None,
        *,
        scheduled: bool = False,
    ) -> str:
        """Send a room event in its turn (``Pacing``); its event id, or ``SendFailure``."""
        await self._with_state(room_id)
        async with self.pacing.turn(scheduled=scheduled):
            try:
                resp = await self.session.client.room_send(
                    room_id, event_type, content, tx_id=txn_id, ignore_unverified_devices=True
                )
            except Exception as error:
                raise failure_of_exception(error) from error
        if isinstance(resp, RoomSendResponse):
            return resp.event_id
        raise failure_of_response(resp)

    async def _with_state(self, room_id: str) -> MatrixRoom | None:
        """The room with its state loaded (whether to encrypt), or why it cannot be had."""
        try:
            return await self.rooms.with_state(room_id)
        except RoomUnavailable as error:
            if isinstance(error.resp, ErrorResponse):
                raise failure_of_response(error.resp) from error
            raise SendFailure(NO_ANSWER, str(error), permanent=False) from error
        except Exception as error:
            raise failure_of_exception(error) from error

    async def direct_room(self, user_id: str) -> str:
        """The encrypted direct-message room with a user, created once and reused."""
        return await self.rooms.direct_room(user_id)


async def _logged(sending: Awaitable[str], what: str, room_id: str) -> str | None:
    """What a handler's send gives: the event id, or None after one log line."""
    try:
        return await sending
    except SendFailure as failure:
        log.error("could not send %s to %s: %s", what, room_id, failure)
        return None
