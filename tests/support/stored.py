"""Everything a database holds, as text: what the forgetting tests search for a person.

Works on a plain ``sqlite3`` connection, so the unit tests (``db.conn``) and the
end-to-end tests (the bot's file, opened beside it) read the same way.
"""

from __future__ import annotations

import sqlite3


def stored_values(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(table.column, value as text) of every value of every table."""
    found = []
    tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    for table in tables:
        for column in [row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')]:
            for (value,) in conn.execute(f'SELECT "{column}" FROM "{table}"'):
                if isinstance(value, bytes):
                    value = value.decode(errors="replace")
                found.append((f"{table}.{column}", str(value)))
    return found


def indexed_words(conn: sqlite3.Connection) -> set[str]:
    """Every word held by the full-text indexes (their own terms, not their content tables)."""
    words = set()
    indexes = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%USING FTS5%'"
    ).fetchall()
    for (name,) in indexes:
        conn.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{name}_words"
            f" USING fts5vocab(main, {name}, row)"
        )
        words |= {row[0] for row in conn.execute(f"SELECT term FROM temp.{name}_words")}
    return words
