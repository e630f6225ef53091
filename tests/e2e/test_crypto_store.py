"""The crypto store's pickle key on a real Synapse: a store of nio's default key is
re-encrypted once, and a wrong key stops the bot with a clear line."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import pytest

from bot.core.config import load_config
from bot.matrix.cryptostore import (
    NIO_DEFAULT_KEY,
    StoreKey,
    repickle,
    store_database,
    store_key_state,
)
from bot.ops import exitcodes
from tests.e2e.conftest import build_world


@pytest.fixture(scope="module")
def own_world(tmp_path_factory):
    world = build_world(tmp_path_factory.mktemp("pickle"))
    yield world
    world.stop()


def rupn(action: str, world, *more: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """``rupn-bot <action>`` on the world's configuration, as the admin runs it."""
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", action, "--config", str(world.bot.config_path), *more],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **world.bot.env, **(env or {})},
    )


def device_of(world) -> str:
    credentials = world.workdir / "data" / "store" / "credentials.json"
    return json.loads(credentials.read_text())["device_id"]


async def test_a_store_of_nio_default_key_is_migrated_and_still_decrypts(own_world, tmp_path):
    world = own_world
    matrix = load_config(world.bot.config_path).matrix
    key_file = matrix.pickle_key_file
    assert key_file == world.workdir / "pickle-key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert "new pickle key written to" in world.bot.log_text()
    prof = world.user("prof1")
    await prof.start()
    try:
        await prof.ask(world.encrypted_room, "!aide")  # the bot now holds prof1's room key
        device = device_of(world)
        world.bot.stop()
        # The store as an earlier version left it: pickled with nio's default key.
        repickle(matrix, device, key_file.read_text().strip(), NIO_DEFAULT_KEY)
        key_file.unlink()
        database = store_database(matrix, device)
        assert store_key_state(database, NIO_DEFAULT_KEY) is StoreKey.OPENS

        world.bot.start()
        log = world.bot.log_text()
        assert "re-encrypted with the configured pickle key" in log
        assert device_of(world) == device and f"reusing device {device}" in log
        new_key = key_file.read_text().strip()
        assert new_key not in log
        assert store_key_state(database, new_key) is StoreKey.OPENS
        assert store_key_state(database, NIO_DEFAULT_KEY) is StoreKey.WRONG
        # prof1's session started before the migration: the bot decrypts with the kept key.
        reply = await prof.ask(world.encrypted_room, "!aide")
        assert reply.was_encrypted and "!permanence" in reply.body
    finally:
        await prof.close()


async def test_a_wrong_pickle_key_stops_the_bot_with_a_clear_line(own_world):
    world = own_world
    matrix = load_config(world.bot.config_path).matrix
    key_file = matrix.pickle_key_file
    right = key_file.read_text()
    world.bot.stop()
    key_file.write_text("not the key this store was made with\n")
    try:
        run = rupn("run", world)
        assert run.returncode == exitcodes.CONFIG, run.stderr
        assert "does not open with the pickle key" in run.stderr
        assert "Traceback" not in run.stderr and "not the key" not in run.stderr
        check = rupn("check", world)
        assert check.returncode == exitcodes.CONFIG, check.stdout
        assert "does not open with the pickle key" in check.stdout
    finally:
        key_file.write_text(right)
    # The store was left as it was: the right key opens it again.
    world.bot.start()
    prof = world.user("prof2")
    await prof.start()
    try:
        assert (await prof.ask(world.encrypted_room, "!aide")).was_encrypted
    finally:
        await prof.close()
    check = rupn("check", world)
    assert f"pickle key from {key_file}, the store opens with this key" in check.stdout
