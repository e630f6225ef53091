"""Devices of the bot's account to log out once a new one is in use (after a restore).

A restore never brings a crypto store back (an older one rewinds the Olm account
and the Megolm ratchets, and clients reject what it sends as replays): the next
start logs in with a new device. The devices used before are recorded in
``<store_path>/retire-devices.json`` (0600) with their access tokens, and the
first start after the new login logs each of them out, so that people see one
bot device, not a trail of dead ones.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from urllib.parse import quote

import aiohttp

from bot.core.config import MatrixConfig
from bot.matrix.session import Credentials, write_private_json

log = logging.getLogger(__name__)

RETIRE_FILE = "retire-devices.json"
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=30)


def retire_path(store_path: Path) -> Path:
    """Where the devices waiting to be logged out are recorded."""
    return store_path / RETIRE_FILE


def load_retired(path: Path) -> list[Credentials]:
    """The devices waiting to be logged out (none if the file does not exist)."""
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    return [Credentials(**entry) for entry in entries]


def save_retired(path: Path, devices: list[Credentials]) -> None:
    """Write the list (0600, atomically); an empty list removes the file."""
    if not devices:
        path.unlink(missing_ok=True)
        return
    write_private_json(path, [device.__dict__ for device in devices])


def record_retired(path: Path, devices: list[Credentials | None]) -> list[Credentials]:
    """Add devices to the list (once each, by account and device id); returns the list."""
    recorded = load_retired(path)
    known = {(d.user_id, d.device_id) for d in recorded}
    for device in devices:
        if device is not None and (device.user_id, device.device_id) not in known:
            recorded.append(device)
            known.add((device.user_id, device.device_id))
    save_retired(path, recorded)
    return recorded


async def retire_devices(matrix: MatrixConfig, current: Credentials) -> None:
    """Log out every recorded device but the one in use, then forget those settled.

    A device whose token still works is logged out with it (``POST /logout``);
    otherwise it is deleted through ``DELETE /devices/{id}`` with the password
    (user-interactive auth) when one is configured. A device that could not be
    reached because of the network stays recorded for the next start. Tokens are
    never logged.
    """
    path = retire_path(matrix.store_path)
    try:
        waiting = load_retired(path)
    except (OSError, ValueError, TypeError) as error:
        # Not a reason to stay offline: the old devices can be removed by hand.
        log.warning("%s cannot be read (%s): old devices not logged out", path, error)
        return
    if not waiting:
        return
    left = []
    async with aiohttp.ClientSession(timeout=REQUEST_TIMEOUT) as http:
        for index, device in enumerate(waiting):
            try:
                settled = await _retire(http, matrix, current, device)
            except (aiohttp.ClientError, TimeoutError) as error:
                # The homeserver does not answer well: the bot starts anyway (its
                # sync loop waits for the homeserver) and the next start tries again.
                log.warning(
                    "device %s and %d other(s): not logged out yet (%s); tried at next start",
                    device.device_id,
                    len(waiting) - index - 1,
                    type(error).__name__,
                )
                left += waiting[index:]
                break
            if not settled:
                left.append(device)
    save_retired(path, left)


async def _retire(
    http: aiohttp.ClientSession, matrix: MatrixConfig, current: Credentials, device: Credentials
) -> bool:
    if (device.homeserver, device.user_id) != (matrix.homeserver, matrix.user_id):
        log.warning(
            "device %s belongs to %s on %s, not to this bot: left alone",
            device.device_id,
            device.user_id,
            device.homeserver,
        )
        return True
    if device.device_id == current.device_id:
        # An access token given in the config keeps its device: logging it out
        # would cut the bot off. The admin must give a token of a new device.
        log.warning(
            "device %s used before the restore is still the one in use: its crypto store "
            "is gone, give the bot a new access token (a new login)",
            device.device_id,
        )
        return True
    logout = f"{matrix.homeserver}/_matrix/client/v3/logout"
    async with http.post(logout, json={}, headers=_bearer(device.access_token)) as resp:
        if resp.status == 200:
            log.info("device %s (used before the restore) logged out", device.device_id)
            return True
        if resp.status >= 500:
            raise aiohttp.ClientError(f"HTTP {resp.status}")
    return await _delete_device(http, matrix, current, device.device_id)


async def _delete_device(
    http: aiohttp.ClientSession, matrix: MatrixConfig, current: Credentials, device_id: str
) -> bool:
    url = f"{matrix.homeserver}/_matrix/client/v3/devices/{quote(device_id, safe='')}"
    headers = _bearer(current.access_token)
    async with http.delete(url, json={}, headers=headers) as resp:
        if resp.status in (200, 404):
            log.info("device %s (used before the restore) is gone", device_id)
            return True
        if resp.status >= 500:
            raise aiohttp.ClientError(f"HTTP {resp.status}")
        session = (await resp.json(content_type=None) or {}).get("session")
    password = matrix.resolve_password()
    if resp.status != 401 or not password:
        log.warning(
            "device %s (used before the restore) could not be removed: its token no longer "
            "works and %s; remove it by hand from the account's sessions",
            device_id,
            "no password is configured" if not password else f"HTTP {resp.status}",
        )
        return True
    auth = {
        "type": "m.login.password",
        "identifier": {"type": "m.id.user", "user": matrix.user_id},
        "password": password,
        "session": session,
    }
    async with http.delete(url, json={"auth": auth}, headers=headers) as resp:
        if resp.status in (200, 404):
            log.info("device %s (used before the restore) deleted with the password", device_id)
            return True
        if resp.status >= 500:
            raise aiohttp.ClientError(f"HTTP {resp.status}")
        log.warning(
            "device %s (used before the restore) could not be deleted (HTTP %d); "
            "remove it by hand from the account's sessions",
            device_id,
            resp.status,
        )
        return True


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
