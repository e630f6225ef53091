"""One establishment's room refusing the bot holds up no other, on a real Synapse.

The room's administrator mutes the bot in room A (``events_default`` above the
bot's power level). A newsletter queued for A is refused for good and set
aside; commands in room B are answered at once and B's newsletter, queued
after A's, goes out. Once A lets the bot speak again, a command there is
answered, a new letter goes out, and both ``rupn-bot check`` and ``!statut``
say what was refused. The world is this test's own: muting and failed
messages would change what other tests see.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.ops import exitcodes
from bot.toolkit.polls import POLL_START_TYPE
from tests.e2e.conftest import OpenedClients, build_world
from tests.e2e.test_formation import number_in
from tests.e2e.test_operations import cli

LETTER = "Lettre d'information numérique du"


@pytest.fixture(scope="module")
def isolated_world(tmp_path_factory):
    world = build_world(tmp_path_factory.mktemp("isolation"))
    yield world
    world.stop()


def power_levels(world, room: str, content: dict | None = None) -> dict:
    """Read the room's power levels, or set them, as its administrator (the referent)."""
    path = f"/_matrix/client/v3/rooms/{room}/state/m.room.power_levels/"
    token = world.people["referent"].access_token
    if content is not None:
        world.synapse.api("PUT", path, content, token=token)
    return world.synapse.api("GET", path, token=token)


async def wait_for_log(world, text: str, timeout: float = 30) -> str:
    """Poll the bot's log until ``text`` appears in it; the line."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        for line in world.bot.log_text().splitlines():
            if text in line:
                return line
        assert asyncio.get_running_loop().time() < deadline, f"no log line with {text!r}"
        await asyncio.sleep(0.05)


def letters_in(user, room: str) -> list:
    return [
        event
        for room_id, event in user.events
        if room_id == room and LETTER in (getattr(event, "body", None) or "")
    ]


async def test_a_room_that_mutes_the_bot_holds_up_no_other(isolated_world):
    world = isolated_world
    room_a, room_b = world.encrypted_room, world.plain_room  # Collège Chiffré, Collège Clair
    async with OpenedClients(world) as open_user:
        referent, prof = await open_user("referent"), await open_user("prof1")
        for room, name in ((room_a, "a"), (room_b, "b")):
            opened = await referent.ask(
                room,
                f"!enquete ouvrir https://framaforms.org/iso-{name} dans 15 jours Enquête {name}",
            )
            assert opened.body.startswith("Enquête n° ")
        need = number_in(
            (await referent.ask(room_a, "!formation Tableaux interactifs en classe")).body
        )

        speaking = power_levels(world, room_a)
        assert speaking.get("events_default", 0) == 0
        power_levels(world, room_a, {**speaking, "events_default": 50})

        # A's letter is queued first and refused for good: set aside, logged once.
        await referent.say(room_a, "!lettre envoyer")
        refused = await wait_for_log(world, "failed for good")
        assert "clg-chiffre: message" in refused and "M_FORBIDDEN" in refused
        muted_reply = await referent.say(room_a, "!aide")
        await wait_for_log(world, f"could not send a message to {room_a}: M_FORBIDDEN")
        # A poll refused there is one clear line, and the command a refusal, not a bug.
        await referent.say(room_a, f"!formation sondage {need} jeudi 12h30 | vendredi 12h30")
        await wait_for_log(world, f"could not send {POLL_START_TYPE} to {room_a}: M_FORBIDDEN")
        refusal = await wait_for_log(world, "!formation sondage from")
        assert ": refused in " in refusal

        # B goes on at once: its command is answered and its letter, queued after A's, goes out.
        started = time.monotonic()
        aide = await prof.ask(room_b, "!aide", timeout=10)
        answered_s = time.monotonic() - started
        assert "Commandes du collège Clair" in aide.body
        started = time.monotonic()
        await referent.say(room_b, "!lettre envoyer")
        letter_b = await prof.wait_notice(lambda n: LETTER + " collège Clair" in n.body, timeout=10)
        letter_s = time.monotonic() - started
        assert "Enquête b" in letter_b.body
        assert letters_in(prof, room_a) == [] and referent.replies_to(muted_reply) == []

        result = cli("check", "--config", str(world.bot.config_path))
        assert result.returncode == exitcodes.OK, result.stdout + result.stderr
        lines = result.stdout.splitlines()
        (line,) = [x for x in lines if x.strip().startswith("clg-chiffre ") and "refused" in x]
        assert "1 refused" in line and "M_FORBIDDEN" in line, result.stdout
        assert " waiting, 1 refused for good in the last 30 days" in result.stdout

        # A lets the bot speak again: a command there is answered, and says what was refused.
        power_levels(world, room_a, speaking)
        started = time.monotonic()
        status = await referent.ask(room_a, "!statut", timeout=10)
        unmuted_s = time.monotonic() - started
        assert "**Messages non remis** ces 30 derniers jours : 1." in status.body
        assert "je n'y ai pas (ou plus) le droit d'écrire" in status.body
        # A new letter for A goes out: the failed one did not stop A's outbox either.
        await referent.ask(
            room_a, "!enquete ouvrir https://framaforms.org/iso-a2 dans 15 jours Enquête a2"
        )
        await referent.say(room_a, "!lettre envoyer")
        letter_a = await prof.wait_notice(
            lambda n: LETTER + " collège Chiffré" in n.body, timeout=10
        )
        assert "Enquête a2" in letter_a.body and letter_a.was_encrypted
        assert "Messages non remis" not in (await referent.ask(room_b, "!statut")).body

    log = world.bot.log_text()
    assert log.count("failed for good") == 1  # the one letter, logged once, never retried
    assert "could not send the outbox" not in log and "Traceback" not in log
    assert world.bot.process.poll() is None
    print(
        f"\nB's command answered in {answered_s:.2f} s, B's letter out in {letter_s:.2f} s,"
        f" A answered {unmuted_s:.2f} s after the bot could speak again"
    )
