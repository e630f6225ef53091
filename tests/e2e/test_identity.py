"""The bot's cross-signing identity on a real Synapse, and who receives its room keys.

Signatures are checked with Synapse's own ``signedjson`` over canonical JSON, not
with the bot's code.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import stat
import subprocess
import sys
import time

import aiohttp
import pytest
from nio import MegolmEvent
from signedjson.key import decode_verify_key_bytes
from signedjson.sign import SignatureVerifyException, verify_signed_json
from unpaddedbase64 import decode_base64

from bot.core.config import MatrixConfig
from bot.matrix.identity import Account as IdentityAccount
from bot.matrix.identity import create_identity, fingerprint, keep_identity, own_device
from bot.ops import exitcodes
from tests.e2e.conftest import build_world
from tests.e2e.test_crypto_store import rupn
from tests.support.testbed import Account, BotProcess, ChatUser


@pytest.fixture(scope="module")
def own_world(tmp_path_factory):
    world = build_world(tmp_path_factory.mktemp("identity"))
    yield world
    world.stop()


def keys_of(world, user_id: str) -> dict:
    token = world.people["outsider"].access_token
    body = {"device_keys": {user_id: []}}
    return world.synapse.api("POST", "/_matrix/client/v3/keys/query", body, token=token)


def signed_by(obj: dict, user_id: str, public_key: str) -> bool:
    verify_key = decode_verify_key_bytes(f"ed25519:{public_key}", decode_base64(public_key))
    try:
        verify_signed_json(obj, user_id, verify_key)
    except SignatureVerifyException:
        return False
    return True


def the_key(key_object: dict) -> str:
    (public,) = key_object["keys"].values()
    return public


def device_of(world) -> str:
    credentials = world.workdir / "data" / "store" / "credentials.json"
    return json.loads(credentials.read_text())["device_id"]


def wait_signed(world, device_id: str, timeout: float = 30) -> tuple[str, str]:
    """Poll /keys/query until the device is signed through the identity; (master, ssk)."""
    user = world.bot_account.user_id
    deadline = time.monotonic() + timeout
    while True:
        answer = keys_of(world, user)
        master = answer.get("master_keys", {}).get(user)
        ssk = answer.get("self_signing_keys", {}).get(user)
        device = answer["device_keys"].get(user, {}).get(device_id)
        if master and ssk and device:
            master_key, ssk_key = the_key(master), the_key(ssk)
            if signed_by(ssk, user, master_key) and signed_by(device, user, ssk_key):
                assert master["usage"] == ["master"] and ssk["usage"] == ["self_signing"]
                return master_key, ssk_key
        if time.monotonic() > deadline:
            raise TimeoutError(f"device {device_id} not signed within {timeout} s:\n{answer}")
        time.sleep(0.2)


async def test_first_start_publishes_an_identity_that_signs_the_device(own_world):
    world = own_world
    device = device_of(world)
    master, _ = wait_signed(world, device)
    recovery = world.workdir / "recovery-key"
    assert stat.S_IMODE(os.stat(recovery).st_mode) == 0o600
    text = recovery.read_text().strip()
    assert len(text.replace(" ", "")) > 40 and text not in world.bot.log_text()
    assert "identity created" in world.bot.log_text()

    world.bot.stop()
    world.bot.start()
    assert device_of(world) == device
    assert wait_signed(world, device)[0] == master
    deadline = time.monotonic() + 30
    while f"identity: device {device} signed (master key" not in world.bot.log_text():
        assert time.monotonic() < deadline, world.bot.log_text()[-2000:]
        await asyncio.sleep(0.1)


async def test_a_lost_store_comes_back_on_a_new_device_of_the_same_identity(own_world):
    world = own_world
    old_device = device_of(world)
    master, ssk = wait_signed(world, old_device)
    world.bot.stop()
    shutil.rmtree(world.workdir / "data" / "store")
    world.bot.start()
    new_device = device_of(world)
    assert new_device != old_device
    assert wait_signed(world, new_device) == (master, ssk)
    assert "signed with the keys from secret storage" in world.bot.log_text()
    prof = world.user("prof2")
    await prof.start()
    try:
        reply = await prof.ask(world.encrypted_room, "!aide")
        assert reply.was_encrypted and "!permanence" in reply.body
    finally:
        await prof.close()


def user_matrix(world, account: Account, tmp_path) -> MatrixConfig:
    """A test user's account as the identity code takes it (its recovery key in tmp_path)."""
    recovery = tmp_path / f"{account.user_id}.recovery"
    return MatrixConfig(world.synapse.url, account.user_id, tmp_path, recovery_key_file=recovery)


async def cross_sign(world, account: Account, device_key: str, tmp_path) -> None:
    """Give a test user an identity that signs the device whose ed25519 key is given."""
    matrix = user_matrix(world, account, tmp_path)
    async with aiohttp.ClientSession() as http:
        user = IdentityAccount(
            http, matrix, account.device_id, account.access_token, account.password
        )
        published = await user.published()
        await create_identity(user, own_device(published, device_key), matrix.recovery_key_file)


async def sign_another_device(world, account: Account, device_key: str, tmp_path) -> None:
    """What the user does from a signed device: sign another one of theirs."""
    matrix = user_matrix(world, account, tmp_path)
    async with aiohttp.ClientSession() as http:
        user = IdentityAccount(http, matrix, account.device_id, account.access_token)
        await keep_identity(user, device_key)  # signs it with the keys from secret storage


async def test_room_keys_go_only_to_devices_their_owners_signed(own_world, tmp_path):
    world = own_world
    first = world.synapse.register("crossed")
    login = world.synapse.api(
        "POST",
        "/_matrix/client/v3/login",
        {
            "type": "m.login.password",
            "identifier": {"type": "m.id.user", "user": "crossed"},
            "password": first.password,
        },
    )
    second = Account(first.user_id, first.password, login["access_token"], login["device_id"])
    signed = ChatUser(world.synapse.url, first, tmp_path / "signed")
    unsigned = ChatUser(world.synapse.url, second, tmp_path / "unsigned")
    prof = world.user("prof1")  # no identity at all
    for client in (signed, unsigned, prof):
        await client.start()  # uploads the device keys
    try:
        await cross_sign(world, first, signed.client.olm.account.identity_keys["ed25519"], tmp_path)
        world.synapse.bring_in(world.people["referent"], first, world.encrypted_room)
        for client in (signed, unsigned):
            await client.sync_once()

        reply = await signed.ask(world.encrypted_room, "!aide")
        assert reply.was_encrypted and "!permanence" in reply.body
        assert await seen(prof, reply.event_id) == "decrypted"
        assert await seen(unsigned, reply.event_id) == "not decrypted"
        assert f"withheld from device {second.device_id}" in world.bot.log_text()

        # Once its owner signs it, the device gets the keys of the bot's next messages.
        await sign_another_device(
            world, second, unsigned.client.olm.account.identity_keys["ed25519"], tmp_path
        )
        deadline = time.monotonic() + 30
        while f"device {second.device_id} of {first.user_id} is now signed" not in (
            world.bot.log_text()
        ):
            assert time.monotonic() < deadline, world.bot.log_text()[-2000:]
            await signed.sync_once()
        later = await signed.ask(world.encrypted_room, "!aide")
        assert await seen(unsigned, later.event_id) == "decrypted"
    finally:
        for client in (signed, unsigned, prof):
            await client.close()


async def seen(user: ChatUser, event_id: str, timeout: float = 30) -> str:
    """How a user's device sees one event of the bot: decrypted or not."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        for _, event in user.events:
            if event.event_id == event_id:
                return "not decrypted" if isinstance(event, MegolmEvent) else "decrypted"
        assert asyncio.get_running_loop().time() < deadline, f"{event_id} never arrived"
        await user.sync_once()


def test_status_and_check_tell_the_identity(own_world):
    world = own_world
    device = device_of(world)
    master, _ = wait_signed(world, device)
    status = rupn("identity", world, "status")
    assert status.returncode == exitcodes.OK, status.stdout + status.stderr
    assert fingerprint(master) in status.stdout
    assert f"device {device}: signed" in status.stdout
    assert "holds master, self_signing, user_signing" in status.stdout
    assert f"recovery key: {world.workdir / 'recovery-key'}, opens it" in status.stdout
    check = rupn("check", world)
    assert f"identity: master key {fingerprint(master)}, device {device} signed" in check.stdout
    init = rupn("identity", world, "init")
    assert init.returncode == exitcodes.OK and f"device {device} signed" in init.stdout

    # A reset with a wrong password changes nothing: same identity, same recovery key.
    recovery = world.workdir / "recovery-key"
    kept = recovery.read_text()
    wrong = {"RUPN_TEST_BOT_PASSWORD": "not the password"}
    refused = rupn("identity", world, "reset", "--yes", env=wrong)
    assert refused.returncode == exitcodes.MATRIX and "refused" in refused.stdout, refused.stdout
    assert recovery.read_text() == kept
    assert wait_signed(world, device)[0] == master
    again = rupn("identity", world, "status")
    assert again.returncode == exitcodes.OK and "opens it" in again.stdout, again.stdout


async def test_without_recovery_key_no_new_identity_until_reset(own_world, tmp_path):
    world = own_world
    master, _ = wait_signed(world, device_of(world))
    recovery = world.workdir / "recovery-key"
    kept = recovery.read_text()
    world.bot.stop()
    recovery.unlink()
    shutil.rmtree(world.workdir / "data" / "store")
    world.bot.start()
    device = device_of(world)
    deadline = time.monotonic() + 30
    while "there is no recovery key in" not in world.bot.log_text():
        assert time.monotonic() < deadline, world.bot.log_text()[-2000:]
        await asyncio.sleep(0.1)
    answer = keys_of(world, world.bot_account.user_id)
    assert the_key(answer["master_keys"][world.bot_account.user_id]) == master  # not replaced
    assert not recovery.exists()
    check = rupn("check", world)
    assert f"device {device} NOT signed" in check.stdout and "MISSING" in check.stdout
    status = rupn("identity", world, "status")
    assert status.returncode == exitcodes.MATRIX and "NOT signed" in status.stdout

    refused = rupn("identity", world, "reset")
    assert refused.returncode == exitcodes.CONFIG and "--yes" in refused.stdout
    reset = rupn("identity", world, "reset", "--yes")
    assert reset.returncode == exitcodes.OK, reset.stdout + reset.stderr
    new_master, _ = wait_signed(world, device)
    assert new_master != master and recovery.read_text() != kept
    assert stat.S_IMODE(os.stat(recovery).st_mode) == 0o600
    assert "identity reset: new master key" in reset.stderr
    assert recovery.read_text().strip() not in reset.stdout + reset.stderr


def test_a_bot_logging_in_by_token_only_gets_its_identity_too(own_world, tmp_path):
    world = own_world
    account = world.synapse.register("tokenbot")
    config = (
        world.bot.config_path.read_text()
        .replace(world.bot_account.user_id, account.user_id)
        .replace('password_env = "RUPN_TEST_BOT_PASSWORD"', 'access_token_env = "RUPN_TEST_TOKEN"')
    )
    config_path = tmp_path / "bot.toml"
    config_path.write_text(config)
    bot = BotProcess(
        config_path, tmp_path / "bot.log", env={"RUPN_TEST_TOKEN": account.access_token}
    )
    bot.start()
    try:
        deadline = time.monotonic() + 30
        while "identity created" not in bot.log_text():
            assert "identity:" not in bot.log_text(), bot.log_text()[-2000:]
            assert time.monotonic() < deadline, bot.log_text()[-2000:]
            time.sleep(0.1)
    finally:
        bot.stop()
    status = subprocess.run(
        [sys.executable, "-m", "bot.cli", "identity", "status", "--config", str(config_path)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "RUPN_TEST_TOKEN": account.access_token},
    )
    assert status.returncode == exitcodes.OK, status.stdout + status.stderr
    assert f"device {account.device_id}: signed" in status.stdout
