"""Matrix cross-signing and secret storage primitives (client-server spec, "End-to-end
encryption": cross-signing, secret storage), on ``cryptography`` and ``canonicaljson``.

- Cross-signing keys are ed25519 keys kept as their 32-byte seed; what they sign is
  the canonical JSON of an object without its ``signatures`` and ``unsigned``.
- A secret storage key (``m.secret_storage.v1.aes-hmac-sha2``) is 32 random bytes,
  shown to people as a recovery key: ``0x8B 0x01``, the key, a parity byte, in
  base58 with a space every four characters. Each secret is encrypted with
  AES-256-CTR and authenticated with HMAC-SHA-256, both keys derived by HKDF from
  the storage key and the secret's name.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass

from canonicaljson import encode_canonical_json
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SSSS_ALGORITHM = "m.secret_storage.v1.aes-hmac-sha2"
RECOVERY_PREFIX = b"\x8b\x01"
BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def b64encode(data: bytes) -> str:
    """Unpadded standard base64, as Matrix writes keys, signatures and ciphertexts."""
    return base64.b64encode(data).decode().rstrip("=")


def b64decode(text: str) -> bytes:
    """Base64 with or without padding; ValueError when it is not base64."""
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def signable(obj: dict) -> bytes:
    """The canonical JSON a signature covers: the object without signatures nor unsigned."""
    return encode_canonical_json(
        {k: v for k, v in obj.items() if k not in ("signatures", "unsigned")}
    )


@dataclass(frozen=True)
class SigningKey:
    """An ed25519 cross-signing key, from its 32-byte seed."""

    seed: bytes

    @classmethod
    def generate(cls) -> SigningKey:
        """A new random key."""
        return cls(os.urandom(32))

    @property
    def public(self) -> str:
        """The public key, unpadded base64 (also its key id after ``ed25519:``)."""
        return b64encode(
            Ed25519PrivateKey.from_private_bytes(self.seed).public_key().public_bytes_raw()
        )

    def sign(self, obj: dict) -> str:
        """The signature of the object's canonical JSON, unpadded base64."""
        return b64encode(Ed25519PrivateKey.from_private_bytes(self.seed).sign(signable(obj)))

    def add_signature(self, obj: dict, user_id: str) -> dict:
        """A copy of ``obj`` carrying this key's signature beside the ones it had."""
        signed = dict(obj)
        signatures = {user: dict(sigs) for user, sigs in obj.get("signatures", {}).items()}
        signatures.setdefault(user_id, {})[f"ed25519:{self.public}"] = self.sign(obj)
        signed["signatures"] = signatures
        return signed

    def key_object(self, user_id: str, usage: str) -> dict:
        """The public cross-signing key as uploaded: ``{user_id, usage, keys}``."""
        return {
            "user_id": user_id,
            "usage": [usage],
            "keys": {f"ed25519:{self.public}": self.public},
        }


def is_signed_by(obj: dict, user_id: str, public_key: str) -> bool:
    """Whether ``obj`` carries a valid signature of ``user_id``'s ed25519 key ``public_key``."""
    signature = obj.get("signatures", {}).get(user_id, {}).get(f"ed25519:{public_key}")
    if not isinstance(signature, str):
        return False
    try:
        key = Ed25519PublicKey.from_public_bytes(b64decode(public_key))
        key.verify(b64decode(signature), signable(obj))
    except (ValueError, InvalidSignature):
        return False
    return True


def public_key_of(key_object: dict | None) -> str | None:
    """The ed25519 public key of a cross-signing key object, or None."""
    keys = (key_object or {}).get("keys", {})
    found = [value for key_id, value in keys.items() if key_id.startswith("ed25519:")]
    return found[0] if len(found) == 1 and isinstance(found[0], str) else None


def _derive(key: bytes, name: str) -> tuple[bytes, bytes]:
    derived = HKDF(algorithm=SHA256(), length=64, salt=b"\x00" * 32, info=name.encode()).derive(key)
    return derived[:32], derived[32:]


def _aes_ctr(key: bytes, iv: bytes, data: bytes) -> bytes:
    encryptor = Cipher(algorithms.AES(key), modes.CTR(iv)).encryptor()
    return encryptor.update(data) + encryptor.finalize()


def encrypt_secret(
    storage_key: bytes, name: str, plaintext: bytes, iv: bytes | None = None
) -> dict:
    """``{"iv", "ciphertext", "mac"}`` of a secret stored under ``name``."""
    aes_key, mac_key = _derive(storage_key, name)
    iv = bytearray(iv or os.urandom(16))
    iv[8] &= 0x7F  # bit 63 cleared: the counter never wraps into the IV's upper half
    ciphertext = _aes_ctr(aes_key, bytes(iv), plaintext)
    mac = hmac.new(mac_key, ciphertext, hashlib.sha256).digest()
    return {"iv": b64encode(bytes(iv)), "ciphertext": b64encode(ciphertext), "mac": b64encode(mac)}


def decrypt_secret(storage_key: bytes, name: str, encrypted: dict) -> bytes:
    """The secret; ValueError when the key is not the one it was stored with."""
    aes_key, mac_key = _derive(storage_key, name)
    ciphertext = b64decode(encrypted["ciphertext"])
    mac = hmac.new(mac_key, ciphertext, hashlib.sha256).digest()
    if not hmac.compare_digest(mac, b64decode(encrypted["mac"])):
        raise ValueError(f"{name}: wrong secret storage key (MAC mismatch)")
    return _aes_ctr(aes_key, b64decode(encrypted["iv"]), ciphertext)


def storage_key_description(storage_key: bytes) -> dict:
    """The account data ``m.secret_storage.key.<id>``: lets a client check a recovery key."""
    check = encrypt_secret(storage_key, "", b"\x00" * 32)
    return {"algorithm": SSSS_ALGORITHM, "iv": check["iv"], "mac": check["mac"]}


def storage_key_matches(storage_key: bytes, description: dict) -> bool:
    """Whether the key is the one that account data describes."""
    if description.get("algorithm") != SSSS_ALGORITHM or "iv" not in description:
        return False
    try:
        expected = encrypt_secret(storage_key, "", b"\x00" * 32, iv=b64decode(description["iv"]))
    except ValueError:
        return False
    return hmac.compare_digest(expected["mac"], str(description.get("mac", "")).rstrip("="))


def encode_recovery_key(storage_key: bytes) -> str:
    """The recovery key people keep: base58, a space every four characters."""
    data = RECOVERY_PREFIX + storage_key
    parity = 0
    for byte in data:
        parity ^= byte
    text = _base58(data + bytes([parity]))
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def decode_recovery_key(text: str) -> bytes:
    """The 32-byte storage key; ValueError when the text is not a recovery key."""
    data = _unbase58("".join(text.split()))
    parity = 0
    for byte in data:
        parity ^= byte
    if len(data) != 35 or not data.startswith(RECOVERY_PREFIX) or parity:
        raise ValueError("not a recovery key (wrong length, prefix or parity)")
    return data[2:34]


def _base58(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    text = ""
    while number:
        number, digit = divmod(number, 58)
        text = BASE58[digit] + text
    return BASE58[0] * (len(data) - len(data.lstrip(b"\x00"))) + text


def _unbase58(text: str) -> bytes:
    number = 0
    for char in text:
        if char not in BASE58:
            raise ValueError(f"not base58: {char!r}")
        number = number * 58 + BASE58.index(char)
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return b"\x00" * (len(text) - len(text.lstrip(BASE58[0]))) + body
