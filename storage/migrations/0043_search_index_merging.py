"""The search indexes merge a little at every change, and are written in one piece once.

FTS5 adds every change to an index as a new segment and merges segments by
itself, in bursts: every 64 changes it merges up to 64 pages per level of the
index at once, 10 to 25 ms inside whichever command wrote (« !fiche modifier »,
« !veille <lien> »), up to 200 ms when a half-done merge of large segments is
finished. Its own merging is turned off here; instead each change of an indexed
row merges at most ``PAGES_PER_CHANGE`` pages (a fraction of a millisecond),
more than the few pages a change costs over its life, one merge per level.

An index rebuilt in bulk (migrations 0012, 0015) is left in several large
segments with a merge half done, and a search looks each word up in every
segment: 'optimize' writes each index in one piece (an establishment's rows are
matched 2 to 8 times faster on the seeded académie; same results, same order).
"""

from __future__ import annotations

import sqlite3

# Each table with a search index (``<table>_fts``), and the columns the index holds.
INDEXED = {
    "veille_items": ("title", "comment", "tags", "establishment_id"),
    "answer_sheets": ("name", "body", "establishment_id"),
    "class_projects": ("class_name", "discipline", "text", "tags", "establishment_id"),
}
PAGES_PER_CHANGE = 16


def apply(conn: sqlite3.Connection) -> None:
    for table, columns in INDEXED.items():
        index = f"{table}_fts"
        conn.execute(f"INSERT INTO {index} ({index}, rank) VALUES ('automerge', 0)")
        merge = f"INSERT INTO {index} ({index}, rank) VALUES ('merge', {PAGES_PER_CHANGE});"
        changes = {"ai": "INSERT", "ad": "DELETE", "au": f"UPDATE OF {', '.join(columns)}"}
        for suffix, change in changes.items():
            conn.execute(
                f"CREATE TRIGGER {table}_merge_{suffix} AFTER {change} ON {table} BEGIN {merge} END"
            )
        conn.execute(f"INSERT INTO {index} ({index}) VALUES ('optimize')")
