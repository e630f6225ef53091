"""``!mes-donnees`` and ``!oublie-moi`` on a real Synapse, the bot's database read after.

Each export waits in the outbox until its recipient joins the direct room. A
teacher who never does and asks a dozen times must not make the bot grow: one
export waits for them, the latest, and the room keeps being answered. After
``!oublie-moi confirmer``, nothing in the database leads back to the teacher:
not their ID or name, not the words they typed, not the ids of their events.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from pathlib import Path

from nio import RoomSendResponse

from tests.e2e.test_bilan import content, is_file, report_markdown, wait_event
from tests.e2e.test_formation import wait_event as wait_room_event
from tests.support.stored import indexed_words, stored_values

EXPORTS = 12
# What the bot may grow by over the dozen exports: a few MB (allocator slack).
GROWTH_KIB = 6 * 1024


def resident_kib(pid: int) -> int:
    """The process's resident memory now (VmRSS), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for process {pid}")


def waiting_exports(world, user_id: str) -> list[int]:
    """The sizes of the export files waiting for ``user_id``, as the bot's database holds them."""
    with sqlite3.connect(world.workdir / "data" / "rupn.db") as db:
        rows = db.execute(
            "SELECT length(data) FROM outbox WHERE dm_user = ? AND filename IS NOT NULL"
            " AND sent_at IS NULL AND failed_at IS NULL",
            (user_id,),
        ).fetchall()
    return [size for (size,) in rows]


async def test_a_dozen_exports_nobody_fetches_keep_the_bot_flat(world, users):
    room = world.plain_room
    name = world.newcomer()
    teacher, colleague = await users(name), await users("prof1")
    user_id = world.people[name].user_id
    await teacher.ask(room, "!formation Monter un podcast avec la classe")
    await teacher.ask(room, "!panne la borne wifi du CDI clignote en rouge")

    # The teacher never accepts the bot's invitation to the direct room.
    first = await teacher.ask(room, "!mes-donnees")
    assert first.body.startswith("Je vous envoie vos données en message privé")
    pid = world.bot.process.pid
    start = resident_kib(pid)
    for _ in range(EXPORTS - 1):
        asked = await teacher.ask(room, "!mes-donnees")
        assert asked.body.startswith("Je vous envoie vos données en message privé")
    grown = resident_kib(pid) - start

    # The room is still answered, and one export waits: the latest, as small as the first.
    answered = await colleague.ask(room, "!veille")
    assert answered.sender == world.bot_account.user_id
    sizes = waiting_exports(world, user_id)
    assert len(sizes) == 1 and sizes[0] < 16 * 1024
    assert grown < GROWTH_KIB, f"the bot grew by {grown} KiB over {EXPORTS} exports"

    # Once the teacher opens the direct room, one summary and one file come.
    dm, _ = await wait_event(teacher, lambda r, e: is_file(e, "mes-donnees-"))
    summaries = [
        e
        for r, e in teacher.events
        if r == dm and "Vos données dans rupn-bot" in content(e).get("body", "")
    ]
    files = [e for r, e in teacher.events if r == dm and is_file(e, "mes-donnees-")]
    assert len(summaries) == 1 and len(files) == 1


def stored_in_the_bot(world) -> list[tuple[str, str]]:
    """(table.column, value as text) of everything in the bot's database, and the words of
    its search indexes (their own terms, not the table they index)."""
    with sqlite3.connect(world.workdir / "data" / "rupn.db") as db:
        return stored_values(db) + [("index (mot)", word) for word in indexed_words(db)]


async def test_after_forgetting_nothing_in_the_database_leads_back(world, users):
    room = world.plain_room
    name = world.newcomer()
    teacher, referent, colleague = await users(name), await users("referent"), await users("prof1")
    account = world.people[name]
    world.synapse.api(
        "PUT",
        f"/_matrix/client/v3/profile/{account.user_id}/displayname",
        {"displayname": "Camille Quetzalcoatl"},
        token=account.access_token,
    )
    sent: list[str] = []

    async def teacher_asks(text: str):
        sent.append(await teacher.say(room, text))
        return await teacher.wait_reply(sent[-1])

    # What the teacher writes carries words and a phone number nobody else types.
    await referent.ask(room, "!permanence ouvrir mercredi 13h10 2 places B12")
    booked = await teacher_asks("!permanence réserver mercredi 13h10 Tepoztlan sur Pronote")
    assert "vous avez une place" in booked.body
    need = await teacher_asks("!formation Monter une radio Tepoztlan, rappeler au 0687654321")
    number = int(re.search(r"besoin n° (\d+)", need.body)[1])
    await colleague.ask(room, f"!formation +1 {number}")
    await teacher_asks("!panne Tepoztlan : le TBI de la salle 9 grésille (0687654321)")
    polled = await referent.ask(room, f"!formation sondage {number} mercredi 12h30 | jeudi 12h30")
    assert "Sondage publié" in polled.body
    poll = await wait_room_event(
        teacher,
        room,
        lambda e: (
            e.get("type") == "org.matrix.msc3381.poll.start"
            and f"besoin n° {number})" in e["content"]["m.poll"]["question"]["m.text"][0]["body"]
        ),
    )
    option = poll["content"]["org.matrix.msc3381.poll.start"]["answers"][0]["id"]
    answer = await teacher.client.room_send(
        room,
        "m.poll.response",
        {
            "m.relates_to": {"rel_type": "m.reference", "event_id": poll["event_id"]},
            "m.selections": [option],
        },
        ignore_unverified_devices=True,
    )
    assert isinstance(answer, RoomSendResponse)
    await teacher_asks("!mes-donnees")  # waits in the outbox: the teacher never joins

    with sqlite3.connect(world.workdir / "data" / "rupn.db") as db:
        names = [row[0] for row in db.execute(
            "SELECT display_name FROM members WHERE user_id = ?", (account.user_id,)
        )]  # fmt: skip
    assert names  # the bot knew the teacher by a name
    before = await report_markdown(referent, room)

    forgotten = await teacher_asks("!oublie-moi confirmer")
    assert forgotten.body.startswith("C'est fait : j'ai oublié les ")

    traces = [account.user_id, *names, "Quetzalcoatl", "Tepoztlan", "0687654321"]
    traces += [*sent, answer.event_id]
    found = re.compile("|".join(rf"{re.escape(trace)}(?![\w-])" for trace in traces), re.I)
    # The command is marked answered just after its reply: wait for that, with a deadline.
    deadline = asyncio.get_running_loop().time() + 20
    while left := [
        (where, value) for where, value in stored_in_the_bot(world) if found.search(value)
    ]:
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"still leading back to the teacher: {left}")
        await asyncio.sleep(0.1)
    assert await report_markdown(referent, room) == before
