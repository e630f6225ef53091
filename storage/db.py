"""Open the SQLite file and apply numbered migrations.

A migration is ``storage/migrations/NNNN_name.sql`` (statements) or, when rows
must be rewritten by Python, ``NNNN_name.py`` with an ``apply(conn)`` function.
Either runs in one transaction with its row in ``schema_migrations``.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import re
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import sqlite_utils

from storage.stamps import to_stamp

log = logging.getLogger(__name__)

MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.(sql|py)$")


class MigrationError(Exception):
    """A migration failed; the database was left as it was before it."""


# Statements kept prepared by the connection. Every family brings its own (about
# 1,100 texts in all, a report's counts being long ones): with Python's default of
# 128, a command typed after others found its statements gone and parsed and planned
# them again: 40 % of the time of !mes-donnees at 430 establishments, 15 % of
# !bilan's. They cost a few MB of memory.
PREPARED_STATEMENTS_KEPT = 1024


class Database(sqlite_utils.Database):
    """sqlite_utils' database, its nested transactions under one savepoint name.

    sqlite_utils gives each nested ``atomic()`` a random savepoint name: two
    statements never seen before each time, which pushed the statements in use
    out of the connection's cache (``PREPARED_STATEMENTS_KEPT``). SQLite releases
    or rolls back to the most recent savepoint of a name, so one name serves every
    depth with the same meaning.
    """

    @contextlib.contextmanager
    def atomic(self) -> Iterator[Database]:
        """A transaction, or a savepoint inside the one already open."""
        if not self.conn.in_transaction:
            with super().atomic():
                yield self
            return
        self.conn.execute("SAVEPOINT rupn_nested")
        try:
            yield self
        except BaseException:
            # A RAISE(ROLLBACK) may have ended the whole transaction already.
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK TO SAVEPOINT rupn_nested")
                self.conn.execute("RELEASE SAVEPOINT rupn_nested")
            raise
        else:
            self.conn.execute("RELEASE SAVEPOINT rupn_nested")


def open_database(path: str | Path) -> sqlite_utils.Database:
    """Open (creating if needed) the bot's SQLite file, tuned for a long-running bot.

    WAL lets readers (a backup, `make bench`) run beside the bot; the busy
    timeout absorbs short lock contention instead of failing a command.
    """
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        # Created readable by the bot's user only: it holds what people typed. SQLite
        # gives its -wal and -shm files the mode of the database file.
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    conn = sqlite3.connect(
        str(path),
        isolation_level=None,
        check_same_thread=False,
        cached_statements=PREPARED_STATEMENTS_KEPT,
    )
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 5000")
    return Database(conn)


def open_read_only(path: str | Path) -> sqlite_utils.Database:
    """Open an existing database for reading only: nothing is created, migrated or written.

    For health checks beside a running bot. Raises sqlite3.Error if the file is
    missing or is not a database.
    """
    uri = Path(path).resolve().as_uri() + "?mode=ro"
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout = 5000")
    return Database(conn)


@contextlib.contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """A transaction that takes the write lock at once (``BEGIN IMMEDIATE``).

    For read-then-write decisions such as "is there a seat left?": a plain BEGIN
    would let two connections both read "one seat" before either writes. Inside
    an open transaction it is a savepoint of that transaction.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.conn.execute("ROLLBACK")
        raise
    db.conn.execute("COMMIT")


class BackgroundCheckpoints:
    """WAL checkpoints taken by a thread of their own, off the bot's event loop.

    SQLite's automatic checkpoint runs inside the commit that crosses 1,000 WAL
    pages: that one command copies about 4 MB back into the database file and
    fsyncs it (8 to 70 ms measured by ``make bench``), and meanwhile the event
    loop answers nobody. Here a thread with its own connection checkpoints every
    ``interval`` seconds in PASSIVE mode, which never blocks the bot's writes; the
    automatic checkpoint stays, much larger, as a backstop should the thread stall.
    """

    def __init__(self, db: sqlite_utils.Database, interval: float = 1.0, backstop_pages=20_000):
        self.path = db.execute("PRAGMA database_list").fetchone()[2]
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if self.path:  # not for an in-memory database
            db.execute(f"PRAGMA wal_autocheckpoint = {int(backstop_pages)}")

    def start(self) -> BackgroundCheckpoints:
        if self.path and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="wal-checkpoints", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the thread (closing the last connection checkpoints what is left)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)

    def _run(self) -> None:
        conn = sqlite3.connect(self.path, isolation_level=None)
        conn.execute("PRAGMA busy_timeout = 5000")
        try:
            while not self._stop.wait(self.interval):
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error as error:
                    log.warning("background checkpoint failed: %s", error)
        finally:
            conn.close()


def available_migrations() -> list[tuple[int, str, str]]:
    """The packaged migrations as (number, name, source), in order."""
    found = []
    for entry in resources.files("storage.migrations").iterdir():
        match = MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    numbers = [n for n, _, _ in found]
    if len(numbers) != len(set(numbers)):
        raise MigrationError(f"two migrations share a number: {numbers}")
    return found


def schema_version(db: sqlite_utils.Database) -> int:
    """The number of the last migration applied (0 on a new file)."""
    if "schema_migrations" not in db.table_names():
        return 0
    row = db.execute("SELECT max(number) FROM schema_migrations").fetchone()
    return row[0] or 0


def pending_migrations(db: sqlite_utils.Database) -> list[str]:
    """Names of the packaged migrations the database has not had yet (read only)."""
    current = schema_version(db)
    return [name for number, name, _ in available_migrations() if number > current]


def known_version() -> int:
    """The newest schema version this version of the bot knows."""
    return max((number for number, _, _ in available_migrations()), default=0)


def migrate(db: sqlite_utils.Database, migrations=None) -> list[str]:
    """Apply pending migrations, each in its own transaction; return their names.

    A failing migration is rolled back whole and raises MigrationError, so the
    file stays at the last good version and the bot refuses to start on it.
    """
    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " number INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL"
        # The form of storage/stamps.py (SQLite's own clock has milliseconds).
        " DEFAULT (strftime('%Y-%m-%dT%H:%M:%S', 'now') || substr(strftime('%f', 'now'), 3)"
        " || '000Z'))"
    )
    current = schema_version(db)
    applied = []
    for number, name, source in migrations if migrations is not None else available_migrations():
        if number <= current:
            continue
        try:
            _apply(db.conn, number, name, source)
        except Exception as exc:
            raise MigrationError(f"migration {name} failed: {exc}") from exc
        log.info("migration %s applied", name)
        applied.append(name)
    return applied


def _apply(conn: sqlite3.Connection, number: int, name: str, source: str) -> None:
    # executescript() would COMMIT first; statements are run one by one instead
    # so the migration and its ledger row share one transaction.
    conn.execute("BEGIN IMMEDIATE")
    try:
        if name.endswith(".py"):
            module = importlib.import_module(f"storage.migrations.{name.removesuffix('.py')}")
            module.apply(conn)
        else:
            for statement in _split_statements(source):
                conn.execute(statement)
        conn.execute(
            "INSERT INTO schema_migrations (number, name, applied_at) VALUES (?, ?, ?)",
            (number, name, to_stamp(datetime.now(UTC))),
        )
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _split_statements(sql: str) -> list[str]:
    statements, current = [], ""
    for line in sql.splitlines(keepends=True):
        if line.strip().startswith("--"):
            continue
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    if current.strip():
        statements.append(current.strip())
    return statements


def backup(source: str | Path, target: str | Path) -> int:
    """Copy a live database consistently with SQLite's online backup API; returns its pages.

    Readers and the running bot keep working meanwhile (WAL); the copy is checked
    before it is given its final name, so a half-written backup never looks valid.
    """
    target = Path(target)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    src = open_read_only(source).conn
    dst = sqlite3.connect(partial)
    try:
        src.backup(dst, pages=256)
        if dst.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise sqlite3.DatabaseError("the copy failed its integrity check")
        pages = dst.execute("PRAGMA page_count").fetchone()[0]
    finally:
        src.close()
        dst.close()
    partial.replace(target)
    return pages
