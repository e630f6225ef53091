"""Which establishments an academy figure adds up, and how they are grouped.

The academy serves every establishment of its configuration, and the
configuration is what the establishments table holds (``sync_establishments``
writes it at start-up). Then a figure needs no list of establishments at all,
and the tallies kept by triggers (migration 0044) can be read as they are. When
the configuration serves fewer establishments than the table holds, or groups
them otherwise than the stored bassins and local authorities, the figures are
counted row by row over the establishments given.

Both checks read the establishments table as a few concatenated strings: one
value per row would cost more than the figures themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlite_utils


@dataclass(frozen=True)
class Served:
    """The establishments an academy figure adds up."""

    ids: tuple[str, ...]
    everyone: bool  # every establishment stored is among ``ids``

    def only(self, column: str) -> tuple[str, tuple[str, ...]]:
        """An SQL condition keeping the rows of ``column`` that belong to the served
        establishments, and its parameters: none when every establishment is served."""
        if self.everyone:
            return "1", ()
        return f"{column} IN ({','.join('?' * len(self.ids)) or 'NULL'})", self.ids


def served(db: sqlite_utils.Database, establishment_ids: Sequence[str]) -> Served:
    """The establishments ``establishment_ids`` as a Served."""
    ids = tuple(establishment_ids)
    count, joined = db.execute(
        "SELECT count(*), group_concat(id, ' ') FROM establishments"
    ).fetchone()
    stored = _split(joined, count)
    return Served(ids, everyone=stored is not None and set(ids).issuperset(stored))


def stored_labels(
    db: sqlite_utils.Database, column: str, label_of: dict[str, str]
) -> dict[str, str] | None:
    """How a stored column of establishments (``bassin``, ``collectivite``; '' for none)
    becomes the labels ``label_of`` gives each establishment.

    None unless every stored establishment has a label, establishments with the
    same stored value have the same label, and different values different labels:
    only then are the tallies grouped by the stored column the figures asked for.
    """
    labels: dict[str, str] = {}
    # Read from an index on (column, id) of migration 0044, in its order.
    for value, count, joined in db.execute(
        f"SELECT {column}, count(*), group_concat(id, ' ') FROM establishments GROUP BY {column}"
    ):
        found = set(map(label_of.get, _split(joined, count) or [None]))
        label = found.pop() if len(found) == 1 else None
        # NULL and '' are both « none », as the tallies store them.
        if label is None or labels.setdefault(value or "", label) != label:
            return None
    return labels if len(set(labels.values())) == len(labels) else None


def _split(joined: str | None, count: int) -> list[str] | None:
    """The ids group_concat() joined; None if one of them held the separator."""
    ids = joined.split(" ") if joined else []
    return ids if len(ids) == count else None
