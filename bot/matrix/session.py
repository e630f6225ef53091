"""The bot's Matrix device: one matrix-nio client with end-to-end encryption.

- Logs in once and keeps the access token and device id in ``<store>/credentials.json``
  (mode 0600, beside the crypto store); every later start reuses them and the
  same crypto store.
- An unreachable homeserver is retried by nio itself with a capped wait that
  the log shows and the watchdog is told about.
- A revoked token or an expired account stops the bot with a line saying what to do.
- The crypto store is encrypted with the admin's pickle key (``bot.matrix.cryptostore``).
- Key queries keep the cross-signing keys nio leaves out, so that room keys go only
  to devices their owners signed (``bot.matrix.trust``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from nio import (
    AsyncClient,
    AsyncClientConfig,
    ErrorResponse,
    KeysQueryError,
    LocalProtocolError,
    LoginResponse,
    WhoamiResponse,
)
from nio.api import Api

from bot.matrix.cryptostore import pickle_key_for
from bot.matrix.trust import CrossSignedKeysQuery, DeviceTrust

if TYPE_CHECKING:
    from bot.core.config import MatrixConfig

log = logging.getLogger(__name__)

FATAL_ERRCODES = {
    "M_UNKNOWN_TOKEN": "the access token was revoked or expired: log the bot in again "
    "(delete {creds} and restart with a password)",
    "ORG_MATRIX_EXPIRED_ACCOUNT": "the bot's account has expired: ask the homeserver admin "
    "to renew it",
    "M_USER_DEACTIVATED": "the bot's account was deactivated",
}
MAX_BACKOFF_S = 30.0


class FatalMatrixError(Exception):
    """The homeserver refuses the bot for good (revoked token, expired account)."""


@dataclass(frozen=True)
class Credentials:
    """What a login gives and every later start reuses."""

    homeserver: str
    user_id: str
    device_id: str
    access_token: str


def credentials_path(matrix: MatrixConfig) -> Path:
    """Where the device's credentials are kept, beside its crypto store."""
    return matrix.store_path / "credentials.json"


def load_credentials(path: Path) -> Credentials | None:
    """The stored credentials, or None if the bot never logged in."""
    try:
        return Credentials(**json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None


def save_credentials(path: Path, credentials: Credentials) -> None:
    """Write the credentials readable by the owner only (0600), atomically."""
    write_private_json(path, credentials.__dict__)


def write_private_json(path: Path, value: object) -> None:
    """Write JSON readable by the owner only (0600, folder 0700), atomically.

    For what holds access tokens: a reader never sees a half-written file, and
    the file is never readable by others, not even for a moment.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(value, out)
    os.chmod(tmp, 0o600)  # an existing .tmp keeps its mode through O_TRUNC
    os.replace(tmp, path)


async def exchange_keys(client: AsyncClient) -> None:
    """Do the end-to-end key chores a sync leaves: upload, query, claim, to-device."""
    if client.should_upload_keys:
        await client.keys_upload()
    if client.should_query_keys:
        await client.keys_query()
    if client.should_claim_keys:
        await client.keys_claim(client.get_users_for_key_claiming())
    await client.send_to_device_messages()


class BotClient(AsyncClient):
    """nio's client, whose waits for an unreachable homeserver are capped and logged.

    nio retries unreachable-homeserver errors itself; this makes the wait
    capped and visible in our log instead of silent.
    """

    unreachable_since: float | None = None

    def __init__(
        self,
        *args,
        alive: Callable[[], None] = lambda: None,
        trust: DeviceTrust | None = None,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.trust = trust
        # Waiting to retry is the loop at work, not a hang: told to the watchdog so
        # an outage longer than WatchdogSec= does not get the bot killed and restarted.
        self.alive = alive

    async def get_timeout_retry_wait_time(self, got_timeouts: int) -> float:
        """How long to wait before retrying, capped; logged and told to the watchdog."""
        wait = min(2.0 ** min(got_timeouts - 1, 10), MAX_BACKOFF_S)
        self.alive()
        if self.unreachable_since is None:
            self.unreachable_since = asyncio.get_running_loop().time()
        log.warning("homeserver unreachable (attempt %d), retrying in %.0f s", got_timeouts, wait)
        return wait

    async def keys_query(self) -> CrossSignedKeysQuery | KeysQueryError:
        """nio's key query, whose answer keeps the cross-signing keys for ``trust``."""
        users = self.users_for_key_query
        if not users:
            raise LocalProtocolError("No key query required.")
        method, path, data = Api.keys_query(self.access_token, users)
        resp = await self._send(CrossSignedKeysQuery, method, path, data)
        if isinstance(resp, CrossSignedKeysQuery) and self.trust is not None:
            self.trust.learn(resp)
        return resp

    def note_reachable(self) -> None:
        """Log once that the homeserver answers again after an outage."""
        if self.unreachable_since is not None:
            down = asyncio.get_running_loop().time() - self.unreachable_since
            log.info("homeserver reachable again after %.0f s", down)
            self.unreachable_since = None


class Session:
    """The bot's device: its client once logged in or restored, and why it may have to stop."""

    def __init__(
        self,
        matrix: MatrixConfig,
        *,
        alive: Callable[[], None],
        on_error: Callable[[ErrorResponse], Awaitable[None]],
    ) -> None:
        """``alive`` feeds the watchdog while nio waits; ``on_error`` sees every error answer."""
        self.matrix = matrix
        self.alive = alive
        self.on_error = on_error
        self.client: AsyncClient | None = None
        self.restored = False  # the device came from stored credentials
        self.trust = DeviceTrust(matrix.share_keys_with)

    @property
    def credentials_path(self) -> Path:
        """Where this device's credentials are kept."""
        return credentials_path(self.matrix)

    async def login(self) -> AsyncClient:
        """Restore the stored device, or log in once and store it."""
        m = self.matrix
        m.store_path.mkdir(parents=True, exist_ok=True, mode=0o700)
        stored = load_credentials(self.credentials_path)
        if stored and (stored.user_id != m.user_id or stored.homeserver != m.homeserver):
            log.warning("stored credentials are for another account; logging in again")
            stored = None
        client_config = AsyncClientConfig(
            pickle_key=pickle_key_for(m, stored.device_id if stored else None),
            encryption_enabled=True,
            store_sync_tokens=False,
            max_limit_exceeded=None,
            max_timeouts=None,
            max_timeout_retry_wait_time=MAX_BACKOFF_S,
            request_timeout=60,
        )
        client = BotClient(
            m.homeserver,
            m.user_id,
            store_path=str(m.store_path),
            config=client_config,
            alive=self.alive,
            trust=self.trust,
        )
        client.add_response_callback(self.on_error, ErrorResponse)
        self.client = client
        if stored:
            client.restore_login(stored.user_id, stored.device_id, stored.access_token)
            self.trust.install(client)
            self.restored = True
            log.info("reusing device %s for %s", stored.device_id, m.user_id)
            return client
        token = m.resolve_access_token()
        if token:
            client.access_token = token
            who = await client.whoami()
            if not isinstance(who, WhoamiResponse) or not who.device_id:
                raise FatalMatrixError(f"the access token from {m.access_token_env} is not valid")
            # The token's device may have a store already, from before its credentials were lost.
            pickle_key_for(m, who.device_id)
            client.restore_login(m.user_id, who.device_id, token)
            device_id = who.device_id
        else:
            password = m.resolve_password()
            if not password:
                raise FatalMatrixError(
                    "no password: set matrix.password or its environment variable"
                )
            resp = await client.login(password, device_name=m.device_name)
            if not isinstance(resp, LoginResponse):
                raise FatalMatrixError(f"login refused for {m.user_id}: {resp.message}")
            device_id = resp.device_id
        save_credentials(
            self.credentials_path,
            Credentials(m.homeserver, m.user_id, device_id, client.access_token),
        )
        self.trust.install(client)
        log.info("logged in as %s with new device %s", m.user_id, device_id)
        return client

    def raise_if_fatal(self, resp: ErrorResponse) -> None:
        """Stop with a clear reason if the homeserver refuses the bot for good."""
        why = FATAL_ERRCODES.get(resp.status_code or "")
        if why:
            log.error("stopping: %s", why.format(creds=self.credentials_path))
            raise FatalMatrixError(why.format(creds=self.credentials_path))

    async def close(self) -> None:
        """Close the HTTP session, if the bot ever logged in."""
        if self.client:
            await self.client.close()
