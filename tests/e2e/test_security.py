"""Invitations, rooms the bot does not serve, and hostile text, on the real Synapse."""

import asyncio


async def membership(world, room_id: str, account) -> str | None:
    state = world.synapse.api(
        "GET", f"/_matrix/client/v3/rooms/{room_id}/members", token=account.access_token
    )
    for event in state["chunk"]:
        if event["state_key"] == world.bot_account.user_id:
            return event["content"]["membership"]
    return None


async def wait_membership(world, room_id, account, expected, timeout=20):
    deadline = asyncio.get_running_loop().time() + timeout
    while (found := await membership(world, room_id, account)) != expected:
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"bot membership is {found}, expected {expected}")
        await asyncio.sleep(0.1)


async def test_invitations_to_rooms_it_does_not_serve_are_refused(world):
    outsider, referent = world.people["outsider"], world.people["referent"]
    stranger_room = world.synapse.create_room(outsider, "Pub", invite=[world.bot_account.user_id])
    unconfigured = world.synapse.create_room(referent, "Autre", invite=[world.bot_account.user_id])
    await wait_membership(world, stranger_room, outsider, "leave")
    await wait_membership(world, unconfigured, referent, "leave")
    log = world.bot.log_text()
    assert f"refused invitation to {stranger_room}" in log
    assert f"refused invitation to {unconfigured}" in log


async def test_hostile_text_is_escaped_and_pings_nobody(world, users):
    referent, prof = await users("referent"), await users("prof1")
    room = world.plain_room
    await referent.ask(room, "!permanence ouvrir vendredi 13h 1 place")
    hostile = '<script>alert(1)</script> <img src=x onerror="alert(2)"> @room **gras**'
    reply = await prof.ask(room, f"!permanence réserver vendredi 13h {hostile}")
    assert "vous avez une place" in reply.body
    assert "<script>" not in reply.html and "<img" not in reply.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in reply.html
    assert "@room" not in reply.body and "@room" not in reply.html
    assert reply.content["m.mentions"] == {"user_ids": []}
