"""The academy's open training needs, by bassin and CRCN domain (a need's first tag).

Read from ``academy_open_themes`` and ``academy_open_needs`` (migration 0044),
which triggers keep as needs are recorded, retagged, planned, closed or
forwarded; counted from the needs themselves when the configuration does not
match the establishments stored.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils

from storage.academie.scope import stored_labels


@dataclass(frozen=True)
class ThemeInBassin:
    """Open needs of one CRCN domain (a need's first tag) in one bassin."""

    bassin: str
    tag: str | None  # the first tag, None for needs without one
    needs: int
    asking: int  # establishments with at least one of these needs
    # Their ids in the config's order, when one bassin's themes were asked for (else empty).
    establishments: tuple[str, ...] = ()


def open_needs_by_bassin(
    db: sqlite_utils.Database, bassin_of: dict[str, str], bassin: str | None = None
) -> list[ThemeInBassin]:
    """Open needs by bassin and first tag, with how many establishments ask for them
    (``bassin_of`` maps each establishment id to its bassin; those without one are
    « sans bassin »): every bassin's, most asked for first, or only ``bassin``'s, with
    the establishments asking."""
    labels = stored_labels(db, "bassin", bassin_of)
    if labels is None:
        themes = _counted_from_needs(db, bassin_of)
        if bassin is None:
            return [ThemeInBassin(t.bassin, t.tag, t.needs, t.asking) for t in themes]
        return [t for t in themes if t.bassin == bassin]
    if bassin is None:
        rows = db.execute(
            "SELECT bassin, domain, needs, establishments FROM academy_open_themes"
        ).fetchall()
        return _in_order(
            ThemeInBassin(labels[stored], domain or None, needs, asking)
            for stored, domain, needs, asking in rows
        )
    stored = next((value for value, label in labels.items() if label == bassin), None)
    rows = db.execute(
        "SELECT establishment_id, domain, needs FROM academy_open_needs WHERE bassin = ?",
        (stored,),
    ).fetchall()
    return _grouped(((eid, domain or None, needs) for eid, domain, needs in rows), bassin_of)


def _counted_from_needs(db, bassin_of: dict[str, str]) -> list[ThemeInBassin]:
    ids = list(bassin_of)
    marks = ",".join("?" * len(ids)) or "NULL"
    # Read from the covering index (training_needs_open_tags) and grouped by whole tag
    # lists; the first tag is taken here, cheaper than in SQL for every row.
    rows = db.execute(
        "SELECT establishment_id, tags, count(*) FROM training_needs"
        f" WHERE status = 'open' AND establishment_id IN ({marks}) GROUP BY 1, 2",
        ids,
    ).fetchall()
    return _grouped(
        ((eid, tags.split(maxsplit=1)[0] if tags.strip() else None, n) for eid, tags, n in rows),
        bassin_of,
    )


def _grouped(rows, bassin_of: dict[str, str]) -> list[ThemeInBassin]:
    """Themes from (establishment, first tag, needs) rows, their establishments in
    ``bassin_of``'s order."""
    grouped: dict[tuple[str, str | None], tuple[int, set[str]]] = {}
    for establishment_id, tag, count in rows:
        key = (bassin_of[establishment_id], tag)
        needs, asking = grouped.setdefault(key, (0, set()))
        asking.add(establishment_id)
        grouped[key] = (needs + count, asking)
    order = {eid: n for n, eid in enumerate(bassin_of)}
    return _in_order(
        ThemeInBassin(bassin, tag, needs, len(asking), tuple(sorted(asking, key=order.get)))
        for (bassin, tag), (needs, asking) in grouped.items()
    )


def _in_order(themes) -> list[ThemeInBassin]:
    return sorted(themes, key=lambda t: (t.bassin, -t.needs, t.tag or ""))
