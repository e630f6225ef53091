"""Operations without a homeserver: the instance lock, the database probe, archives."""

from __future__ import annotations

import io
import json
import os
import stat
import tarfile
from datetime import UTC, datetime

import pytest

from bot.matrix.devices import load_retired, retire_path
from bot.matrix.session import Credentials, save_credentials
from bot.ops import exitcodes
from bot.ops.archive import ArchiveError, restore_backup, write_backup
from bot.ops.health import check_database
from bot.ops.instance import InstanceLocked, exclusive, holder
from storage import inbox
from storage.db import known_version, migrate, open_database

NOW = datetime(2026, 11, 24, 9, tzinfo=UTC)


def test_a_second_holder_is_refused_and_told_who_holds_the_lock(tmp_path):
    database = tmp_path / "data" / "rupn.db"
    assert holder(database) is None
    with exclusive(database) as lock:
        assert stat.S_IMODE(os.stat(lock).st_mode) == 0o600
        assert holder(database) == os.getpid()
        with pytest.raises(InstanceLocked) as refused, exclusive(database):
            pass
        assert refused.value.pid == os.getpid()
        assert str(lock) in str(refused.value)
    assert holder(database) is None
    with exclusive(database):  # free again once released
        pass


def test_the_database_is_created_readable_by_its_owner_only(tmp_path):
    db = open_database(tmp_path / "rupn.db")
    migrate(db)
    db.close()
    assert stat.S_IMODE(os.stat(tmp_path / "rupn.db").st_mode) == 0o600


def test_the_probe_creates_nothing_and_names_pending_migrations(config, tmp_path):
    lines = []
    assert check_database(config, lines.append) == exitcodes.OK
    assert "not created yet" in lines[0]
    assert not config.bot.database.parent.exists()

    db = open_database(config.bot.database)
    migrate(db, migrations=[])  # an installation made before any migration existed
    db.close()
    lines.clear()
    assert check_database(config, lines.append) == exitcodes.OK
    assert "schema 0; " in lines[0] and "0001_core.sql" in lines[0]


def test_a_database_newer_than_this_version_is_a_data_problem(config):
    db = open_database(config.bot.database)
    migrate(db)
    db.execute("INSERT INTO schema_migrations (number, name) VALUES (9999, '9999_future.sql')")
    db.close()
    lines = []
    assert check_database(config, lines.append) == exitcodes.DATA
    assert "newer than this rupn-bot knows" in lines[0]


def test_backup_then_restore_forgets_the_sync_token_and_the_device(config, tmp_path):
    db = open_database(config.bot.database)
    migrate(db)
    inbox.set_state(db, inbox.SYNC_TOKEN, "s123")
    before = Credentials(config.matrix.homeserver, config.matrix.user_id, "OLD", "token-old")
    save_credentials(config.matrix.store_path / "credentials.json", before)
    archive = tmp_path / "backup.tar.gz"
    manifest = write_backup(config, archive, NOW)
    assert manifest.schema_version == known_version() and manifest.device_id == "OLD"
    db.close()

    # The device used since the backup, and its crypto store.
    after = Credentials(config.matrix.homeserver, config.matrix.user_id, "NEWER", "token-newer")
    save_credentials(config.matrix.store_path / "credentials.json", after)
    crypto = config.matrix.store_path / "@bot:localhost_NEWER.db"
    crypto.write_bytes(b"olm")
    done = restore_backup(config, archive)

    assert set(done.retired) == {"OLD", "NEWER"}
    assert {d.device_id for d in load_retired(retire_path(config.matrix.store_path))} == {
        "OLD",
        "NEWER",
    }
    assert not crypto.exists()
    assert not (config.matrix.store_path / "credentials.json").exists()
    db = open_database(config.bot.database)
    assert inbox.get_state(db, inbox.SYNC_TOKEN) is None
    assert "establishments" in db.table_names()


def test_restore_refuses_what_it_cannot_trust(config, tmp_path):
    config.bot.database.parent.mkdir(parents=True)
    garbage = tmp_path / "garbage.tar.gz"
    garbage.write_bytes(b"not an archive")
    with pytest.raises(ArchiveError, match="not a rupn-bot backup"):
        restore_backup(config, garbage)

    future = tmp_path / "future.tar.gz"
    with tarfile.open(future, "w:gz") as tar:
        data = json.dumps({"format": 99, "created_at": "", "schema_version": 1}).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    with pytest.raises(ArchiveError, match="newer than this rupn-bot reads"):
        restore_backup(config, future)
    assert not config.bot.database.exists()

    with exclusive(config.bot.database), pytest.raises(InstanceLocked):
        restore_backup(config, future)
