"""One person cannot keep the bot busy for everyone, on a real Synapse.

A teacher sends 25 commands at once: the first 20 are answered, the 21st gets
one line saying the bot pauses, the last 4 nothing; a colleague typing in the
same room meanwhile is answered. The bot keeps the default budget (20 a
minute): this world is the test's own.
"""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from tests.e2e.conftest import OpenedClients, build_world

PAUSE = "Vous m'envoyez beaucoup de commandes : je reprends dans une minute."


@pytest.fixture(scope="module")
def budget_world(tmp_path_factory):
    world = build_world(tmp_path_factory.mktemp("budget"), commands_per_minute=20)
    yield world
    world.stop()


def handled(world, event_ids: list[str]) -> int:
    """How many of the events the bot has taken off its inbox (answered or not)."""
    with sqlite3.connect(world.workdir / "data" / "rupn.db") as db:
        marks = ",".join("?" * len(event_ids))
        query = f"SELECT count(*) FROM handled_events WHERE event_id IN ({marks})"
        return db.execute(query, event_ids).fetchone()[0]


async def test_a_burst_of_25_commands_gets_20_answers_and_one_line(budget_world):
    world = budget_world
    room = world.plain_room
    async with OpenedClients(world) as open_user:
        prof, colleague = await open_user("prof1"), await open_user("prof2")
        events = [await prof.say(room, f"!aide {topic}") for topic in ["", "permanence"] * 12]
        events.append(await prof.say(room, "!aide"))
        other = await colleague.ask(room, "!aide", timeout=30)
        assert "Commandes du collège Clair" in other.body  # the others are served meanwhile

        deadline = asyncio.get_running_loop().time() + 60
        while handled(world, events) < len(events):
            assert asyncio.get_running_loop().time() < deadline, "the burst was not all handled"
            await asyncio.sleep(0.1)
        # Answered after the whole burst: what the bot said of it has arrived before this.
        await prof.wait_reply(await colleague.say(room, "!aide statut"), timeout=30)

        answers = [prof.replies_to(event) for event in events]
        assert all(len(a) == 1 and a[0].body != PAUSE for a in answers[:20])
        assert [a.body for a in answers[20]] == [PAUSE]
        assert answers[21:] == [[], [], [], []]

    log = world.bot.log_text()
    assert log.count(": throttled in ") == 1  # one log line for the whole burst
    assert "Traceback" not in log
