import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from storage import MigrationError, migrate, open_database
from storage.db import available_migrations, schema_version
from storage.inbox import InboxItem, accept_batch, get_state, mark_handled, pending, prune_handled

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def test_database_is_tuned_for_a_long_running_bot(tmp_path):
    db = open_database(tmp_path / "x.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] == 5000


def test_migrations_apply_once(tmp_path):
    db = open_database(tmp_path / "x.db")
    assert migrate(db) == [name for _, name, _ in available_migrations()]
    assert migrate(db) == []
    assert schema_version(db) == available_migrations()[-1][0]


def test_failed_migration_leaves_the_database_untouched(tmp_path):
    db = open_database(tmp_path / "x.db")
    migrate(db)
    version, tables = schema_version(db), set(db.table_names())
    broken = [
        (9998, "9998_ok.sql", "CREATE TABLE half (id INTEGER);"),
        (9999, "9999_broken.sql", "CREATE TABLE other (id INTEGER);\nSELECT * FROM nowhere;"),
    ]
    with pytest.raises(MigrationError, match=r"9999_broken\.sql"):
        migrate(db, available_migrations() + broken)
    assert "other" not in db.table_names()
    assert set(db.table_names()) == tables | {"half"}  # the good one before it stays
    assert schema_version(db) == 9998 and version < 9998


def item(n: int) -> InboxItem:
    return InboxItem(f"$e{n}", "!room", "@prof:localhost", f"!aide {n}", n)


def test_inbox_takes_each_event_once_and_moves_the_token_with_it(tmp_path):
    db = open_database(tmp_path / "x.db")
    migrate(db)
    assert accept_batch(db, [item(1), item(2)], "t1", NOW) == [item(1), item(2)]
    assert get_state(db, "sync_token") == "t1"
    # The same events again (a replayed sync, a back-fill overlap) are not queued twice.
    assert accept_batch(db, [item(2), item(3)], "t2", NOW) == [item(3)]
    mark_handled(db, item(1), NOW)
    assert accept_batch(db, [item(1)], "t3", NOW) == []
    assert [i.event_id for i in pending(db)] == ["$e2", "$e3"]


def test_inbox_and_token_are_one_transaction(tmp_path):
    db = open_database(tmp_path / "x.db")
    migrate(db)
    with pytest.raises(sqlite3.Error):
        accept_batch(db, [item(1), InboxItem("$bad", "!room", "@p:l", None, 2)], "t1", NOW)
    assert pending(db) == [] and get_state(db, "sync_token") is None


def test_old_handled_events_are_pruned(tmp_path):
    db = open_database(tmp_path / "x.db")
    migrate(db)
    accept_batch(db, [item(1)], "t1", NOW)
    mark_handled(db, item(1), NOW - timedelta(days=40))
    assert prune_handled(db, NOW, timedelta(days=30)) == 1


def test_backup_is_a_consistent_copy_while_the_database_is_written(tmp_path):
    from storage.db import backup

    db = open_database(tmp_path / "live.db")
    migrate(db)
    accept_batch(db, [item(n) for n in range(1, 200)], "t1", NOW)
    db.execute("BEGIN IMMEDIATE")  # a write in progress that the copy must not see
    db.execute("DELETE FROM inbox")
    backup(tmp_path / "live.db", tmp_path / "copy.db")
    db.execute("ROLLBACK")
    copy = open_database(tmp_path / "copy.db")
    assert len(pending(copy)) == 199
    assert get_state(copy, "sync_token") == "t1"
    assert not (tmp_path / "copy.db.partial").exists()


def test_a_nested_transaction_undoes_only_its_own_writes(tmp_path):
    db = open_database(tmp_path / "rupn.db")
    db.execute("CREATE TABLE notes (text TEXT)")
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    with db.atomic():
        db.execute("INSERT INTO notes VALUES ('gardée')")
        for attempt in range(3):
            with pytest.raises(ValueError), db.atomic():
                db.execute("INSERT INTO notes VALUES (?)", (f"annulée {attempt}",))
                with db.atomic():
                    db.execute("INSERT INTO notes VALUES ('annulée aussi')")
                raise ValueError("refusée")
        with db.atomic():
            db.execute("INSERT INTO notes VALUES ('gardée aussi')")
    assert [row[0] for row in db.execute("SELECT text FROM notes")] == ["gardée", "gardée aussi"]
    # The same few statements at every depth and every time: the statement cache keeps them.
    savepoints = {s for s in statements if "SAVEPOINT" in s}
    assert len(savepoints) == 3
