"""Cross-signing and secret storage primitives, and the rule for sharing room keys."""

from __future__ import annotations

import os

import pytest
from signedjson.key import decode_verify_key_bytes
from signedjson.sign import verify_signed_json
from unpaddedbase64 import decode_base64

from bot.matrix.trust import SHARE_ALL, DeviceTrust, trusted_devices
from bot.toolkit.crosssign import (
    SigningKey,
    decode_recovery_key,
    decrypt_secret,
    encode_recovery_key,
    encrypt_secret,
    is_signed_by,
    storage_key_description,
    storage_key_matches,
)

USER = "@crossed:localhost"


def test_a_signature_verifies_with_synapse_own_library():
    key = SigningKey.generate()
    signed = key.add_signature({"user_id": USER, "keys": {"x": "y"}, "unsigned": {"a": 1}}, USER)
    verify_key = decode_verify_key_bytes(f"ed25519:{key.public}", decode_base64(key.public))
    verify_signed_json(signed, USER, verify_key)  # raises if wrong
    assert is_signed_by(signed, USER, key.public)
    assert not is_signed_by({**signed, "keys": {"x": "z"}}, USER, key.public)
    assert not is_signed_by(signed, USER, SigningKey.generate().public)


def test_the_recovery_key_round_trips_and_rejects_a_typo():
    storage_key = os.urandom(32)
    text = encode_recovery_key(storage_key)
    assert all(len(group) <= 4 for group in text.split(" "))
    assert decode_recovery_key(text) == storage_key
    assert decode_recovery_key(text.replace(" ", "")) == storage_key
    typo = text[:-1] + ("1" if text[-1] != "1" else "2")
    with pytest.raises(ValueError):
        decode_recovery_key(typo)


def test_recovery_keys_look_like_the_ones_element_shows():
    # 0x8B 0x01 + 32 bytes + parity: 48 base58 characters, always "Es…", in 12 groups
    # (checked against the base58 package's encoding of the same bytes).
    text = encode_recovery_key(bytes(32))
    assert text == "EsSz ygLv VP1b xF1C v7kE eBQx MxDP buG5 w25T L3b6 hfyG Kkrd"
    assert decode_recovery_key(text) == bytes(32)


def test_secrets_open_with_their_key_and_name_only():
    storage_key = os.urandom(32)
    sealed = encrypt_secret(storage_key, "m.cross_signing.master", b"c2VlZA")
    assert decrypt_secret(storage_key, "m.cross_signing.master", sealed) == b"c2VlZA"
    with pytest.raises(ValueError):
        decrypt_secret(os.urandom(32), "m.cross_signing.master", sealed)
    with pytest.raises(ValueError):
        decrypt_secret(storage_key, "m.cross_signing.self_signing", sealed)
    description = storage_key_description(storage_key)
    assert storage_key_matches(storage_key, description)
    assert not storage_key_matches(os.urandom(32), description)


def identity(devices_signed: list[str], devices_unsigned: list[str]):
    master, ssk = SigningKey.generate(), SigningKey.generate()
    ssk_object = master.add_signature(ssk.key_object(USER, "self_signing"), USER)
    devices = {
        d: ssk.add_signature({"device_id": d, "user_id": USER}, USER) for d in devices_signed
    }
    devices |= {d: {"device_id": d, "user_id": USER} for d in devices_unsigned}
    return master.key_object(USER, "master"), ssk_object, devices


def test_only_devices_signed_through_the_master_key_are_trusted():
    master, ssk, devices = identity(["SIGNED"], ["UNSIGNED"])
    assert trusted_devices(USER, devices, master, ssk) == {"SIGNED"}
    forged = SigningKey.generate().add_signature(dict(ssk, signatures={}), USER)
    assert trusted_devices(USER, devices, master, forged) == set()
    assert trusted_devices(USER, devices, None, None) is None  # no identity: every device


class Answer:
    def __init__(self, device_keys, master_keys, self_signing_keys):
        self.device_keys = device_keys
        self.master_keys = master_keys
        self.self_signing_keys = self_signing_keys


def test_the_sharing_rule():
    master, ssk, devices = identity(["SIGNED"], ["UNSIGNED"])
    trust = DeviceTrust()
    trust.learn(Answer({USER: devices, "@old:localhost": {"D": {}}}, {USER: master}, {USER: ssk}))
    assert not trust.refuses(USER, "SIGNED")
    assert trust.refuses(USER, "UNSIGNED")
    assert not trust.refuses("@old:localhost", "D")  # a user without identity
    assert trust.refuses("@never-queried:localhost", "D")
    everyone = DeviceTrust(SHARE_ALL)
    everyone.learn(Answer({USER: devices}, {USER: master}, {USER: ssk}))
    assert not everyone.refuses(USER, "UNSIGNED")
