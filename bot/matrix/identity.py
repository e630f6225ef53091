"""The bot's cross-signing identity: what makes clients that hide unverified devices trust it.

Element (hence Tchap) follows "invisible crypto": a device its owner has not
cross-signed cannot send (its messages are hidden) and receives no room keys.
nio has no cross-signing, so the bot does it itself, over plain HTTP:

- first start, no identity on the account: master, self-signing and user-signing
  keys are made and published (``/keys/device_signing/upload``, with the password
  when the homeserver asks), the device is signed with the self-signing key, and
  the private keys go to the account's secret storage under a new default key
  whose recovery key is written to ``recovery_key_file`` (0600) first;
- every start: the device is checked to be signed; a new device (store lost)
  is signed with the self-signing key read back from secret storage with the
  recovery key: the master key stays the same. Without a recovery key, one log
  line says so and no new identity is made behind the admin's back
  (``rupn-bot identity reset --yes`` does, on purpose).
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import string
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import aiohttp

from bot.core.config import MatrixConfig
from bot.toolkit.crosssign import (
    SigningKey,
    b64decode,
    b64encode,
    decode_recovery_key,
    decrypt_secret,
    encode_recovery_key,
    encrypt_secret,
    is_signed_by,
    public_key_of,
    storage_key_description,
    storage_key_matches,
)

log = logging.getLogger(__name__)

API = "/_matrix/client/v3"
MASTER, SELF_SIGNING, USER_SIGNING = (
    "m.cross_signing.master",
    "m.cross_signing.self_signing",
    "m.cross_signing.user_signing",
)
DEFAULT_KEY = "m.secret_storage.default_key"
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=30)


class IdentityError(Exception):
    """The identity cannot be made or used as asked; the message says what to do."""


def fingerprint(public_key: str | None) -> str:
    """A public key as clients show it: groups of four characters."""
    if not public_key:
        return "none"
    return " ".join(public_key[i : i + 4] for i in range(0, len(public_key), 4))


@dataclass(frozen=True)
class Published:
    """What ``/keys/query`` says of the account: its cross-signing keys and one device."""

    user_id: str
    master: dict | None
    self_signing: dict | None
    device: dict | None

    @property
    def master_key(self) -> str | None:
        """The master public key, or None: the account has no identity."""
        return public_key_of(self.master)

    @property
    def signing_key(self) -> str | None:
        """The self-signing public key, if the master key signed it."""
        key = public_key_of(self.self_signing)
        if (
            key
            and self.master_key
            and is_signed_by(self.self_signing, self.user_id, self.master_key)
        ):
            return key
        return None

    @property
    def device_signed(self) -> bool:
        """Whether the device is signed by the (master-signed) self-signing key."""
        key = self.signing_key
        return bool(key and self.device and is_signed_by(self.device, self.user_id, key))


class Account:
    """The bot's account on its homeserver, spoken to with the device's access token."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        matrix: MatrixConfig,
        device_id: str,
        access_token: str,
        password: str | None = None,
    ) -> None:
        self.http = http
        self.matrix = matrix
        self.user_id = matrix.user_id
        self.device_id = device_id
        self.token = access_token
        self.password = password

    async def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        """One request; its status and decoded answer. 5xx and network errors raise."""
        headers = {"Authorization": f"Bearer {self.token}"}
        url = f"{self.matrix.homeserver}{API}{path}"
        async with self.http.request(method, url, json=body, headers=headers) as resp:
            if resp.status >= 500:
                raise aiohttp.ClientError(f"HTTP {resp.status} on {path}")
            answer = await resp.json(content_type=None)
            return resp.status, answer if isinstance(answer, dict) else {}

    async def published(self) -> Published:
        """The account's cross-signing keys and this device's keys, as others see them."""
        status, answer = await self.call("POST", "/keys/query", {"device_keys": {self.user_id: []}})
        if status != 200:
            raise IdentityError(f"/keys/query refused (HTTP {status} {answer.get('errcode')})")
        device = answer.get("device_keys", {}).get(self.user_id, {}).get(self.device_id)
        return Published(
            self.user_id,
            answer.get("master_keys", {}).get(self.user_id),
            answer.get("self_signing_keys", {}).get(self.user_id),
            device,
        )

    def _data_path(self, event_type: str) -> str:
        return f"/user/{quote(self.user_id, safe='')}/account_data/{quote(event_type, safe='')}"

    async def account_data(self, event_type: str) -> dict | None:
        """One type of the account's account data, or None if never set."""
        status, answer = await self.call("GET", self._data_path(event_type))
        if status == 404:
            return None
        if status != 200:
            raise IdentityError(f"account data {event_type}: HTTP {status}")
        return answer

    async def set_account_data(self, event_type: str, content: dict) -> None:
        """Write one type of account data."""
        status, answer = await self.call("PUT", self._data_path(event_type), content)
        if status != 200:
            raise IdentityError(f"account data {event_type}: HTTP {status} {answer.get('errcode')}")

    async def upload_signing_keys(self, body: dict) -> None:
        """Publish cross-signing keys, with the password if the homeserver asks for it."""
        status, answer = await self.call("POST", "/keys/device_signing/upload", body)
        if status == 401 and "flows" in answer:
            if not self.password:
                raise IdentityError(
                    "the homeserver asks for the bot's password to publish its identity: "
                    "run `rupn-bot identity init` (it asks for the password), or configure one"
                )
            auth = {
                "type": "m.login.password",
                "identifier": {"type": "m.id.user", "user": self.user_id},
                "password": self.password,
                "session": answer.get("session"),
            }
            status, answer = await self.call(
                "POST", "/keys/device_signing/upload", {**body, "auth": auth}
            )
        if status != 200:
            raise IdentityError(
                f"publishing the identity was refused (HTTP {status} {answer.get('errcode')})"
            )

    async def upload_signature(self, signed_device: dict) -> None:
        """Publish the self-signing key's signature of this device."""
        body = {self.user_id: {self.device_id: signed_device}}
        status, answer = await self.call("POST", "/keys/signatures/upload", body)
        failures = answer.get("failures") or {}
        if status != 200 or failures:
            raise IdentityError(f"the device's signature was refused (HTTP {status}, {failures})")


def own_device(published: Published, device_key: str) -> dict:
    """This device's published keys, once checked to be the ones its store holds."""
    device = published.device
    if device is None:
        raise IdentityError("this device's keys are not on the homeserver yet: start the bot first")
    keys = device.get("keys", {})
    if keys.get(f"ed25519:{published.device.get('device_id')}") != device_key:
        raise IdentityError("the device keys on the homeserver are not this device's: not signed")
    return {k: v for k, v in device.items() if k != "unsigned"}


async def sign_device(account: Account, signing: SigningKey, device: dict) -> None:
    """Sign the device with the self-signing key and publish the signature."""
    await account.upload_signature(signing.add_signature(device, account.user_id))


def write_recovery_key(path: Path, storage_key: bytes) -> None:
    """Write the recovery key, owner-only (0600), atomically; before anything is published."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(encode_recovery_key(storage_key) + "\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except OSError as error:
        raise IdentityError(
            f"cannot write the recovery key to {path} ({error.strerror}): "
            "set matrix.recovery_key_file to a place the bot can write"
        ) from None


def read_recovery_key(path: Path | None) -> bytes | None:
    """The storage key from the recovery key file; None if there is no file."""
    if path is None or not path.exists():
        return None
    try:
        return decode_recovery_key(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise IdentityError(f"{path}: not a usable recovery key ({error})") from None


async def create_identity(account: Account, device: dict, recovery_file: Path) -> str:
    """New cross-signing keys, kept in secret storage, and this device signed; the master key.

    The recovery key is written, and secret storage made to point at it, before
    the keys are published: an identity is never left on the account without a
    way to read its keys back. If publishing is refused (a wrong password for a
    reset), the previous recovery key and default storage key are put back.
    """
    master, self_signing, user_signing = (SigningKey.generate() for _ in range(3))
    storage_key = secrets.token_bytes(32)
    key_id = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
    sealed = {
        name: encrypt_secret(storage_key, name, b64encode(key.seed).encode())
        for name, key in (
            (MASTER, master),
            (SELF_SIGNING, self_signing),
            (USER_SIGNING, user_signing),
        )
    }
    previous_file = _saved(recovery_file)
    previous_default = await account.account_data(DEFAULT_KEY)
    write_recovery_key(recovery_file, storage_key)
    user = account.user_id
    try:
        await account.set_account_data(
            f"m.secret_storage.key.{key_id}", storage_key_description(storage_key)
        )
        for name, encrypted in sealed.items():
            # Beside the previous identity's copy until the new one is published.
            kept = ((await account.account_data(name)) or {}).get("encrypted", {})
            await account.set_account_data(name, {"encrypted": {**kept, key_id: encrypted}})
        await account.set_account_data(DEFAULT_KEY, {"key": key_id})
        await account.upload_signing_keys(
            {
                "master_key": master.key_object(user, "master"),
                "self_signing_key": master.add_signature(
                    self_signing.key_object(user, "self_signing"), user
                ),
                "user_signing_key": master.add_signature(
                    user_signing.key_object(user, "user_signing"), user
                ),
            }
        )
    except IdentityError:
        await _put_back(account, recovery_file, previous_file, previous_default)
        raise
    for name, encrypted in sealed.items():
        await account.set_account_data(name, {"encrypted": {key_id: encrypted}})
    await sign_device(account, self_signing, device)
    return master.public


async def _put_back(
    account: Account, recovery_file: Path, text: str | None, default: dict | None
) -> None:
    """Undo what a refused identity change wrote: the recovery key file and default key."""
    _restore(recovery_file, text)
    if default:
        await account.set_account_data(DEFAULT_KEY, default)


def _saved(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.exists() else None


def _restore(path: Path, text: str | None) -> None:
    if text is None:
        path.unlink(missing_ok=True)
        return
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(tmp, path)


async def stored_signing_key(account: Account, storage_key: bytes, expected: str) -> SigningKey:
    """The self-signing key read back from secret storage with the recovery key."""
    default = await account.account_data(DEFAULT_KEY) or {}
    key_id = default.get("key")
    description = await account.account_data(f"m.secret_storage.key.{key_id}") if key_id else None
    if not description or not storage_key_matches(storage_key, description):
        raise IdentityError(
            "the recovery key does not open the account's secret storage: "
            "give the right one, or run `rupn-bot identity reset --yes`"
        )
    secret = ((await account.account_data(SELF_SIGNING)) or {}).get("encrypted", {}).get(key_id)
    if not secret:
        raise IdentityError("secret storage holds no self-signing key: run `identity reset --yes`")
    try:
        signing = SigningKey(b64decode(decrypt_secret(storage_key, SELF_SIGNING, secret).decode()))
    except (ValueError, KeyError, UnicodeDecodeError) as error:
        raise IdentityError(f"the stored self-signing key cannot be read ({error})") from None
    if signing.public != expected:
        raise IdentityError("secret storage holds another self-signing key than the one published")
    return signing


async def keep_identity(account: Account, device_key: str) -> str:
    """Make sure this device is signed by the account's identity; one line saying how."""
    matrix = account.matrix
    published = await account.published()
    device = own_device(published, device_key)
    if published.master_key is None:
        master = await create_identity(account, device, matrix.recovery_key_file)
        return (
            f"identity created: master key {fingerprint(master)}, device {account.device_id} "
            f"signed; recovery key written to {matrix.recovery_key_file} (keep a copy elsewhere)"
        )
    if published.device_signed:
        master = fingerprint(published.master_key)
        return f"identity: device {account.device_id} signed (master key {master})"
    if published.signing_key is None:
        raise IdentityError(
            "the account's self-signing key is missing or not signed by its master key: "
            "run `rupn-bot identity reset --yes`"
        )
    storage_key = read_recovery_key(matrix.recovery_key_file)
    if storage_key is None:
        raise IdentityError(
            f"the account has an identity (master key {fingerprint(published.master_key)}) but "
            f"there is no recovery key in {matrix.recovery_key_file}: device {account.device_id} "
            "stays unsigned and Element/Tchap hide its messages; put the recovery key back "
            "there and restart, or run `rupn-bot identity reset --yes`"
        )
    signing = await stored_signing_key(account, storage_key, published.signing_key)
    await sign_device(account, signing, device)
    return (
        f"identity: device {account.device_id} signed with the keys from secret storage "
        f"(master key {fingerprint(published.master_key)}, unchanged)"
    )


async def keep_identity_once_ready(ready: asyncio.Event, matrix: MatrixConfig, client) -> None:
    """At every start, once the device's keys are uploaded (first sync): ``keep_identity``.

    A failure is one log line: the bot serves anyway, and the next start tries again.
    """
    await ready.wait()
    try:
        async with aiohttp.ClientSession(timeout=REQUEST_TIMEOUT) as http:
            account = Account(
                http, matrix, client.device_id, client.access_token, matrix.resolve_password()
            )
            log.info(
                "%s", await keep_identity(account, client.olm.account.identity_keys["ed25519"])
            )
    except IdentityError as error:
        log.error("identity: %s", error)
    except (aiohttp.ClientError, TimeoutError) as error:
        log.warning("identity: not checked, the homeserver did not answer (%s)", error)
    except Exception:
        # An answer of an unexpected shape: the bot keeps serving, the next start tries again.
        log.exception("identity: not checked")
