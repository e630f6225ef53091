"""The floor to compare with: a minimal matrix-nio bot that answers ``!ping``.

It runs as its own process on the same homeserver as rupn-bot and does what
any nio bot has to do and nothing more: sync (with rupn-bot's filter), decrypt,
keep its keys up to date, and answer ``!ping`` with an ``m.notice`` in reply to
it. rupn-bot's reply time is divided by this bot's.

    python -m bench.echo_bot --homeserver URL --user @echo:localhost --device ID --store DIR
    (the access token comes from the ECHO_BOT_TOKEN environment variable)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from nio import AsyncClient, AsyncClientConfig, MatrixRoom, RoomMessageText, SyncResponse

# The same filter as rupn-bot, whatever it becomes: the floor must sync like the bot.
from bot.matrix.session import exchange_keys
from bot.matrix.sync import SYNC_FILTER
from tests.support.testbed import stop_process

READY = "echo bot ready"


async def serve(homeserver: str, user_id: str, device_id: str, token: str, store: str) -> None:
    os.makedirs(store, exist_ok=True)
    client = AsyncClient(
        homeserver,
        user_id,
        device_id=device_id,
        store_path=store,
        config=AsyncClientConfig(encryption_enabled=True, store_sync_tokens=False),
    )
    client.restore_login(user_id, device_id, token)
    tasks: set[asyncio.Task] = set()

    async def answer(room: MatrixRoom, event: RoomMessageText) -> None:
        content = {
            "msgtype": "m.notice",
            "body": "pong",
            "m.relates_to": {"m.in_reply_to": {"event_id": event.event_id}},
        }
        await client.room_send(
            room.room_id, "m.room.message", content, ignore_unverified_devices=True
        )

    async def on_text(room: MatrixRoom, event: RoomMessageText) -> None:
        if event.sender != user_id and event.body.strip() == "!ping":
            task = asyncio.create_task(answer(room, event))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    async def keys() -> None:
        await exchange_keys(client)

    try:
        await client.sync(timeout=0, full_state=True, sync_filter=SYNC_FILTER)
        await keys()
        client.add_event_callback(on_text, RoomMessageText)  # history is not answered
        print(READY, flush=True, file=sys.stderr)
        while True:
            resp = await client.sync(
                timeout=30_000, since=client.next_batch, sync_filter=SYNC_FILTER
            )
            if isinstance(resp, SyncResponse):
                await keys()
    finally:
        await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.echo_bot")
    for name in ("--homeserver", "--user", "--device", "--store"):
        parser.add_argument(name, required=True)
    args = parser.parse_args()

    async def run() -> None:
        task = asyncio.current_task()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await serve(
                args.homeserver, args.user, args.device, os.environ["ECHO_BOT_TOKEN"], args.store
            )

    asyncio.run(run())


class EchoBotProcess:
    """The echo bot as a child process, started and stopped like ``BotProcess``."""

    def __init__(self, homeserver: str, account, store: Path, log_path: Path):
        self.args = [
            sys.executable, "-m", "bench.echo_bot", "--homeserver", homeserver,
            "--user", account.user_id, "--device", account.device_id, "--store", str(store),
        ]  # fmt: skip
        self.token = account.access_token
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> None:
        self.process = subprocess.Popen(
            self.args,
            stdout=subprocess.DEVNULL,
            stderr=open(self.log_path, "ab"),  # noqa: SIM115
            env={**os.environ, "ECHO_BOT_TOKEN": self.token},
            cwd=Path(__file__).resolve().parent.parent,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while READY not in self.log_path.read_text(errors="replace"):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"echo bot not ready:\n{self.log_path.read_text()[-2000:]}")
            time.sleep(0.05)

    def stop(self) -> None:
        stop_process(self.process)


if __name__ == "__main__":
    main()
