"""``rupn-bot identity status|init|reset --yes``: the bot's cross-signing identity by hand.

- ``status`` reads only: the master key's fingerprint, whether this device is
  signed, whether secret storage holds the keys and the recovery key opens it.
- ``init`` does what the first start does (create the identity, or sign this
  device from secret storage), asking for the password when none is
  configured: for configurations that log in with an access token only.
- ``reset --yes`` makes a new identity, for a lost recovery key; it needs the
  password. People who had verified the bot see that its identity changed.

Each uses the stored device's token, reads the device's key from its crypto
store without changing it, and is safe beside a running bot.
"""

from __future__ import annotations

import asyncio
import getpass
import logging
import sys
from collections.abc import Callable

import aiohttp

from bot.core.config import Config, ConfigError
from bot.matrix.cryptostore import device_signing_key, read_pickle_key
from bot.matrix.identity import (
    DEFAULT_KEY,
    MASTER,
    REQUEST_TIMEOUT,
    SELF_SIGNING,
    USER_SIGNING,
    Account,
    IdentityError,
    Published,
    create_identity,
    fingerprint,
    keep_identity,
    own_device,
    read_recovery_key,
)
from bot.matrix.session import credentials_path, load_credentials
from bot.ops import exitcodes
from bot.toolkit.crosssign import storage_key_matches

log = logging.getLogger(__name__)

Print = Callable[[str], None]


def identity(config: Config, action: str, *, yes: bool = False, say: Print = print) -> int:
    """Run one identity action; returns an exit code."""
    m = config.matrix
    stored = load_credentials(credentials_path(m))
    if stored is None or (stored.user_id, stored.homeserver) != (m.user_id, m.homeserver):
        say(f"account {m.user_id}: not logged in yet: start the bot once (rupn-bot run)")
        return exitcodes.MATRIX
    if action == "reset" and not yes:
        say(
            "reset makes a new identity: people who verified the bot will be told it changed. "
            "Add --yes to go ahead."
        )
        return exitcodes.CONFIG
    try:
        key = read_pickle_key(m)
    except ConfigError as error:
        say(f"crypto store: {error}")
        return exitcodes.CONFIG
    device_key = device_signing_key(m, stored.device_id, key) if key else None
    if device_key is None:
        say(f"crypto store of device {stored.device_id}: cannot be read with the pickle key")
        return exitcodes.CONFIG
    password = m.resolve_password()
    if action != "status" and not password and sys.stdin.isatty():
        password = getpass.getpass(f"password of {m.user_id} (empty if not asked): ") or None
    try:
        return asyncio.run(_act(config, action, stored, device_key, password, say))
    except IdentityError as error:
        say(f"identity: {error}")
        return exitcodes.MATRIX
    except (aiohttp.ClientError, TimeoutError) as error:
        say(f"homeserver {m.homeserver}: unreachable ({error or type(error).__name__})")
        return exitcodes.MATRIX


async def _act(config, action, stored, device_key, password, say: Print) -> int:
    m = config.matrix
    async with aiohttp.ClientSession(timeout=REQUEST_TIMEOUT) as http:
        account = Account(http, m, stored.device_id, stored.access_token, password)
        if action == "status":
            return await status(account, say)
        if action == "init":
            say(await keep_identity(account, device_key))
            return exitcodes.OK
        if not password:
            raise IdentityError("reset needs the bot's password (configured, or typed when asked)")
        published = await account.published()
        master = await create_identity(
            account, own_device(published, device_key), m.recovery_key_file
        )
        log.warning(
            "identity reset: new master key %s (was %s); new recovery key in %s",
            fingerprint(master),
            fingerprint(published.master_key),
            m.recovery_key_file,
        )
        say(f"identity reset: new master key {fingerprint(master)}, device {stored.device_id}")
        say(f"  new recovery key written to {m.recovery_key_file}: keep a copy elsewhere")
        return exitcodes.OK


async def status(account: Account, say: Print) -> int:
    """What the account's identity is, and whether this device and the recovery key fit it."""
    published = await account.published()
    if published.master_key is None:
        say(f"identity of {account.user_id}: none yet (made at next start, or `identity init`)")
        return exitcodes.MATRIX
    say(f"identity of {account.user_id}: master key {fingerprint(published.master_key)}")
    signed = "signed" if published.device_signed else "NOT signed (see `identity init`)"
    say(f"  device {account.device_id}: {signed}")
    for line in await storage_lines(account, published):
        say(f"  {line}")
    return exitcodes.OK if published.device_signed else exitcodes.MATRIX


async def storage_lines(account: Account, published: Published) -> list[str]:
    """Whether secret storage holds the keys, and whether the recovery key file opens it."""
    key_id = ((await account.account_data(DEFAULT_KEY)) or {}).get("key")
    if not key_id:
        return ["secret storage: no default key (the keys are not kept: `identity reset --yes`)"]
    held = [
        name.rsplit(".", 1)[1]
        for name in (MASTER, SELF_SIGNING, USER_SIGNING)
        if key_id in ((await account.account_data(name)) or {}).get("encrypted", {})
    ]
    lines = [f"secret storage: key {key_id} holds {', '.join(held) or 'no key'}"]
    path = account.matrix.recovery_key_file
    try:
        storage_key = read_recovery_key(path)
    except IdentityError as error:
        return [*lines, f"recovery key: {error}"]
    if storage_key is None:
        return [*lines, f"recovery key: MISSING ({path}); a lost store could not be signed again"]
    description = await account.account_data(f"m.secret_storage.key.{key_id}") or {}
    opens = storage_key_matches(storage_key, description)
    return [*lines, f"recovery key: {path}, {'opens' if opens else 'does NOT open'} it"]
