"""Operating the bot on a real Synapse: check, one instance, backup and restore, file modes."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path

from bot.matrix.devices import record_retired, retire_path
from bot.matrix.session import Credentials
from bot.ops import exitcodes
from tests.e2e.conftest import bot_config
from tests.e2e.test_runtime import bot_devices
from tests.support.testbed import Account, BotProcess, free_port

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str, env: dict | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    """``rupn-bot <args>`` as an admin types it, without the bot's password in the environment."""
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


async def test_check_beside_the_running_bot_changes_nothing(world, users):
    devices = bot_devices(world)
    result = cli("check", "--config", str(world.bot.config_path))
    assert result.returncode == exitcodes.OK, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert any(line.split()[:2] == ["clg-clair", world.plain_room] for line in lines)
    rooms = [line for line in lines if line.strip().startswith(("clg-clair", "clg-chiffre"))]
    assert len(rooms) == 2 and all(line.endswith("joined") for line in rooms), result.stdout
    assert "schema" in result.stdout and "up to date" in result.stdout
    assert f"bot running (pid {world.bot.process.pid}" in result.stdout
    # No login, no second device, no store opened: the bot goes on answering, encrypted.
    assert bot_devices(world) == devices
    prof = await users("prof1")
    reply = await prof.ask(world.encrypted_room, "!aide")
    assert reply.was_encrypted


def test_a_second_run_on_the_same_data_is_refused(world):
    result = cli("run", "--config", str(world.bot.config_path), timeout=30)
    assert result.returncode == exitcodes.DATA
    lock = world.workdir / "data" / "rupn.db.lock"
    assert f"process {world.bot.process.pid} already uses this data (lock {lock})" in result.stderr
    assert world.bot.process.poll() is None


def new_config(tmp_path: Path, homeserver: str, world) -> Path:
    path = tmp_path / "bot.toml"
    text = bot_config(homeserver, world.bot_account, world.people, "!a:localhost", "!b:localhost")
    path.write_text(text)
    return path


def test_check_on_a_new_installation_creates_nothing(world, tmp_path):
    config = new_config(tmp_path, world.synapse.url, world)
    result = cli("check", "--config", str(config))
    assert result.returncode == exitcodes.OK, result.stdout + result.stderr
    assert "not created yet (created at first run)" in result.stdout
    assert "not logged in yet" in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bot.toml"]


def test_check_says_quickly_when_the_homeserver_is_unreachable(world, tmp_path):
    config = new_config(tmp_path, f"http://127.0.0.1:{free_port()}", world)
    started = time.monotonic()
    result = cli("check", "--config", str(config), timeout=40)
    assert result.returncode == exitcodes.MATRIX, result.stdout + result.stderr
    assert time.monotonic() - started < 30
    assert "unreachable" in result.stdout


@dataclass
class OwnBot:
    """A second bot, with an account and data of its own, on the session's homeserver.

    Cheaper than a second world (about 12 s for Synapse and its users): a test may
    stop it, wipe its data and restore it without touching the bot the others use.
    """

    account: Account
    room: str
    process: BotProcess
    data: Path

    @property
    def config(self) -> str:
        return str(self.process.config_path)

    def devices(self, synapse) -> set[str]:
        """The account's devices, seen through the registration's own device."""
        reply = synapse.api("GET", "/_matrix/client/v3/devices", token=self.account.access_token)
        return {d["device_id"] for d in reply["devices"]} - {self.account.device_id}

    def device_in_use(self) -> str:
        return json.loads((self.data / "store" / "credentials.json").read_text())["device_id"]


def start_own_bot(world, workdir: Path) -> OwnBot:
    account = world.synapse.register(f"bot-ops-{os.urandom(3).hex()}")
    referent = world.people["referent"]
    members = [account.user_id, world.people["prof1"].user_id]
    rooms = []
    for encrypted in (False, True):
        room = world.synapse.create_room(referent, "Salle", invite=members, encrypted=encrypted)
        world.synapse.join(world.people["prof1"], room)
        rooms.append(room)
    workdir.mkdir()
    config = workdir / "bot.toml"
    config.write_text(bot_config(world.synapse.url, account, world.people, *rooms))
    process = BotProcess(
        config, workdir / "bot.log", env={"RUPN_TEST_BOT_PASSWORD": account.password}
    )
    process.start()
    return OwnBot(account, rooms[1], process, workdir / "data")


async def test_restore_brings_the_bookings_back_on_a_new_device(world, users, tmp_path):
    """Back up while running, lose the data directory, restore, start again."""
    bot = start_own_bot(world, tmp_path / "own")
    try:
        await _backup_lose_restore(world, bot, users, tmp_path)
    finally:
        bot.process.stop()
    assert bot.process.log_text().count("ready: serving") == 2


async def _backup_lose_restore(world, bot: OwnBot, users, tmp_path: Path) -> None:
    data, config, room = bot.data, bot.config, bot.room
    referent, prof = await users("referent"), await users("prof1")
    await referent.ask(room, "!permanence ouvrir jeudi 17h 45min 3 places CDI")
    await prof.ask(room, "!permanence réserver jeudi 17h Pronote")
    old_device = bot.device_in_use()
    devices = bot.devices(world.synapse)
    assert devices == {old_device}

    archive = tmp_path / "sauvegarde.tar.gz"
    result = cli("backup", "--config", config, "--to", str(archive))
    assert result.returncode == exitcodes.OK, result.stderr
    assert bot.process.process.poll() is None
    assert mode(archive) == 0o600
    with tarfile.open(archive) as tar:
        assert sorted(tar.getnames()) == ["credentials.json", "manifest.json", "rupn.db"]
    # Readable by the bot's user only: the database and what SQLite puts beside it.
    for path in [data, data / "store"]:
        assert mode(path) == 0o700, path
    for path in data.glob("rupn.db*"):
        assert mode(path) == 0o600, path

    # Answered after the backup: must not be answered again after the restore.
    after_backup = await prof.say(room, "!aide")
    await prof.wait_reply(after_backup)

    refused = cli("restore", "--config", config, "--from", str(archive))
    assert refused.returncode == exitcodes.DATA
    assert "stop the bot first" in refused.stderr

    bot.process.stop()
    shutil.rmtree(data)
    result = cli("restore", "--config", config, "--from", str(archive))
    assert result.returncode == exitcodes.OK, result.stderr
    assert old_device in result.stdout
    assert mode(data / "rupn.db") == 0o600
    assert mode(data / "store" / "retire-devices.json") == 0o600
    assert not list((data / "store").glob("*.db"))  # no crypto store brought back
    # A device whose token no longer works is deleted with the password instead.
    forgotten = login_device(world.synapse, bot.account, "FORGOTTEN")
    record_retired(retire_path(data / "store"), [forgotten])

    bot.process.start()
    # As any client does between two messages: learn of the bot's new device, so the
    # next room key is shared with it (and no longer with the device logged out).
    await prof.sync_once()
    mine = await prof.ask(room, "!permanence mes")
    assert "jeudi 26 novembre à 17 h" in mine.body
    assert mine.was_encrypted
    assert len(prof.replies_to(after_backup)) == 1

    new_device = bot.device_in_use()
    assert new_device != old_device
    assert bot.devices(world.synapse) == {new_device}
    assert not (data / "store" / "retire-devices.json").exists()
    log = bot.process.log_text()
    assert f"device {old_device} (used before the restore) logged out" in log
    assert "device FORGOTTEN (used before the restore) deleted with the password" in log
    assert bot.account.password not in log and forgotten.access_token not in log


def login_device(synapse, account: Account, device_id: str) -> Credentials:
    """Log the account in on one more device, and return it with a token that no longer works."""
    synapse.api(
        "POST",
        "/_matrix/client/v3/login",
        {
            "type": "m.login.password",
            "identifier": {"type": "m.id.user", "user": account.user_id},
            "password": account.password,
            "device_id": device_id,
        },
    )
    revoked = f"syt_revoked_{os.urandom(4).hex()}"
    return Credentials(synapse.url, account.user_id, device_id, revoked)
