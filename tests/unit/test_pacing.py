"""A command's answer goes before the Friday newsletters; those are spaced by the bot itself.

The real outbox pump and Sender on a temp SQLite file, in front of a stand-in
nio client that records what reaches the homeserver and when; time is moved
by hand (``ManualTime``), so the spacing asserted is the pacing's, not the
machine's.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from nio import RoomSendError, RoomSendResponse

from bot.core.config import ConfigError, parse_config
from bot.core.render import Message
from bot.matrix.lifecycle import Lifecycle
from bot.matrix.outbox import OutboxPump
from bot.matrix.sender import Pacing, Sender
from storage.outbox import has_unsent, queue_message
from tests.conftest import MINIMAL_CONFIG

ROOMS = {"clg-a": "!a:localhost", "clg-b": "!b:localhost", "clg-c": "!c:localhost"}
NOW = datetime(2027, 6, 11, 14, 0, tzinfo=UTC)  # a Friday, 16:00 in Paris
DEADLINE_S = 10.0  # real seconds a step may take before the test gives up


class ManualTime:
    """The pacing's clock and sleep: sleepers wake only when the test moves time on."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleepers: list[tuple[float, asyncio.Future]] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        woken = asyncio.get_running_loop().create_future()
        self.sleepers.append((self.now + delay, woken))
        try:
            await woken
        finally:
            self.sleepers = [s for s in self.sleepers if s[1] is not woken]

    def next_wake_up(self) -> float:
        return min(at for at, _ in self.sleepers)

    def move_to(self, instant: float) -> None:
        """Move time on to ``instant`` and wake, in order, whoever slept until then."""
        self.now = max(self.now, instant)
        for at, woken in sorted(self.sleepers, key=lambda s: s[0]):
            if at <= self.now and not woken.done():
                woken.set_result(None)
        self.sleepers = [s for s in self.sleepers if not s[1].done()]


async def until(condition, what: str) -> None:
    """Let the loop run until ``condition()`` holds; fail after a deadline.

    Whoever time just woke runs first: their wake-up is already in the loop's queue.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DEADLINE_S
    await asyncio.sleep(0)
    while not condition():
        assert loop.time() < deadline, f"still waiting for {what}"
        await asyncio.sleep(0.001)


class Homeserver:
    """nio's client as the Sender uses it: records each accepted send and its time.

    ``limited`` txn ids get a 429 first; like nio (``max_limit_exceeded=None``) the
    client tells the pacing, waits ``retry_after_ms`` and tries again, holding the turn.
    """

    def __init__(self, time: ManualTime, pacing: Pacing) -> None:
        self.time = time
        self.pacing = pacing
        self.limited: set[str] = set()
        self.sent: list[tuple[float, str]] = []  # (time, body)

    async def room_send(self, room_id, event_type, content, tx_id=None, **_):
        if tx_id in self.limited:
            self.limited.discard(tx_id)
            refused = RoomSendError("Too Many Requests", "M_LIMIT_EXCEEDED", retry_after_ms=5000)
            await self.pacing.on_error_response(refused)
            await self.time.sleep(5.0)
        self.sent.append((self.time.now, content["body"]))
        return RoomSendResponse(f"$ev{len(self.sent)}", room_id)

    @property
    def bodies(self) -> list[str]:
        return [body for _, body in self.sent]


class Rooms:
    async def with_state(self, room_id):
        return SimpleNamespace(encrypted=False)

    def room_of(self, establishment_id):
        return ROOMS[establishment_id]


@pytest.fixture
def world(db):
    time = ManualTime()
    pacing = Pacing(1.0, clock=time, sleep=time.sleep)
    homeserver = Homeserver(time, pacing)
    sender = Sender(SimpleNamespace(client=homeserver), Rooms(), pacing)
    pump = OutboxPump(db, lambda: NOW, sender, Rooms(), Lifecycle())
    return SimpleNamespace(
        time=time, pacing=pacing, homeserver=homeserver, sender=sender, pump=pump
    )


def queue_newsletters(db, count: int) -> list[str]:
    """The Friday pass: one scheduled newsletter per room, in turn; their txn ids."""
    txn_ids = []
    for n in range(count):
        establishment = sorted(ROOMS)[n % len(ROOMS)]
        txn_id = f"rupn-job-lettre-{establishment}-2027-06-11-{n}"
        queue_message(
            db,
            establishment_id=establishment,
            body=f"lettre {n + 1}",
            html=f"lettre {n + 1}",
            mentions=(),
            txn_id=txn_id,
            now=NOW,
        )
        txn_ids.append(txn_id)
    return txn_ids


async def send_the_rest(world, db) -> None:
    """Move time from one wake-up to the next until the outbox is empty."""
    while has_unsent(db):
        await until(lambda: world.time.sleepers or not has_unsent(db), "a wait")
        if world.time.sleepers:
            world.time.move_to(world.time.next_wake_up())


async def test_an_answer_goes_before_the_next_newsletter_without_waiting_its_slot(world, db):
    queue_newsletters(db, 3)
    world.pump.request_flush()
    await until(lambda: world.homeserver.bodies == ["lettre 1"], "the first newsletter")
    await until(lambda: world.time.sleepers, "the second newsletter to wait for its slot")

    # A teacher types !aide while the second newsletter waits for its slot.
    answer = asyncio.create_task(
        world.sender.send_message(ROOMS["clg-a"], Message("aide", "aide"), reply_to="$cmd")
    )
    await until(answer.done, "the answer")
    assert world.homeserver.sent[-1] == (0.0, "aide")  # at once, not a slot later

    await send_the_rest(world, db)
    assert world.homeserver.bodies == ["lettre 1", "aide", "lettre 2", "lettre 3"]


async def test_an_answer_waits_only_for_the_send_in_flight(world, db):
    queue_newsletters(db, 2)
    in_flight = asyncio.Event()
    released = asyncio.Event()
    room_send = world.homeserver.room_send

    async def slow_first_send(room_id, event_type, content, tx_id=None, **options):
        if content["body"] == "lettre 1":
            in_flight.set()
            await released.wait()
        return await room_send(room_id, event_type, content, tx_id=tx_id, **options)

    world.homeserver.room_send = slow_first_send
    world.pump.request_flush()
    await until(in_flight.is_set, "the first newsletter in flight")
    answer = asyncio.create_task(
        world.sender.send_message(ROOMS["clg-b"], Message("aide", "aide"), reply_to="$cmd")
    )
    world.time.move_to(3.0)  # the second newsletter's slot is long due by now
    released.set()
    await until(answer.done, "the answer")
    await send_the_rest(world, db)
    assert world.homeserver.bodies == ["lettre 1", "aide", "lettre 2"]


async def test_newsletters_are_spaced_by_the_configured_pace(db):
    time = ManualTime()
    pacing = Pacing(0.5, clock=time, sleep=time.sleep)  # one every 2 s
    homeserver = Homeserver(time, pacing)
    sender = Sender(SimpleNamespace(client=homeserver), Rooms(), pacing)
    pump = OutboxPump(db, lambda: NOW, sender, Rooms(), Lifecycle())
    world = SimpleNamespace(time=time, pump=pump)
    queue_newsletters(db, 5)
    pump.request_flush()
    await send_the_rest(world, db)
    assert homeserver.sent == [(2.0 * n, f"lettre {n + 1}") for n in range(5)]
    assert pacing.rate_limited == 0


async def test_answers_are_not_spaced_but_use_up_the_newsletters_slots(world, db):
    for n in range(3):
        await world.sender.send_message(ROOMS["clg-a"], Message(f"aide {n}", "x"), reply_to="$c")
    assert world.homeserver.sent == [(0.0, "aide 0"), (0.0, "aide 1"), (0.0, "aide 2")]
    queue_newsletters(db, 1)
    world.pump.request_flush()
    await send_the_rest(world, db)
    assert world.homeserver.sent[-1] == (1.0, "lettre 1")  # a slot after the last answer


async def test_after_a_429_the_answer_goes_first_then_the_newsletters(world, db):
    txn_ids = queue_newsletters(db, 3)
    world.homeserver.limited.add(txn_ids[0])
    world.pump.request_flush()
    # The first newsletter meets a 429: the homeserver asks for 5 s, which it waits.
    await until(lambda: world.pacing.rate_limited == 1, "the 429")
    world.time.move_to(2.0)
    answer = asyncio.create_task(
        world.sender.send_message(ROOMS["clg-c"], Message("aide", "aide"), reply_to="$cmd")
    )
    await until(lambda: world.pacing.answers_waiting, "the answer to wait for the turn")
    world.time.move_to(5.0)
    await until(answer.done, "the answer")
    await send_the_rest(world, db)
    assert world.homeserver.bodies == ["lettre 1", "aide", "lettre 2", "lettre 3"]
    # Nothing went during the pause; the newsletters kept their pace after the answer.
    times = [at for at, _ in world.homeserver.sent]
    assert times[:2] == [5.0, 5.0] and times[2:] == [6.0, 7.0]


async def test_a_429_seen_elsewhere_holds_the_newsletters_and_answers_go_first(world, db):
    queue_newsletters(db, 2)
    # Any request of the account may be told to wait (a sync, a key upload).
    limited = RoomSendError("Too Many Requests", "M_LIMIT_EXCEEDED", retry_after_ms=4000)
    await world.pacing.on_error_response(limited)
    world.pump.request_flush()
    await until(lambda: world.time.sleepers, "the newsletter to wait for the pause")
    world.time.move_to(1.0)
    answer = asyncio.create_task(
        world.sender.send_message(ROOMS["clg-a"], Message("aide", "aide"), reply_to="$cmd")
    )
    await until(lambda: len(world.time.sleepers) == 2, "the answer to wait for the pause")
    world.time.move_to(4.0)
    await until(answer.done, "the answer")
    await send_the_rest(world, db)
    assert world.homeserver.sent == [(4.0, "aide"), (5.0, "lettre 1"), (6.0, "lettre 2")]


async def test_a_notice_a_command_queued_goes_before_the_rest_of_the_pass(world, db):
    queue_newsletters(db, 4)
    world.pump.request_flush()
    await until(lambda: world.homeserver.bodies == ["lettre 1"], "the first newsletter")
    # A booking's promotion from the waiting list, queued by a command for a colleague.
    queue_message(
        db,
        establishment_id="clg-b",
        body="promotion",
        html="promotion",
        mentions=("@prof2:localhost",),
        txn_id="rupn-$cmd-2",
        now=NOW,
        alert=True,
    )
    world.pump.request_flush()
    await send_the_rest(world, db)
    # The second newsletter was waiting for its slot already; the notice goes right after it.
    assert world.homeserver.sent == [
        (0.0, "lettre 1"),
        (1.0, "lettre 2"),
        (1.0, "promotion"),
        (2.0, "lettre 3"),
        (3.0, "lettre 4"),
    ]


@pytest.mark.parametrize("value", [0, -1, "vite"])
def test_the_pace_is_read_from_the_config(tmp_path, value):
    raw = {**MINIMAL_CONFIG, "bot": {**MINIMAL_CONFIG["bot"]}}
    assert parse_config(raw, tmp_path).bot.messages_per_second == 1.0
    raw["bot"]["messages_per_second"] = 0.2
    assert parse_config(raw, tmp_path).bot.messages_per_second == 0.2
    raw["bot"]["messages_per_second"] = value
    with pytest.raises(ConfigError) as error:
        parse_config(raw, tmp_path)
    assert error.value.problems[0].startswith("bot.messages_per_second: expected a number")
