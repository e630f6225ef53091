"""The crypto store's pickle key: the secret its Olm and Megolm keys are encrypted with.

nio encrypts ("pickles") the device's Olm account and sessions with a passphrase,
``DEFAULT_KEY`` unless told otherwise: anyone with a copy of the store could read
the device's keys. The bot's passphrase comes from the admin instead
(``pickle_key_env`` or ``pickle_key_file``); when the file does not exist yet, a
random one is written there (0600) on first start.

A store pickled with nio's default key by an earlier version is re-pickled with
the admin's key once, in a copy put in place atomically: the device, its
sessions and the room keys it received are all kept. A key that does not open
the store stops the bot with a line saying so, never a traceback, and the store
is left as it was.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import shutil
import sqlite3
from enum import Enum
from pathlib import Path

from bot.core.config import ConfigError, MatrixConfig

log = logging.getLogger(__name__)

# What nio pickles with when no key is given (AsyncClientConfig.pickle_key).
NIO_DEFAULT_KEY = "DEFAULT_KEY"
MIN_KEY_LENGTH = 16


class CryptoStoreError(Exception):
    """The crypto store cannot be opened with the pickle key given; nothing was changed."""


class StoreKey(Enum):
    """What the pickle key makes of a device's crypto store."""

    NEW = "no store yet for this device"
    OPENS = "the store opens with this key"
    NIO_DEFAULT = "the store is pickled with nio's default key"
    WRONG = "the store does not open with this key"


def store_database(matrix: MatrixConfig, device_id: str) -> Path:
    """nio's SQLite crypto store of one device of the account."""
    return matrix.store_path / f"{matrix.user_id}_{device_id}.db"


def read_pickle_key(matrix: MatrixConfig) -> str | None:
    """The admin's pickle key, or None when its file does not exist yet.

    Raises ConfigError when the named environment variable is unset, or the key
    is too short to be a secret (the error never shows the key).
    """
    if matrix.pickle_key_env:
        key = os.environ.get(matrix.pickle_key_env, "")
        if not key:
            raise ConfigError([f"matrix.pickle_key_env: {matrix.pickle_key_env} is not set"])
        where = f"environment variable {matrix.pickle_key_env}"
    else:
        if matrix.pickle_key_file is None or not matrix.pickle_key_file.exists():
            return None
        key = matrix.resolve_pickle_key() or ""
        where = str(matrix.pickle_key_file)
    if len(key) < MIN_KEY_LENGTH:
        raise ConfigError([f"{where}: the pickle key is shorter than {MIN_KEY_LENGTH} characters"])
    return key


def store_key_state(database: Path, key: str) -> StoreKey:
    """Whether ``key`` opens a device's crypto store (read-only, safe beside a running bot)."""
    if not database.exists():
        return StoreKey.NEW
    try:
        reader = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
        try:
            row = reader.execute("SELECT account FROM accounts LIMIT 1").fetchone()
        finally:
            reader.close()
    except sqlite3.Error:
        return StoreKey.NEW if database.stat().st_size == 0 else StoreKey.WRONG
    if row is None:
        return StoreKey.NEW  # created, but the device never got its Olm account
    if _opens(row[0], key):
        return StoreKey.OPENS
    if _opens(row[0], NIO_DEFAULT_KEY):
        return StoreKey.NIO_DEFAULT
    return StoreKey.WRONG


def _opens(pickle: bytes, key: str) -> bool:
    from nio.crypto.sessions import OlmAccount

    try:
        OlmAccount.from_pickle(bytes(pickle), key)
    except Exception:  # vodozemac raises its own errors, not all of a common kind
        return False
    return True


def pickle_key_for(matrix: MatrixConfig, device_id: str | None) -> str:
    """The key to open the crypto store with, made ready for the device about to be used.

    Writes a new random key when none exists yet (0600, logged where, never the
    key); re-pickles a store still under nio's default key. Raises
    CryptoStoreError when the store does not open with the key, ConfigError when
    the key is unusable.
    """
    key = read_pickle_key(matrix)
    generated = key is None
    if generated:
        key = secrets.token_urlsafe(32)
    state = store_key_state(store_database(matrix, device_id), key) if device_id else StoreKey.NEW
    if state is StoreKey.WRONG:
        source = (
            f"environment variable {matrix.pickle_key_env}"
            if matrix.pickle_key_env
            else str(matrix.pickle_key_file)
        )
        raise CryptoStoreError(
            f"the crypto store of device {device_id} does not open with the pickle key "
            f"({'a new key: ' + source + ' did not exist' if generated else source}); "
            "give the key it was made with, or delete "
            f"{matrix.store_path} to start a new device"
        )
    if generated:
        _write_new_key(matrix, key)
    if state is StoreKey.NIO_DEFAULT:
        assert device_id is not None
        repickle(matrix, device_id, NIO_DEFAULT_KEY, key)
    return key


def _write_new_key(matrix: MatrixConfig, key: str) -> None:
    path = matrix.pickle_key_file
    assert path is not None
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(key + "\n")
    except OSError as error:
        raise ConfigError(
            [
                f"matrix.pickle_key_file: cannot write a new pickle key to {path} "
                f"({error.strerror}); give one in a file (pickle_key_file) or the "
                "environment (pickle_key_env)"
            ]
        ) from None
    log.warning(
        "crypto store: new pickle key written to %s (0600); keep it with the password, "
        "the store cannot be opened without it",
        path,
    )


def repickle(matrix: MatrixConfig, device_id: str, old_key: str, new_key: str) -> None:
    """Re-encrypt a device's crypto store from ``old_key`` to ``new_key``, all or nothing.

    The work is done in a copy that replaces the store only once complete: a
    crash midway leaves the store as it was, pickled with the old key.
    """
    from nio.store import DefaultStore

    database = store_database(matrix, device_id)
    copy = database.with_name(database.name + ".repickle")
    shutil.copy2(database, copy)
    try:
        store = DefaultStore(matrix.user_id, device_id, str(matrix.store_path), old_key, copy.name)
        account = store.load_account()
        olm_sessions = store.load_sessions()
        group_sessions = store.load_inbound_group_sessions()
        store.pickle_key = new_key
        store.save_account(account)
        counts = [0, 0]
        for sender_key, sessions in olm_sessions.items():
            for session in sessions:
                store.save_session(sender_key, session)
                counts[0] += 1
        for session in group_sessions:
            store.save_inbound_group_session(session)
            counts[1] += 1
        store.database.close()
        os.replace(copy, database)
    finally:
        with contextlib.suppress(FileNotFoundError):
            copy.unlink()
    log.warning(
        "crypto store of device %s re-encrypted with the configured pickle key "
        "(it used nio's default key): %d Olm session(s), %d room key(s) kept",
        device_id,
        *counts,
    )


def device_signing_key(matrix: MatrixConfig, device_id: str, key: str) -> str | None:
    """The device's ed25519 key, read from its store without changing it; None if unknown."""
    database = store_database(matrix, device_id)
    if store_key_state(database, key) is not StoreKey.OPENS:
        return None
    from nio.crypto.sessions import OlmAccount

    reader = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        (pickle,) = reader.execute("SELECT account FROM accounts LIMIT 1").fetchone()
    finally:
        reader.close()
    return OlmAccount.from_pickle(bytes(pickle), key).identity_keys["ed25519"]
