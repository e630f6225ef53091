"""Short numbers: one allocator for every numbered family (storage/numbers.py)."""

from __future__ import annotations

import threading
from datetime import datetime

import pytest

from storage import migrate, open_database
from storage.db import available_migrations
from storage.numbers import NUMBERED, next_number, next_numbers
from storage.objectifs import add_objective
from storage.panne import report_incident
from tests.conftest import PARIS, TEACHER

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=PARIS)


def other_establishment(db, eid="lyc-autre"):
    db.execute(
        "INSERT INTO establishments (id, name, room, zone, timezone)"
        " VALUES (?, 'Lycée Autre', '!x:localhost', 'A', 'Europe/Paris')",
        (eid,),
    )


def report(db, eid="clg-test") -> int:
    return report_incident(db, eid, "VPI HS", "videoprojecteur", TEACHER, NOW).number


def test_numbers_count_from_one_in_each_establishment_and_school_year(db):
    other_establishment(db)
    establishments = ("clg-test", "lyc-autre", "clg-test")
    assert [next_number(db, "surveys", eid) for eid in establishments] == [1, 1, 2]
    numbers = [
        add_objective(db, "clg-test", year, "Objectif", None, TEACHER, NOW).number
        for year in (2026, 2026, 2027, 2026)
    ]
    assert numbers == [1, 2, 1, 3]


def test_several_numbers_are_taken_at_once_in_a_row(db):
    assert next_number(db, "permanence_slots", "clg-test") == 1
    assert next_numbers(db, "permanence_slots", "clg-test", 3) == range(2, 5)
    assert next_numbers(db, "permanence_slots", "clg-test", 0) == range(0)
    assert next_number(db, "permanence_slots", "clg-test") == 5
    assert next_numbers(db, "incidents", "clg-test", 0) == range(0)
    counters = "SELECT family FROM number_counters WHERE establishment_id = 'clg-test'"
    assert [family for (family,) in db.execute(counters)] == ["permanence_slots"]


def test_a_number_is_never_given_twice_even_after_its_row_is_gone(db):
    assert [report(db) for _ in range(3)] == [1, 2, 3]
    db.execute("DELETE FROM incidents WHERE number = 3")
    assert report(db) == 4


def test_rows_written_without_the_allocator_are_stepped_over(db):
    db.execute(
        "INSERT INTO incidents (establishment_id, number, description, category, reporter,"
        " reported_at) VALUES ('clg-test', 7, 'x', 'autre', ?, '2026-11-20T08:00:00.000000Z')",
        (TEACHER,),
    )
    assert report(db) == 8


def test_a_rolled_back_insert_gives_its_number_back(db):
    assert report(db) == 1
    with pytest.raises(RuntimeError), db.atomic():
        assert next_number(db, "incidents", "clg-test") == 2
        raise RuntimeError
    assert report(db) == 2


def test_only_numbered_tables_and_their_scopes(db):
    with pytest.raises(ValueError, match="not a numbered table"):
        next_number(db, "members", "clg-test")
    with pytest.raises(ValueError, match="no scope"):
        next_number(db, "incidents", "clg-test", 2026)


def test_two_writers_never_share_a_number(db):
    path = db.execute("PRAGMA database_list").fetchone()[2]
    numbers, errors = [], []

    def writer():
        own = open_database(path)
        try:
            for _ in range(10):
                numbers.append(report(own))
        except Exception as error:  # pragma: no cover - shown by the assertion
            errors.append(error)
        finally:
            own.close()

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(numbers) == list(range(1, 41))


def test_the_migration_starts_each_counter_at_the_last_number_given(tmp_path):
    db = open_database(tmp_path / "old.db")
    migrate(db, [m for m in available_migrations() if m[0] <= 18])
    db.execute(
        "INSERT INTO establishments (id, name, room, zone, timezone)"
        " VALUES ('clg-test', 'Collège Test', '!abc:localhost', 'B', 'Europe/Paris')"
    )
    other_establishment(db)
    stamp = "2026-11-20T08:00:00.000000Z"
    for number in (1, 2, 5):
        db.execute(
            "INSERT INTO veille_items (establishment_id, number, normalized_url, title,"
            " title_found, author, posted_at) VALUES ('clg-test', ?, ?, 't', 1, ?, ?)",
            (number, f"https://example.org/{number}", TEACHER, stamp),
        )
    # Links 6 and 7 were removed: the watch's own counter is past the last link.
    db.execute("INSERT INTO veille_counters VALUES ('clg-test', 7)")
    for number in (1, 2):
        db.execute(
            "INSERT INTO incidents (establishment_id, number, description, category, reporter,"
            " reported_at) VALUES ('lyc-autre', ?, 'x', 'autre', ?, ?)",
            (number, TEACHER, stamp),
        )
    for year, number in ((2025, 4), (2026, 1)):
        db.execute(
            "INSERT INTO objectives (establishment_id, school_year, number, text, author,"
            " created_at) VALUES ('clg-test', ?, ?, 'x', ?, ?)",
            (year, number, TEACHER, stamp),
        )
    migrate(db)
    assert "veille_counters" not in db.table_names()
    assert next_number(db, "veille_items", "clg-test") == 8
    assert next_number(db, "incidents", "lyc-autre") == 3
    assert next_number(db, "incidents", "clg-test") == 1
    assert next_number(db, "objectives", "clg-test", 2025) == 5
    assert next_number(db, "objectives", "clg-test", 2026) == 2
    assert set(NUMBERED) >= {"veille_items", "incidents", "objectives"}
