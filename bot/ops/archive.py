"""``rupn-bot backup`` and ``restore``: one archive holding what a restore needs.

The archive (tar.gz, 0600) holds a consistent copy of the database taken with
SQLite's online backup API while the bot runs, the credentials of the device in
use at that time (so that a restore can log that device out) and a manifest.

It never holds the crypto store: an older Olm account and older Megolm ratchets
brought back make the bot's messages look like replays to every client. A
restore therefore starts a new device: it removes the crypto store and the
stored credentials, records the devices used before in
``retire-devices.json`` (bot/devices.py) for the next start to log out, and
clears the sync token of the restored database so that commands typed between
the backup and the restore are not answered days later.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sqlite3
import tarfile
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.core.config import Config
from bot.matrix.devices import record_retired, retire_path
from bot.matrix.session import Credentials, credentials_path, load_credentials
from bot.ops.instance import exclusive
from storage import inbox
from storage.db import backup, known_version, open_database, open_read_only, schema_version

FORMAT = 1
MANIFEST = "manifest.json"
DATABASE = "rupn.db"
CREDENTIALS = "credentials.json"


class ArchiveError(Exception):
    """The backup cannot be made, or the archive cannot be restored; nothing was changed."""


@dataclass(frozen=True)
class Manifest:
    """What an archive says about itself."""

    format: int
    created_at: str
    schema_version: int
    user_id: str | None = None
    device_id: str | None = None


@dataclass(frozen=True)
class Restored:
    """What a restore did, for the admin's summary."""

    manifest: Manifest
    retired: tuple[str, ...]  # device ids the next start logs out
    removed_store_files: int


def write_backup(config: Config, target: Path, now: datetime) -> Manifest:
    """Write the archive to ``target`` (0600; under a temporary name until complete)."""
    database = config.bot.database
    if not database.exists():
        raise ArchiveError(f"no database at {database}: nothing to back up")
    credentials = _read_credentials(credentials_path(config.matrix))
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".rupn-backup-") as work:
        copy = Path(work) / DATABASE
        try:
            backup(database, copy)
            db = open_read_only(copy)
            try:
                version = schema_version(db)
            finally:
                db.close()
        except sqlite3.Error as error:
            raise ArchiveError(f"{database}: cannot be copied ({error})") from None
        manifest = Manifest(
            FORMAT,
            now.isoformat(timespec="seconds"),
            version,
            credentials.user_id if credentials else None,
            credentials.device_id if credentials else None,
        )
        fd, partial = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                with tarfile.open(fileobj=out, mode="w:gz") as tar:
                    _add(tar, MANIFEST, json.dumps(manifest.__dict__, indent=1).encode())
                    if credentials:
                        _add(tar, CREDENTIALS, json.dumps(credentials.__dict__).encode())
                    _add(tar, DATABASE, copy.read_bytes())
                out.flush()
                os.fsync(out.fileno())
            os.chmod(partial, 0o600)
            os.replace(partial, target)
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise
    return manifest


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), 0o600, int(time.time())
    tar.addfile(info, io.BytesIO(data))


def _read_credentials(path: Path) -> Credentials | None:
    try:
        return load_credentials(path)
    except (OSError, ValueError, TypeError) as error:
        raise ArchiveError(f"{path}: cannot be read ({error})") from None


def restore_backup(config: Config, source: Path) -> Restored:
    """Put the archive's database back and arrange a new device at the next start.

    Raises InstanceLocked while a bot runs on this data (the lock is held for
    the whole restore, so none starts meanwhile) and ArchiveError when the
    archive is not usable; in both cases nothing was changed.
    """
    database = config.bot.database
    with exclusive(database), _open_archive(source) as tar:
        manifest = _manifest(tar)
        archived = _member_credentials(tar)
        staged = database.with_name(database.name + ".restoring")
        _stage_database(tar, staged)
        try:
            store = config.matrix.store_path
            current = _read_credentials(credentials_path(config.matrix))
            recorded = record_retired(retire_path(store), [current, archived])
            removed = _remove_device(config)
            # An old -wal beside the restored file would be replayed into it.
            _remove_sidecars(database)
            os.replace(staged, database)
            _sync_directory(database.parent)
        finally:
            staged.unlink(missing_ok=True)
    return Restored(manifest, tuple(d.device_id for d in recorded), removed)


@contextlib.contextmanager
def _open_archive(source: Path):
    try:
        tar = tarfile.open(source, "r:gz")  # noqa: SIM115 (closed below, errors told apart)
    except (OSError, tarfile.TarError) as error:
        raise ArchiveError(f"{source}: not a rupn-bot backup ({error})") from None
    with tar:
        yield tar


def _member(tar: tarfile.TarFile, name: str) -> bytes | None:
    # Members are read into memory by name, never extracted: an archive cannot
    # write anywhere else than where the restore puts its database.
    try:
        info = tar.getmember(name)
    except KeyError:
        return None
    if not info.isfile():
        raise ArchiveError(f"{name} in the archive is not a file")
    return tar.extractfile(info).read()


def _manifest(tar: tarfile.TarFile) -> Manifest:
    data = _member(tar, MANIFEST)
    if data is None:
        raise ArchiveError(f"{tar.name}: not a rupn-bot backup (no {MANIFEST})")
    try:
        manifest = Manifest(**json.loads(data))
    except (ValueError, TypeError) as error:
        raise ArchiveError(f"{tar.name}: unreadable {MANIFEST} ({error})") from None
    if manifest.format > FORMAT:
        raise ArchiveError(
            f"{tar.name}: archive format {manifest.format} is newer than this rupn-bot reads"
        )
    return manifest


def _member_credentials(tar: tarfile.TarFile) -> Credentials | None:
    data = _member(tar, CREDENTIALS)
    if data is None:
        return None
    try:
        return Credentials(**json.loads(data))
    except (ValueError, TypeError) as error:
        raise ArchiveError(f"{tar.name}: unreadable {CREDENTIALS} ({error})") from None


def _stage_database(tar: tarfile.TarFile, staged: Path) -> None:
    """Write the archived database beside the live one and make it ready to take its place."""
    data = _member(tar, DATABASE)
    if data is None:
        raise ArchiveError(f"{tar.name}: no database in the archive")
    staged.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    staged.unlink(missing_ok=True)
    _remove_sidecars(staged)
    fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    try:
        db = open_database(staged)
        try:
            if db.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise ArchiveError(f"{tar.name}: the database in the archive is damaged")
            version = schema_version(db)
            if version > known_version():
                raise ArchiveError(
                    f"{tar.name}: its database has schema {version}, newer than this rupn-bot "
                    f"knows ({known_version()}): restore with the version that made it"
                )
            # Commands typed after the backup must not be answered days later, when
            # slot numbers may have shifted: the next start syncs from "now".
            if "bot_state" in db.table_names():
                inbox.clear_state(db, inbox.SYNC_TOKEN)
        finally:
            db.close()  # the last connection folds the WAL back into the file
    except sqlite3.Error as error:
        staged.unlink(missing_ok=True)
        raise ArchiveError(f"{tar.name}: its database is unusable ({error})") from None
    except ArchiveError:
        staged.unlink(missing_ok=True)
        raise
    with open(staged, "rb") as f:
        os.fsync(f.fileno())


def _remove_sidecars(database: Path) -> None:
    """Remove SQLite's journal files of a database (not the database itself)."""
    for suffix in ("-wal", "-shm", "-journal"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)


def _remove_device(config: Config) -> int:
    """Remove the stored credentials and nio's crypto store; returns the files removed."""
    store = config.matrix.store_path
    if not store.is_dir():
        return 0
    # nio names its store "<user id>_<device id>.db"; only those and the
    # credentials are removed, whatever else an admin keeps in that folder.
    credentials = credentials_path(config.matrix)
    doomed = [credentials, credentials.with_suffix(".tmp")]
    doomed += [p for p in store.glob("@*_*.db*") if p.is_file()]
    removed = 0
    for path in doomed:
        if path.exists():
            path.unlink()
            removed += 1
    _sync_directory(store)
    return removed


def _sync_directory(path: Path) -> None:
    # The renames and removals above survive a power cut only once their folder is synced.
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
