"""Slow faults, run by ``make test-faults``: a homeserver outage, Synapse's default rate limits."""

import asyncio
import json
import re

import pytest

from tests.e2e.conftest import OpenedClients, build_world

pytestmark = pytest.mark.faults


@pytest.fixture(scope="module")
def strict_world(tmp_path_factory):
    """A world whose Synapse keeps its default rate limits (0.2 message/s, burst 10)."""
    world = build_world(tmp_path_factory.mktemp("strict"), relaxed_rate_limits=False)
    yield world
    world.stop()


async def test_a_burst_of_sixty_commands_gets_sixty_answers_despite_rate_limits(strict_world):
    world = strict_world
    names = world.more_teachers(6)
    async with OpenedClients(world) as open_user:
        clients = await asyncio.gather(*(open_user(name) for name in names))
        # Ten each: within a person's own burst allowance, so only the bot is limited.
        sends = [
            c.say(world.plain_room, f"!aide {topic}")
            for c in clients
            for topic in ("", "permanence", "aide", "statut", "") * 2
        ]
        events = await asyncio.gather(*sends)
        owners = [clients[i // 10] for i in range(60)]
        for owner, event in zip(owners, events, strict=True):
            await owner.wait_reply(event, timeout=400)
        await clients[0].ask(world.plain_room, "!aide")
        assert all(len(o.replies_to(e)) == 1 for o, e in zip(owners, events, strict=True))
    limited = re.findall(
        r"rate limited by the homeserver \(429 #(\d+)\), waiting (\d+) ms", world.bot.log_text()
    )
    assert len(limited) >= 40  # 50 replies beyond the burst each waited as told
    assert all(int(ms) > 0 for _, ms in limited)


async def test_the_bot_reconnects_after_a_twenty_second_outage(strict_world):
    world = strict_world
    async with OpenedClients(world) as open_user:
        prof = await open_user("prof1")
        world.synapse.stop()
        await asyncio.sleep(20)  # the outage itself, not a wait for a result
        world.synapse.start()
        # Sent as soon as the homeserver is back, while the bot is still backing off.
        reply = await prof.ask(world.encrypted_room, "!aide", timeout=90)
        assert "Commandes du collège Chiffré" in reply.body
    log = world.bot.log_text()
    waits = [
        int(w)
        for w in re.findall(r"homeserver unreachable \(attempt \d+\), retrying in (\d+) s", log)
    ]
    assert waits and max(waits) <= 30
    assert "homeserver reachable again after" in log
    assert world.bot.process.poll() is None  # still the same process: no crash


async def test_a_revoked_token_stops_the_bot_with_a_clear_line(strict_world):
    world = strict_world
    credentials = json.loads((world.workdir / "data" / "store" / "credentials.json").read_text())
    world.synapse.api("POST", "/_matrix/client/v3/logout", {}, token=credentials["access_token"])
    deadline = asyncio.get_running_loop().time() + 60
    while world.bot.process.poll() is None:
        assert asyncio.get_running_loop().time() < deadline, "the bot kept running"
        await asyncio.sleep(0.1)
    assert world.bot.process.returncode == 2
    assert "stopping: the access token was revoked or expired" in world.bot.log_text()
    assert world.bot.log_text().count("M_UNKNOWN_TOKEN") <= 1  # no retry loop
