"""Seeded objectives: the year's few per establishment, with their progress notes."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from bench.seed.academy import YEAR_START
from bench.seed.seeding import Probe, Seeding, next_number_of
from storage.stamps import to_stamp

# The year's priorities as referents write them, with the indicator some of them carry.
OBJECTIVES = (
    ("Former les collègues à l'ENT", ("sessions", ">=", 6, 0)),
    ("Traiter les besoins de formation exprimés", ("besoins_traites", ">=", 80, 1)),
    ("Faire vivre la veille partagée", ("veille", ">=", 40, 0)),
    ("Suivre chaque panne jusqu'à sa réparation", ("pannes_reparees", ">=", 90, 1)),
    ("Remplir les permanences numériques", ("remplissage", ">=", 60, 1)),
    ("Envoyer la lettre d'information chaque semaine", ("lettres", ">=", 30, 0)),
    ("Accompagner les collègues nouvellement arrivés", None),
    ("Généraliser le cahier de textes en ligne", None),
    ("Sensibiliser les élèves de 6e au cyberharcèlement", None),
    ("Préparer les 3e à la certification Pix", None),
)
OBJECTIVE_NOTES = (
    "Trois collègues utilisent maintenant le cahier de textes",
    "Point fait avec la direction : on continue", "Deux sessions reportées à cause des grèves",
    "Bon retour des collègues après la session de janvier",
    "Les chiffres du trimestre sont encourageants", "À reprendre au conseil pédagogique",
)  # fmt: skip
OBJECTIVE_COLUMNS = (
    "id", "establishment_id", "school_year", "number", "text", "indicator_figure", "indicator_op",
    "indicator_target", "indicator_percent", "status", "author", "created_at", "status_at",
    "updated_by",
)  # fmt: skip


def seed(s: Seeding) -> None:
    """Three to five objectives of the school year per establishment, with progress notes.

    Written in September or October by the referent or the principal, about
    half with an indicator the bot counts; by June a few are reached and some
    were abandoned, and each has had a few progress notes.
    """
    objective_rows, note_rows = [], []
    objective_id = 0
    autumn = [d for d in s.past_days if d < date(2026, 10, 20)]
    yesterday = s.now.date() - timedelta(days=1)
    for e in s.establishments:
        managers = (e.referents[0], e.principals[0])
        created = s.during_class(s.rng.choice(autumn))
        for number, (text, indicator) in enumerate(
            s.rng.sample(OBJECTIVES, s.rng.randint(3, 5)), 1
        ):
            objective_id += 1
            author = s.rng.choice(managers)
            figure, op, target, percent = indicator or (None, None, None, 0)
            status = s.rng.choices(("active", "reached", "abandoned"), (70, 20, 10))[0]
            status_at = updated_by = None
            if status != "active":
                changed = s.school_day_between(created.date() + timedelta(days=60), yesterday)
                status_at = to_stamp(s.during_class(changed))
                updated_by = s.rng.choice(managers)
            row = (objective_id, e.id, YEAR_START.year, number, text, figure, op, target, percent)
            stamps = (to_stamp(created), status_at)
            objective_rows.append((*row, status, author, *stamps, updated_by))
            for _ in range(s.rng.randint(1, 4)):
                day = s.school_day_between(created.date() + timedelta(days=14), yesterday)
                at, note = s.during_class(day), s.rng.choice(OBJECTIVE_NOTES)
                note_rows.append((objective_id, note, s.rng.choice(managers), to_stamp(at)))
    s.insert("objectives", OBJECTIVE_COLUMNS, objective_rows)
    s.count_numbers("objectives")
    s.insert("objective_notes", ("objective_id", "text", "author", "created_at"), note_rows)


PROBES: list[Probe] = [
    Probe(("!objectifs",)),
    Probe(("!objectifs",), role="principal"),
    Probe(("!objectifs indicateurs",), role="referent"),
    Probe(
        ("!objectifs point {objective} Trois collègues utilisent le cahier de textes",),
        role="referent",
    ),
    Probe(
        (
            "!objectifs ajouter Former les collègues à Éléa indicateur: sessions>=4",
            "!objectifs abandonné {next} finalement fusionné avec un autre objectif",
        ),
        role="principal",
    ),
]


def values(db, eid: str, now: datetime, rng: random.Random) -> dict[str, str]:
    """An objective of the year, and the number the next one will get."""
    numbers = [
        number
        for (number,) in db.execute(
            "SELECT number FROM objectives WHERE establishment_id = ? AND school_year = ?",
            (eid, YEAR_START.year),
        ).fetchall()
    ]
    return {
        "objective": str(rng.choice(numbers or [9999])),
        "next": next_number_of(db, "objectives", eid, YEAR_START.year),
    }
