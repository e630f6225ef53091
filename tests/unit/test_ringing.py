"""What must ring rings: alerts go as ``m.text`` with their mentions, replies stay notices.

The default push rules suppress every ``m.notice`` before any mention or
one-to-one rule: a reminder sent as a notice never reaches a phone.
"""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

from nio import RoomSendResponse

from bot.core.render import Message
from bot.core.scheduler import Scheduler
from bot.matrix.sender import Pacing, Sender
from commands.permanence import remind_booked_people
from storage.outbox import queue_message, unsent_messages
from tests.conftest import PARIS, REFERENT, TEACHER

PROF2, PROF3 = "@prof2:localhost", "@prof3:localhost"


class RecordingClient:
    user_id = "@bot:localhost"

    def __init__(self) -> None:
        self.contents: list[dict] = []

    async def room_send(self, room_id, event_type, content, tx_id=None, **_):
        self.contents.append(content)
        return RoomSendResponse(f"$ev{len(self.contents)}", room_id)


class StateKnown:
    async def with_state(self, room_id):
        return SimpleNamespace(encrypted=False)


async def test_an_alert_is_a_text_with_its_mentions_and_a_reply_a_notice():
    client = RecordingClient()
    sender = Sender(SimpleNamespace(client=client), StateKnown(), Pacing())
    message = Message("Rappel", "<p>Rappel</p>", (TEACHER,))
    await sender.deliver_message("!r:localhost", message, alert=True)
    await sender.send_message("!r:localhost", message, reply_to="$cmd")
    alert, reply = client.contents
    assert alert["msgtype"] == "m.text"
    assert alert["m.mentions"] == {"user_ids": [TEACHER]}
    assert reply["msgtype"] == "m.notice"


def test_every_direct_message_is_an_alert(db):
    now = datetime(2026, 11, 24, 9, 0, tzinfo=PARIS)
    common = dict(establishment_id="clg-test", html="x", mentions=(), now=now)
    queue_message(db, body="lettre", txn_id="t1", **common)
    queue_message(db, body="synthèse", txn_id="t2", dm_user=REFERENT, **common)
    queue_message(db, body="promu", txn_id="t3", alert=True, **common)
    assert [(m.body, m.alert) for m in unsent_messages(db)] == [
        ("lettre", False),
        ("synthèse", True),
        ("promu", True),
    ]


async def test_promotion_closing_and_reminder_ring_and_the_replies_do_not(chat):
    await chat.say(REFERENT, "!permanence ouvrir mardi 12h30 1 place")
    await chat.say(TEACHER, "!permanence réserver 1")
    await chat.say(PROF2, "!permanence réserver 1")
    await chat.say(TEACHER, "!permanence annuler 1")
    (promotion,) = unsent_messages(chat.db)
    assert promotion.mentions == (PROF2,) and promotion.alert
    assert not any(sent.alert for sent in chat.messenger.sent)

    clock = lambda: datetime(2026, 11, 24, 10, 31, tzinfo=PARIS)  # noqa: E731
    scheduler = Scheduler([remind_booked_people], chat.config, chat.db, chat.renderer, clock)
    assert await scheduler.run(remind_booked_people, chat.config.establishments[0]) == 1
    reminder = unsent_messages(chat.db)[-1]
    assert reminder.body.startswith("Rappel") and reminder.alert

    await chat.say(REFERENT, "!permanence fermer 1")
    closing = unsent_messages(chat.db)[-1]
    assert closing.mentions == (PROF2,) and closing.alert
