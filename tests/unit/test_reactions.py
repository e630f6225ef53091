"""Reactions: 👍 on a need's message supports it, ✅ on a survey reminder says « j'ai répondu ».

Events are delivered to the registered listeners as the Matrix layer does,
again and again (a sync replayed after a restart): each reaction counts once,
and its answer waits in the outbox for the person's private room.
"""

from __future__ import annotations

from datetime import date

from storage.enquete import has_answered, open_survey
from storage.formation import find_need
from storage.outbox import mark_sent
from tests.conftest import REFERENT, TEACHER
from tests.support.reading import queued_as_read
from tests.unit.test_enquete import FORM, at, known, run_reminders  # noqa: F401

PROF2 = "@prof2:localhost"


def reaction(sender: str, target: str, key: str, event_id: str) -> dict:
    return {
        "type": "m.reaction",
        "sender": sender,
        "event_id": event_id,
        "content": {"m.relates_to": {"rel_type": "m.annotation", "event_id": target, "key": key}},
    }


def redaction(sender: str, redacted: str, event_id: str) -> dict:
    return {"type": "m.room.redaction", "sender": sender, "event_id": event_id, "redacts": redacted}


async def deliver(chat, event: dict) -> None:
    """Hand an event to every listener of its type, as the inbox does."""
    for item in chat.registry.listeners.get(event["type"], ()):
        await item.handler(chat.context(event["sender"], event["event_id"]), event)


def private_answers(db, user_id: str) -> list[str]:
    return [m.body for m in queued_as_read(db) if m.dm_user == user_id]


async def test_a_thumbs_up_on_a_need_supports_it_once_and_removing_it_withdraws(chat):
    await chat.say(TEACHER, "!formation Créer des capsules vidéo avec mes élèves")
    need_message = chat.messenger.sent[-1]
    target = f"$sent{len(chat.messenger.sent)}"
    assert need_message.message.body.startswith("C'est noté : **besoin n° 1**")

    thumbs = reaction(PROF2, target, "👍🏽", "$thumbs")
    for _ in range(3):  # the same event, delivered again after restarts
        await deliver(chat, thumbs)
    assert find_need(chat.db, "clg-test", 1).votes == 2
    [answer] = private_answers(chat.db, PROF2)
    assert "votre soutien au besoin n° 1" in answer and "2 soutiens" in answer

    # Another emoji, or the same one on another message, does nothing.
    await deliver(chat, reaction(REFERENT, target, "🎉", "$party"))
    await deliver(chat, reaction(REFERENT, "$elsewhere", "👍", "$thumbs2"))
    assert find_need(chat.db, "clg-test", 1).votes == 2

    # Someone else's redaction of the reaction (a moderator) does not speak for PROF2.
    await deliver(chat, redaction(REFERENT, "$thumbs", "$mod"))
    assert find_need(chat.db, "clg-test", 1).votes == 2
    for _ in range(2):
        await deliver(chat, redaction(PROF2, "$thumbs", "$undo"))
    assert find_need(chat.db, "clg-test", 1).votes == 1
    [answer] = private_answers(chat.db, PROF2)  # the latest answer waits, alone
    assert "vous ne soutenez plus le besoin n° 1" in answer
    # Once removed, the same reaction delivered again counts no more.
    await deliver(chat, thumbs)
    assert find_need(chat.db, "clg-test", 1).votes == 1


async def test_a_check_mark_on_a_survey_reminder_means_answered(
    chat,
    config,
    db,
    renderer,
    registry,
    known,  # noqa: F811
):
    survey = open_survey(
        db, "clg-test", title="Bilan", url=FORM, deadline=date(2026, 12, 9),
        opened_by=REFERENT, now=at(date(2026, 11, 18), 10),
    )  # fmt: skip
    await run_reminders(config, db, renderer, registry, [date(2026, 11, 23)])
    # The room's reminder (the people themselves are reminded privately).
    (reminder,) = [m for m in queued_as_read(db) if m.dm_user is None]
    assert "réagissez ✅ à ce message" in reminder.body
    mark_sent(db, reminder.id, "$reminder", at(date(2026, 11, 23), 9, 1))

    check = reaction(TEACHER, "$reminder", "✅", "$check")
    await deliver(chat, check)
    await deliver(chat, check)
    assert has_answered(db, survey.id, TEACHER)
    # Besides the private reminder, one answer: the ✅ counted once.
    [answer] = [b for b in private_answers(db, TEACHER) if not b.startswith("**Rappel")]
    assert answer.startswith("Merci ! C'est noté pour l'enquête n° 1 (Bilan)")

    # A ✅ on anything else (a need's message, a person's message) is no answer.
    await deliver(chat, reaction(PROF2, "$someone-else", "✅", "$check2"))
    assert not has_answered(db, survey.id, PROF2)
