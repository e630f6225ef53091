"""The crypto store's pickle key: where it comes from, and the one-time move off nio's default."""

from __future__ import annotations

import os
import stat
from dataclasses import replace
from pathlib import Path

import pytest
from nio.crypto.sessions import OlmAccount
from nio.store import DefaultStore

from bot.core.config import ConfigError, MatrixConfig, parse_config
from bot.matrix.cryptostore import (
    NIO_DEFAULT_KEY,
    CryptoStoreError,
    StoreKey,
    pickle_key_for,
    store_database,
    store_key_state,
)
from tests.conftest import MINIMAL_CONFIG

DEVICE = "OLDDEVICE"


def matrix_config(tmp_path: Path, **matrix) -> MatrixConfig:
    raw = {**MINIMAL_CONFIG, "matrix": {**MINIMAL_CONFIG["matrix"], **matrix}}
    return parse_config(raw, tmp_path).matrix


def old_store(matrix: MatrixConfig, key: str = NIO_DEFAULT_KEY) -> str:
    """A device's store as nio writes it; returns the account's identity key."""
    matrix.store_path.mkdir(parents=True, exist_ok=True)
    store = DefaultStore(matrix.user_id, DEVICE, str(matrix.store_path), key)
    account = OlmAccount()
    store.save_account(account)
    store.database.close()
    return account.identity_keys["ed25519"]


def test_by_default_the_key_is_a_file_beside_the_configuration(tmp_path):
    matrix = matrix_config(tmp_path)
    assert matrix.pickle_key_file == tmp_path / "pickle-key"
    key = pickle_key_for(matrix, None)
    assert matrix.pickle_key_file.read_text() == key + "\n"
    assert stat.S_IMODE(os.stat(matrix.pickle_key_file).st_mode) == 0o600
    assert pickle_key_for(matrix, None) == key  # kept, not written again


def test_a_store_of_nio_default_key_is_re_encrypted_once_and_keeps_its_account(tmp_path):
    matrix = matrix_config(tmp_path)
    identity = old_store(matrix)
    key = pickle_key_for(matrix, DEVICE)
    database = store_database(matrix, DEVICE)
    assert store_key_state(database, key) is StoreKey.OPENS
    assert store_key_state(database, NIO_DEFAULT_KEY) is StoreKey.WRONG
    store = DefaultStore(matrix.user_id, DEVICE, str(matrix.store_path), key)
    assert store.load_account().identity_keys["ed25519"] == identity
    assert not list(matrix.store_path.glob("*.repickle"))


def test_a_wrong_key_changes_nothing_and_says_so(tmp_path, monkeypatch):
    matrix = matrix_config(tmp_path, pickle_key_env="RUPN_TEST_PICKLE")
    old_store(matrix, key="the key the store was made with")
    database = store_database(matrix, DEVICE)
    before = database.read_bytes()
    monkeypatch.setenv("RUPN_TEST_PICKLE", "another key, long enough")
    with pytest.raises(CryptoStoreError, match="does not open with the pickle key"):
        pickle_key_for(matrix, DEVICE)
    assert database.read_bytes() == before
    assert not matrix.pickle_key_file.exists()  # the environment is the source: no file


def test_a_lost_key_file_is_not_replaced_by_a_new_one(tmp_path):
    matrix = matrix_config(tmp_path)
    old_store(matrix, key="the key the store was made with")
    with pytest.raises(CryptoStoreError, match="did not exist"):
        pickle_key_for(matrix, DEVICE)
    assert not matrix.pickle_key_file.exists()


def test_an_unset_variable_or_a_short_key_is_a_configuration_error(tmp_path, monkeypatch):
    matrix = matrix_config(tmp_path, pickle_key_env="RUPN_TEST_PICKLE")
    monkeypatch.delenv("RUPN_TEST_PICKLE", raising=False)
    with pytest.raises(ConfigError, match="RUPN_TEST_PICKLE is not set"):
        pickle_key_for(matrix, None)
    monkeypatch.setenv("RUPN_TEST_PICKLE", "short")
    with pytest.raises(ConfigError, match="shorter than 16") as error:
        pickle_key_for(matrix, None)
    assert "short" not in str(error.value).replace("shorter", "")


def test_an_unwritable_folder_asks_for_a_key_instead(tmp_path):
    matrix = replace(matrix_config(tmp_path), pickle_key_file=Path("/proc/rupn/pickle-key"))
    with pytest.raises(ConfigError, match="cannot write a new pickle key"):
        pickle_key_for(matrix, None)
