"""A room configured by alias, on a real Synapse: resolved once, then served from the database.

A bot of its own serves a room named by its alias. Once the alias is deleted
from the room directory, a restarted bot still serves that room: the room id
was pinned at the first start.
"""

from __future__ import annotations

import os
import urllib.parse

from tests.e2e.conftest import bot_config
from tests.support.testbed import BotProcess


async def test_a_room_named_by_alias_is_still_served_once_the_alias_is_gone(world, users, tmp_path):
    synapse, referent = world.synapse, world.people["referent"]
    account = synapse.register(f"bot-alias-{os.urandom(3).hex()}")
    members = [account.user_id, world.people["prof1"].user_id]
    rooms = []
    for encrypted in (False, True):
        room = synapse.create_room(referent, "Salle", invite=members, encrypted=encrypted)
        synapse.join(world.people["prof1"], room)
        rooms.append(room)
    alias = f"#salle-des-profs-{os.urandom(3).hex()}:{account.user_id.split(':', 1)[1]}"
    directory = f"/_matrix/client/v3/directory/room/{urllib.parse.quote(alias, safe='')}"
    synapse.api("PUT", directory, {"room_id": rooms[0]}, token=referent.access_token)
    config = tmp_path / "bot.toml"
    config.write_text(bot_config(synapse.url, account, world.people, alias, rooms[1]))
    bot = BotProcess(config, tmp_path / "bot.log", env={"RUPN_TEST_BOT_PASSWORD": account.password})
    prof = await users("prof1")
    bot.start()
    try:
        first = await prof.ask(rooms[0], "!aide", timeout=30)
        assert "Commandes du collège Clair" in first.body
        bot.stop()
        synapse.api("DELETE", directory, token=referent.access_token)
        bot.start()
        again = await prof.ask(rooms[0], "!aide", timeout=30)
        assert "Commandes du collège Clair" in again.body
    finally:
        bot.stop()
    log = bot.log_text()
    assert log.count(f"alias {alias} resolved to {rooms[0]}, pinned") == 1
    assert "not found" not in log and log.count("ready: serving") == 2
