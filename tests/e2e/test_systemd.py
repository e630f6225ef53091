"""The bot as systemd sees it (Type=notify): ready, alive, stopping; and its log per command."""

from __future__ import annotations

import re
import time


def ready_lines_before(world, notification) -> int:
    return world.bot.log_path.read_bytes()[: notification.log_size].count(b"ready: serving")


def wait_for_log(world, pattern: str, after: int, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while not (found := re.search(pattern, world.bot.log_text()[after:])):
        assert time.monotonic() < deadline, f"no log line matching {pattern!r}"
        time.sleep(0.05)
    return found.group(0)


async def test_ready_comes_after_the_first_sync_and_every_sync_feeds_the_watchdog(world, users):
    notify = world.notify
    notify.wait_until(lambda: notify.having("READY=1"))
    ready = notify.having("READY=1")[0]
    assert ready.lines == ["READY=1", "STATUS=serving 3 room(s)"]
    assert ready_lines_before(world, ready) == 1  # told after the log says so, not before
    fed = len(notify.having("WATCHDOG=1"))
    assert fed >= 1
    prof = await users("prof1")
    log_size = len(world.bot.log_text())
    await prof.ask(world.plain_room, "!aide")
    # The sync that brought the command and the one that brought the reply, at least.
    notify.wait_until(lambda: len(notify.having("WATCHDOG=1")) >= fed + 2)
    sender = re.escape(prof.account.user_id)
    wait_for_log(world, rf"clg-clair: !aide from {sender}: done in \d+\.\d ms", log_size)


def test_a_stop_is_announced_and_each_start_is_ready_after_its_first_sync(world):
    notify = world.notify
    stopping, ready = len(notify.having("STOPPING=1")), len(notify.having("READY=1"))
    assert world.bot.stop() == 0
    notify.wait_until(lambda: len(notify.having("STOPPING=1")) == stopping + 1)
    world.bot.start()
    notify.wait_until(lambda: len(notify.having("READY=1")) == ready + 1)
    for started, notification in enumerate(notify.having("READY=1"), start=1):
        assert ready_lines_before(world, notification) == started
