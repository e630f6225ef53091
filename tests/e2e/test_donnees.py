"""``!mes-donnees`` asked again and again by someone who never opens the direct room.

Each export waits in the outbox until its recipient joins the direct room. A
teacher who never does and asks a dozen times must not make the bot grow: one
export waits for them, the latest, and the room keeps being answered.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.e2e.test_bilan import content, is_file, wait_event

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
    name = world.more_teachers(len(world.teachers) + 1)[-1]  # someone the bot never saw
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
