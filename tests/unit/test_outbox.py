"""One room that refuses the bot holds up no other: order kept per destination.

The real outbox pump on a temp SQLite file, with a sender that fails in the
rooms it is told to; what ``!statut`` and ``rupn-bot check`` say of the
messages refused for good.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.render import Message
from bot.matrix.failures import SendFailure
from bot.matrix.lifecycle import Lifecycle
from bot.matrix.outbox import Backoff, OutboxPump
from bot.ops import exitcodes
from bot.ops.health import check_database
from storage.db import migrate, open_database
from storage.outbox import (
    failures,
    has_unsent,
    mark_failed,
    prune_sent,
    queue_message,
    unsent_messages,
)
from tests.conftest import REFERENT

ROOM_A, ROOM_B, ROOM_C = "!a:localhost", "!b:localhost", "!c:localhost"
NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class RefusingSender:
    """Delivers, except to the rooms in ``refuse`` (with the failure given)."""

    def __init__(self) -> None:
        self.refuse: dict[str, SendFailure] = {}
        self.delivered: list[tuple[str, str]] = []
        self.tried: list[tuple[str, str]] = []

    async def deliver_message(
        self, room_id, message, *, reply_to=None, txn_id=None, alert=False, scheduled=False
    ):
        self.tried.append((room_id, message.body))
        if room_id in self.refuse:
            raise self.refuse[room_id]
        self.delivered.append((room_id, message.body))
        return f"$ev{len(self.delivered)}"

    async def deliver_file(
        self, room_id, filename, data, mimetype, *, reply_to=None, txn_id=None, scheduled=False
    ):
        return await self.deliver_message(room_id, Message(filename, filename), txn_id=txn_id)


class KnownRooms:
    """Each establishment's room, as ``Rooms.room_of`` resolves it."""

    def room_of(self, establishment_id):
        return {"clg-a": ROOM_A, "clg-b": ROOM_B, "clg-c": ROOM_C}.get(establishment_id)


FORBIDDEN = SendFailure("M_FORBIDDEN", "You don't have permission to post (HTTP 403)", True)
SERVER_ERROR = SendFailure("M_UNKNOWN", "Internal server error (HTTP 500)", False)


@pytest.fixture
def pump(db):
    clock = Clock()
    pump = OutboxPump(
        db,
        lambda: NOW,
        RefusingSender(),
        KnownRooms(),
        Lifecycle(),
        backoff=Backoff(clock=clock),
    )
    return pump


def queue(db, establishment_id: str, body: str, *, room_id: str | None = None) -> None:
    queue_message(
        db,
        establishment_id=establishment_id,
        room_id=room_id,
        body=body,
        html=body,
        mentions=(),
        txn_id=f"t-{establishment_id}-{body}",
        now=NOW,
    )


async def test_a_room_that_refuses_for_good_holds_up_no_other(pump, db, caplog):
    for n in (1, 2):
        queue(db, "clg-a", f"lettre A{n}")
        queue(db, "clg-b", f"lettre B{n}", room_id=ROOM_B)
    pump.sender.refuse[ROOM_A] = FORBIDDEN
    with caplog.at_level(logging.ERROR):
        assert await pump.flush() == 2
    assert pump.sender.delivered == [(ROOM_B, "lettre B1"), (ROOM_B, "lettre B2")]
    # Each of A's messages was tried once, marked failed, logged once; nothing is left waiting.
    assert pump.sender.tried.count((ROOM_A, "lettre A1")) == 1
    assert not has_unsent(db)
    refused = [r for r in caplog.records if "failed for good" in r.getMessage()]
    assert len(refused) == 2 and "M_FORBIDDEN" in refused[0].getMessage()
    (summary,) = failures(db)
    assert (summary.establishment_id, summary.count, summary.last_code) == (
        "clg-a",
        2,
        "M_FORBIDDEN",
    )
    assert "permission" in summary.last_reason and summary.room_id is None
    # Failed stays failed: a later flush does not try them again…
    await pump.flush()
    assert len(pump.sender.tried) == 4
    # …and once the bot may speak there again, the next message to A goes out.
    del pump.sender.refuse[ROOM_A]
    queue(db, "clg-a", "rappel A3")
    assert await pump.flush() == 1
    assert pump.sender.delivered[-1] == (ROOM_A, "rappel A3")
    assert failures(db, "clg-a")[0].count == 2 and failures(db, "clg-b") == []


async def test_a_room_in_trouble_waits_alone_and_keeps_its_order(pump, db):
    queue(db, "clg-a", "A1")
    queue(db, "clg-b", "B1")
    queue(db, "clg-a", "A2")
    queue(db, "clg-c", "C1")
    pump.sender.refuse[ROOM_A] = SERVER_ERROR
    assert await pump.flush() == 2
    # A2 was not tried before A1: the order holds in A; B and C went on.
    assert pump.sender.tried == [(ROOM_A, "A1"), (ROOM_B, "B1"), (ROOM_C, "C1")]
    assert [m.body for m in unsent_messages(db)] == ["A1", "A2"]
    assert failures(db) == []
    # Within its wait, A is not tried at all, while new messages elsewhere go.
    queue(db, "clg-b", "B2")
    assert await pump.flush() == 1
    assert pump.sender.tried[-1] == (ROOM_B, "B2")
    assert not pump.backoff.due()
    # The wait over, A is tried again; in trouble still, it waits twice as long.
    pump.backoff.clock.now += 5
    assert pump.backoff.due()
    await pump.flush()
    assert pump.sender.tried[-1] == (ROOM_A, "A1")
    pump.backoff.clock.now += 5
    assert not pump.backoff.due()
    pump.backoff.clock.now += 5
    # The homeserver is well again: A1 then A2, in their order.
    del pump.sender.refuse[ROOM_A]
    assert await pump.flush() == 2
    assert pump.sender.delivered[-2:] == [(ROOM_A, "A1"), (ROOM_A, "A2")]
    assert not pump.backoff.due() and not pump.backoff.waiting(ROOM_A)


def test_the_wait_doubles_up_to_five_minutes_per_destination():
    clock = Clock()
    backoff = Backoff(clock=clock)
    waits = [backoff.failed(ROOM_A) for _ in range(9)]
    assert waits == [5, 10, 20, 40, 80, 160, 300, 300, 300]
    assert backoff.waiting(ROOM_A) and not backoff.waiting(ROOM_B)
    backoff.failed(ROOM_B)
    backoff.keep_only({ROOM_B})  # A has nothing left to send: forgotten
    assert not backoff.waiting(ROOM_A) and backoff.waiting(ROOM_B)
    backoff.succeeded(ROOM_B)
    assert backoff.failed(ROOM_B) == 5


async def test_a_room_in_trouble_is_tried_again_when_its_wait_ends_without_a_sync(db):
    # No sync, no command, no flush asked for: the pump wakes itself at the end of the wait.
    pump = OutboxPump(
        db, lambda: NOW, RefusingSender(), KnownRooms(), Lifecycle(), backoff=Backoff(first=0.05)
    )
    queue(db, "clg-a", "A1")
    pump.sender.refuse[ROOM_A] = SERVER_ERROR
    assert await pump.flush() == 0
    del pump.sender.refuse[ROOM_A]  # the homeserver is well again
    deadline = asyncio.get_running_loop().time() + 10
    while not pump.sender.delivered:
        assert asyncio.get_running_loop().time() < deadline, "A1 was never tried again"
        await asyncio.sleep(0.01)
    assert pump.sender.delivered == [(ROOM_A, "A1")]
    assert pump.sender.tried.count((ROOM_A, "A1")) == 2
    await pump.lifecycle.drain()
    assert not has_unsent(db) and pump.backoff.next_try_in() is None


def test_the_wake_up_is_never_later_than_the_longest_wait():
    clock = Clock()
    backoff = Backoff(clock=clock)
    assert backoff.next_try_in() is None
    for _ in range(30):
        backoff.failed(ROOM_A)
    assert backoff.next_try_in() == 300
    backoff.failed(ROOM_B)
    assert backoff.next_try_in() == 5  # the earliest destination wakes the pump
    clock.now += 3600
    assert backoff.next_try_in() == 0


async def test_a_long_queue_behind_a_waiting_room_is_read_to_its_end(pump, db, monkeypatch):
    monkeypatch.setattr("storage.outbox.UNSENT_BATCH", 3)
    for n in range(7):
        queue(db, "clg-a", f"A{n}")
    queue(db, "clg-b", "B after seven of A")
    pump.sender.refuse[ROOM_A] = SERVER_ERROR
    assert await pump.flush() == 1
    assert pump.sender.delivered == [(ROOM_B, "B after seven of A")]
    assert [room for room, _ in pump.sender.tried].count(ROOM_A) == 1


async def test_failed_messages_are_pruned_like_sent_ones(pump, db):
    queue(db, "clg-a", "A1")
    queue(db, "clg-b", "B1")
    pump.sender.refuse[ROOM_A] = FORBIDDEN
    await pump.flush()
    assert prune_sent(db, NOW + timedelta(days=29), timedelta(days=30)) == 0
    assert prune_sent(db, NOW + timedelta(days=31), timedelta(days=30)) == 2
    assert failures(db) == []


async def test_statut_tells_referents_how_many_messages_were_refused(chat):
    reply = await chat.say(REFERENT, "!statut")
    assert "non remis" not in reply.body
    queue(chat.db, "clg-test", "lettre")
    (message,) = unsent_messages(chat.db)
    mark_failed(chat.db, message.id, "M_FORBIDDEN", "You don't have permission", NOW)
    reply = await chat.say(REFERENT, "!statut")
    assert "**Messages non remis** ces 30 derniers jours : 1." in reply.body
    assert "</ul>\n<p>⚠️ <strong>Messages non remis</strong>" in reply.html
    assert "le mardi 24 novembre à 9 h" in reply.body  # shown in the establishment's time
    assert "je n'y ai pas (ou plus) le droit d'écrire" in reply.body


def test_check_lists_refused_messages_by_establishment_read_only(config):
    db = open_database(config.bot.database)
    migrate(db)
    for n, (eid, room) in enumerate([("clg-a", None), ("clg-a", ROOM_A), ("clg-b", None)]):
        queue(db, eid, f"m{n}", room_id=room)
    queue(db, "clg-b", "waiting")
    for message in unsent_messages(db)[:3]:
        mark_failed(db, message.id, "M_FORBIDDEN", f"no {message.body} (HTTP 403)", NOW)
    db.close()
    lines = []
    assert check_database(config, lines.append) == exitcodes.OK
    first = next(n for n, line in enumerate(lines) if line.startswith("outbox:"))
    report = lines[first : first + 3]
    assert report[0] == "outbox: 1 message(s) waiting, 3 refused for good in the last 30 days"
    assert report[1].split()[:3] == ["clg-a", "2", "refused,"]
    assert report[1].endswith(
        f"2026-11-24 08:00 UTC to room {ROOM_A}: M_FORBIDDEN: no m1 (HTTP 403)"
    )
    assert report[2].endswith("to the establishment's room: M_FORBIDDEN: no m2 (HTTP 403)")


def test_messages_to_people_who_never_joined_are_passed_over_however_many_they_are(db):
    # An académie gathers tens of thousands of people who may never accept a direct
    # room: more than SQLite's own build takes parameters in one statement.
    db.conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 32_766)
    waiting = [f"@prof{i}:localhost" for i in range(40_000)]
    for i, user in enumerate((waiting[0], REFERENT)):
        queue_message(
            db, establishment_id="etab-1", body=f"message {i}", html="", mentions=(),
            txn_id=f"t{i}", now=NOW, dm_user=user,
        )  # fmt: skip
    queue_message(
        db, establishment_id="etab-1", body="dans le salon", html="", mentions=(), txn_id="t-room",
        now=NOW, room_id=ROOM_A,
    )  # fmt: skip
    bodies = [m.body for m in unsent_messages(db, skip_recipients=waiting)]
    assert bodies == ["message 1", "dans le salon"]
