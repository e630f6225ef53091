"""One académie after a school year: the seeded database and the commands the benchmarks type.

Every benchmark works on the same data: ``ESTABLISHMENTS`` establishments of
one holiday zone, each with a school year of activity up to ``NOW`` (a school
Friday at 16:00, when the weekly newsletter goes out). The database is built
once by the seeders, in one transaction of ``executemany`` calls, and cached in
``bench/.cache/``; the cache key is made of the source of this package's modules,
of the storage modules whose forms they write (stamps, numbers), the migrations
and the number of establishments, so changing any of them builds a new file and
nothing has to be bumped by hand.

The académie itself (establishments, people, configuration) is in ``academy.py``,
the seeders' tools (``Seeding``, ``Probe``) in ``seeding.py``, and each command
family has a module of its own, ``bench/seed/<family>.py``, which plugs into three
registries below, keyed by the family's name:

1. ``SEEDERS["formation"] = formation.seed``: a function of a ``Seeding`` that
   inserts the family's rows for every establishment with
   ``seeding.insert(table, columns, rows)`` (and ``seeding.count_numbers(table)``
   for its short numbers). Aim for what a busy establishment holds in June:
   ``seeding.teachers[establishment_id]`` are its members, ``seeding.school_days``
   the days with classes from September to four weeks after ``NOW``,
   ``seeding.rng`` the only source of chance (the file must be the same at every
   build). Instants are written with ``storage.stamps.to_stamp``, as the bot
   writes them. Seeders run in the order of the dict.
2. ``COMMANDS["formation"] = formation.PROBES``: representative commands. A
   ``Probe`` is one or more lines typed in a row by one person of a role, e.g.
   ``Probe(("!formation +1 {need}",))``; the handling benchmark reports p50/p99
   per family over all its lines, and the burst types the teachers' probes
   whose ``burst`` is true.
3. ``VALUES["formation"] = formation.values``, only if lines hold
   ``{placeholders}``: ``(db, establishment_id, now, rng) -> dict`` picking live
   values (a need's number, a slot's number) just before a probe is typed.

A family whose module is absent (not merged yet) must not be listed: its probes
would all be answered "unknown command", and the table marks such a family KO.
"""

from __future__ import annotations

import hashlib
import inspect
import random
import shutil
from datetime import datetime, time
from pathlib import Path

import sqlite_utils

from bench.seed import (
    enquete,
    fiche,
    formation,
    lettre,
    membres,
    objectifs,
    panne,
    permanence,
    projet,
    veille,
)
from bench.seed.academy import (
    ESTABLISHMENTS,
    NOW,
    PARIS,
    SERVER,
    TEACHERS_PER_ESTABLISHMENT,
    YEAR_START,
    ZONE,
    academy_config,
    academy_raw_config,
    establishment_id,
    principal_of,
    referent_of,
    sender_for,
    to_toml,
)
from bench.seed.seeding import Probe, Seeder, Seeding, Values
from storage import migrate, numbers, open_database, stamps
from storage.db import available_migrations
from storage.establishments import sync_establishments

__all__ = [
    "CACHE_DIR",
    "COMMANDS",
    "ESTABLISHMENTS",
    "NOW",
    "PARIS",
    "SEEDERS",
    "SERVER",
    "TEACHERS_PER_ESTABLISHMENT",
    "VALUES",
    "YEAR_START",
    "ZONE",
    "Probe",
    "Seeding",
    "academy_config",
    "academy_raw_config",
    "build",
    "cache_key",
    "establishment_id",
    "fill",
    "fresh_copy",
    "principal_of",
    "referent_of",
    "seeded_database",
    "sender_for",
    "table_counts",
    "to_toml",
]

CACHE_DIR = Path(__file__).resolve().parent.parent / ".cache"

SEEDERS: dict[str, Seeder] = {
    "membres": membres.seed,  # first: the others book, vote and post as these people
    "permanence": permanence.seed,
    "formation": formation.seed,
    "veille": veille.seed,
    "fiche": fiche.seed,
    "panne": panne.seed,
    "enquete": enquete.seed,
    "objectifs": objectifs.seed,
    "projet": projet.seed,
    "lettre": lettre.seed,  # last: letters announce the links, surveys and sessions above
}

# -- what the benchmarks type -------------------------------------------------------

COMMANDS: dict[str, list[Probe]] = {
    "aide": [
        Probe(("!aide",)),
        Probe(("!aide permanence",)),
        Probe(("!aide",), role="referent"),
    ],
    "permanence": permanence.PROBES,
    "formation": formation.PROBES,
    "veille": veille.PROBES,
    "fiche": fiche.PROBES,
    "projet": projet.PROBES,
    "panne": panne.PROBES,
    "enquete": enquete.PROBES,
    "objectifs": objectifs.PROBES,
    "lettre": lettre.PROBES,
    "bilan": [  # the year's report, uploaded as two files
        Probe(("!bilan",), role="referent"),
        Probe(("!bilan",), role="principal"),
    ],
    "statut": [
        Probe(("!statut",), role="referent"),
        Probe(("!statut",), role="principal"),
    ],
    "donnees": [
        Probe(("!mes-donnees",), burst=False),  # the export goes by direct message
        Probe(("!oublie-moi",)),  # only asks for confirmation: nothing is erased
    ],
    # The academy's text views, in its own room, over every establishment.
    "academie": [
        Probe(("!academie",), role="admin", burst=False),
        Probe(("!academie besoins",), role="admin", burst=False),
        Probe(("!academie besoins Rennes",), role="admin", burst=False),
        Probe(("!academie pannes",), role="admin", burst=False),
        Probe(("!academie enquete",), role="admin", burst=False),
        Probe(("!academie diffusions",), role="admin", burst=False),
    ],
}

VALUES: dict[str, Values] = {
    "permanence": permanence.values,
    "formation": formation.values,
    "veille": veille.values,
    "fiche": fiche.values,
    "projet": projet.values,
    "panne": panne.values,
    "enquete": enquete.values,
    "objectifs": objectifs.values,
}


def fill(probe: Probe, family: str, db, eid: str, now: datetime, rng) -> list[str]:
    """The probe's lines with their placeholders replaced by live values."""
    values = VALUES[family](db, eid, now, rng) if family in VALUES else {}
    return [line.format(**values) for line in probe.lines]


# -- the cached file ---------------------------------------------------------------


def cache_key(count: int) -> str:
    """Changes whenever what the file would contain may change."""
    digest = hashlib.sha256(f"{count}|{NOW.isoformat()}|{','.join(SEEDERS)}".encode())
    for source in sorted(Path(__file__).resolve().parent.glob("*.py")):
        digest.update(source.name.encode() + source.read_bytes())
    for module in (stamps, numbers):
        digest.update(inspect.getsource(module).encode())
    for _number, name, source in available_migrations():
        digest.update(name.encode() + source.encode())
    return digest.hexdigest()[:16]


def seeded_database(count: int = ESTABLISHMENTS, cache_dir: Path = CACHE_DIR) -> tuple[Path, dict]:
    """The path of the seeded file (built if needed) and its row counts per table."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_dir / f"academie-{count}-{cache_key(count)}.db"
    if not path.exists():
        for old in cache_dir.glob(f"academie-{count}-*.db*"):
            old.unlink()
        build(path, count)
    return path, table_counts(path)


def build(path: Path, count: int) -> None:
    """Write the seeded database to ``path`` (through a partial file)."""
    partial = path.with_name(path.name + ".partial")
    for leftover in path.parent.glob(partial.name + "*"):
        leftover.unlink()
    db = open_database(partial)
    migrate(db)
    config = academy_config(count, database=partial)
    seeding = Seeding(db, config.establishments, NOW, random.Random(2027))
    db.conn.execute("BEGIN IMMEDIATE")
    sync_establishments(db, config.establishments, datetime.combine(YEAR_START, time(8), PARIS))
    for seeder in SEEDERS.values():
        seeder(seeding)
    db.conn.execute("COMMIT")
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    partial.replace(path)


def table_counts(path: Path) -> dict[str, int]:
    db = sqlite_utils.Database(path)
    try:
        return {t: db[t].count for t in db.table_names() if t != "schema_migrations"}
    finally:
        db.close()


def fresh_copy(seeded: Path, target: Path) -> Path:
    """A private copy of the seeded file for one benchmark (they write to it)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    for leftover in (target.with_name(target.name + s) for s in ("-wal", "-shm")):
        leftover.unlink(missing_ok=True)  # another database's journal would corrupt the copy
    shutil.copyfile(seeded, target)
    return target
