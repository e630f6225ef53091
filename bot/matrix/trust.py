"""Which devices receive the bot's room keys: those their owners vouch for.

Clients that follow "invisible crypto" (Element, hence Tchap) trust a device only
once its owner has cross-signed it. The bot does the same before it shares a
Megolm session (room messages, direct messages with exports and digests):

- a device signed by its owner's self-signing key, itself signed by the owner's
  master key, receives the keys;
- a user with no cross-signing identity at all (older clients, test clients)
  keeps receiving them on every device;
- an unsigned device of a user who has an identity receives nothing.

``share_keys_with = "all"`` turns the rule off. nio does not read cross-signing
keys: the bot's ``/keys/query`` answers are read with them kept, and nio is told
that a device it must not share with is "blacklisted".
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from nio import KeysQueryResponse

from bot.toolkit.crosssign import is_signed_by, public_key_of

if TYPE_CHECKING:
    from nio import AsyncClient
    from nio.crypto import OlmDevice

log = logging.getLogger(__name__)

SHARE_TRUSTED = "trusted"
SHARE_ALL = "all"
SHARE_MODES = (SHARE_TRUSTED, SHARE_ALL)


class CrossSignedKeysQuery(KeysQueryResponse):
    """nio's ``/keys/query`` answer, with the cross-signing keys nio leaves out."""

    master_keys: dict[str, Any]
    self_signing_keys: dict[str, Any]

    @classmethod
    def from_dict(cls, parsed_dict: dict[Any, Any]):
        """Parse as nio does, keeping ``master_keys`` and ``self_signing_keys``."""
        resp = super().from_dict(parsed_dict)
        if isinstance(resp, CrossSignedKeysQuery):
            resp.master_keys = parsed_dict.get("master_keys") or {}
            resp.self_signing_keys = parsed_dict.get("self_signing_keys") or {}
        return resp


def trusted_devices(
    user_id: str, devices: dict[str, dict], master: dict | None, self_signing: dict | None
) -> set[str] | None:
    """The devices of a user that their owner signed; None when the user has no identity."""
    master_key = public_key_of(master)
    if master_key is None:
        return None
    signing_key = public_key_of(self_signing)
    if signing_key is None or not is_signed_by(self_signing or {}, user_id, master_key):
        return set()  # an identity whose self-signing key is missing or forged signs nothing
    return {
        device_id
        for device_id, keys in devices.items()
        if isinstance(keys, dict) and is_signed_by(keys, user_id, signing_key)
    }


class DeviceTrust:
    """What the last key queries said of each user's devices, and the sharing rule."""

    def __init__(self, share_keys_with: str = SHARE_TRUSTED) -> None:
        self.mode = share_keys_with
        # user id -> the devices their owner signed, or None: the user has no identity.
        self.signed: dict[str, set[str] | None] = {}
        self._withheld: set[tuple[str, str]] = set()
        self._client: AsyncClient | None = None

    def _trusted(self, user_id: str, device_id: str) -> bool:
        signed = self.signed.get(user_id, set())
        return signed is None or device_id in signed

    def learn(self, resp: CrossSignedKeysQuery) -> None:
        """Take in a ``/keys/query`` answer: who has an identity, which devices are signed."""
        for user_id, devices in resp.device_keys.items():
            self.signed[user_id] = trusted_devices(
                user_id,
                devices or {},
                resp.master_keys.get(user_id),
                resp.self_signing_keys.get(user_id),
            )
        now_signed = {device for device in self._withheld if self._trusted(*device)}
        if now_signed:
            self._withheld -= now_signed
            self._rotate_sessions()
            for user_id, device_id in sorted(now_signed):
                log.info(
                    "device %s of %s is now signed: it gets the next room keys", device_id, user_id
                )

    def _rotate_sessions(self) -> None:
        """Expire the Megolm sessions in use: they skipped some devices for good.

        The next message of each room starts a new session, shared with the devices
        signed since. A session being shared right now is left alone: it is about to
        encrypt, and expiring it under nio's feet would fail that send.
        """
        client = self._client
        if client is None or client.olm is None:
            return
        for room_id, session in client.olm.outbound_group_sessions.items():
            if session.shared and room_id not in client.sharing_session:
                session.max_age = timedelta(0)

    def refuses(self, user_id: str, device_id: str) -> bool:
        """Whether that device must not receive room keys."""
        if self.mode == SHARE_ALL:
            return False
        if user_id not in self.signed:
            return True  # not queried with its cross-signing keys yet: nothing known
        refused = not self._trusted(user_id, device_id)
        if refused and (user_id, device_id) not in self._withheld:
            self._withheld.add((user_id, device_id))
            log.info(
                "room keys withheld from device %s of %s: not signed by its owner's identity",
                device_id,
                user_id,
            )
        return refused

    def install(self, client: AsyncClient) -> None:
        """Make nio's key sharing follow the rule, and query again who it knew before."""
        olm = client.olm
        if olm is None:
            return
        self._client = client
        blacklisted = olm.is_device_blacklisted

        def refused(device: OlmDevice) -> bool:
            return self.refuses(device.user_id, device.id) or blacklisted(device)

        olm.is_device_blacklisted = refused
        # The devices nio kept in its store come without their signatures: ask again.
        olm.users_for_key_query.update(user_id for user_id, _ in olm.device_store.items())
