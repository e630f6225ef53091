"""The welcome: queued once for each served room the bot is in, never again."""

from __future__ import annotations

from types import SimpleNamespace

from bot.matrix.welcome import Welcome
from tests.support.reading import queued_as_read


def welcome_for(config, db, renderer, chat, joined: dict) -> Welcome:
    school = config.establishments[0]
    rooms = SimpleNamespace(served={school.room: school}, client=SimpleNamespace(rooms=joined))
    return Welcome(db, config, rooms, renderer, lambda: chat.now)


def test_a_room_is_welcomed_once_when_the_bot_is_in_it(config, db, renderer, chat):
    school = config.establishments[0]
    joined: dict = {}
    welcome = welcome_for(config, db, renderer, chat, joined)
    assert welcome.greet_new_rooms() == 0  # invited, not joined yet: nothing
    joined[school.room] = object()
    assert welcome.greet_new_rooms() == 1
    assert welcome.greet_new_rooms() == 0
    # A restart (a new process) remembers it from the database.
    assert welcome_for(config, db, renderer, chat, joined).greet_new_rooms() == 0

    [message] = queued_as_read(db)
    assert message.room_id == school.room
    lines = message.body.splitlines()
    assert lines[0].startswith("Bonjour à toutes et à tous ! Je suis le bot du numérique")
    assert len([line for line in lines if line.startswith("- ")]) == 3
    assert "`!aide`" in message.body and "`!mes-donnees`" in message.body
