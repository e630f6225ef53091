"""A room configured by alias is resolved once and its room id pinned in the database.

The real ``Rooms`` on a temp SQLite file, with a homeserver that answers
alias look-ups as the test says (and counts them).
"""

from __future__ import annotations

import copy
import logging
from datetime import datetime

from nio import RoomResolveAliasError, RoomResolveAliasResponse

from bot.core.config import parse_config
from bot.matrix.rooms import Rooms
from storage import migrate, open_database
from storage.establishments import sync_establishments
from tests.conftest import MINIMAL_CONFIG, PARIS

ALIAS = "#salle-des-profs:localhost"
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=PARIS)


class Directory:
    """The homeserver's room directory: alias to room id, or no answer at all."""

    def __init__(self, aliases: dict[str, str]) -> None:
        self.aliases = aliases
        self.asked: list[str] = []

    async def room_resolve_alias(self, alias: str):
        self.asked.append(alias)
        if alias not in self.aliases:
            return RoomResolveAliasError("Room alias not found", "M_NOT_FOUND")
        return RoomResolveAliasResponse(alias, self.aliases[alias], ["localhost"])


class Session:
    def __init__(self, client) -> None:
        self.client = client


def configured_with(tmp_path, room: str):
    raw = copy.deepcopy(MINIMAL_CONFIG)
    raw["establishment"][0]["room"] = room
    return parse_config(raw, tmp_path)


async def start(tmp_path, room: str, directory: Directory) -> dict[str, str]:
    """One start of the bot as far as rooms go: the config synced, then resolved."""
    config = configured_with(tmp_path, room)
    db = open_database(tmp_path / "rupn.db")
    try:
        migrate(db)
        sync_establishments(db, config.establishments, NOW)
        rooms = Rooms(config, db, Session(directory))
        await rooms.resolve()
        return {room_id: e.id for room_id, e in rooms.served.items()}
    finally:
        db.close()


async def test_an_alias_is_resolved_once_then_read_from_the_database(tmp_path):
    directory = Directory({ALIAS: "!first:localhost"})
    assert await start(tmp_path, ALIAS, directory) == {"!first:localhost": "clg-test"}
    # Later starts serve the same room without asking, even when the alias has
    # moved to another room or the directory does not answer.
    directory.aliases = {ALIAS: "!moved:localhost"}
    assert await start(tmp_path, ALIAS, directory) == {"!first:localhost": "clg-test"}
    directory.aliases = {}
    assert await start(tmp_path, ALIAS, directory) == {"!first:localhost": "clg-test"}
    assert directory.asked == [ALIAS]


async def test_a_new_alias_in_the_config_is_resolved_again(tmp_path):
    directory = Directory({ALIAS: "!first:localhost", "#numerique:localhost": "!other:localhost"})
    await start(tmp_path, ALIAS, directory)
    assert await start(tmp_path, "#numerique:localhost", directory) == {
        "!other:localhost": "clg-test"
    }
    assert directory.asked == [ALIAS, "#numerique:localhost"]
    # Back to the first alias: resolved again, not the room pinned for it long ago.
    directory.aliases[ALIAS] = "!moved:localhost"
    assert await start(tmp_path, ALIAS, directory) == {"!moved:localhost": "clg-test"}
    # A room id in the config is used as it is, and an alias after it is resolved.
    assert await start(tmp_path, "!direct:localhost", directory) == {
        "!direct:localhost": "clg-test"
    }
    assert await start(tmp_path, ALIAS, directory) == {"!moved:localhost": "clg-test"}
    assert directory.asked.count(ALIAS) == 3


async def test_an_alias_not_found_serves_nothing_and_is_asked_again_next_start(tmp_path, caplog):
    directory = Directory({})
    with caplog.at_level(logging.ERROR):
        assert await start(tmp_path, ALIAS, directory) == {}
    assert f"clg-test: alias {ALIAS} not found" in caplog.text
    directory.aliases[ALIAS] = "!late:localhost"
    assert await start(tmp_path, ALIAS, directory) == {"!late:localhost": "clg-test"}
    assert directory.asked == [ALIAS, ALIAS]
