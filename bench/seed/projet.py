"""Seeded class projects: a few projects with digital tools per establishment over the year."""

from __future__ import annotations

import random
from datetime import datetime, time

from bench.seed.academy import PARIS
from bench.seed.seeding import Probe, Seeding, next_number_of
from storage.stamps import to_stamp

# A chance of its own: adding projects must not change what the other seeders draw.
SEED = 2041
CLASSES = ("6e A", "6e B", "5e C", "5e 2", "4e B", "4e D", "3e A", "3e 4", "2nde 3", "1re G4",
           "Tle STMG 2", "CM2", "BTS SIO 1")  # fmt: skip
# (discipline, what the class did, #tags)
PROJECTS = (
    ("histoire-géographie", "Podcast sur la Révolution française enregistré en classe",
     ("podcast", "oral")),
    ("SVT", "Herbier numérique du collège photographié sur tablettes", ("tablettes",)),
    ("français", "Webradio : interviews des anciens élèves montées avec Audacity",
     ("webradio", "audacity")),
    ("mathématiques", "Escape game sur les fractions créé avec Genially", ("genially", "jeux")),
    ("technologie", "Robots programmés avec Scratch pour un parcours d'obstacles",
     ("scratch", "robotique")),
    ("anglais", "Capsules vidéo de présentation d'une ville anglaise", ("video",)),
    ("physique-chimie", "Mesures de température avec des cartes micro:bit", ("microbit",)),
    ("arts plastiques", "Exposition virtuelle des travaux de la classe sur l'ENT", ("ent",)),
    ("documentation", "Enquête sur une fausse information diffusée sur les réseaux",
     ("emi", "medias")),
    ("SNT", "Site web de la classe écrit en HTML et publié sur Apps Éducation",
     ("html", "web")),
    ("EPS", "Analyse vidéo des gestes en saut en longueur", ("video", "tablettes")),
    ("pluridisciplinaire", "Carte interactive du patrimoine local avec uMap", ("carte",)),
)  # fmt: skip
PROJECT_COLUMNS = (
    "id", "establishment_id", "number", "class_name", "discipline", "text", "tags", "author",
    "created_at",
)  # fmt: skip
PROJECT_SEARCHES = ("podcast", "tablettes", "video", "4e B", "robots scratch", "genially")


def seed(s: Seeding) -> None:
    """Two to eight projects per establishment, recorded by its teachers through the year.

    Drawn from a ``random.Random`` of their own, so that the rows the other seeders
    write stay what they were. Indexed for the search as the watch is.
    """
    rng = random.Random(SEED)
    rows, project_id = [], 0
    for e in s.establishments:
        chosen = rng.sample(PROJECTS, rng.randint(2, 8))
        recorded = sorted(
            datetime.combine(rng.choice(s.past_days), time(rng.randint(8, 17), rng.randrange(60)),
                             PARIS)
            for _ in chosen
        )  # fmt: skip
        authors = s.teachers.get(e.id) or list(e.referents)
        for number, ((discipline, text, tags), at) in enumerate(
            zip(chosen, recorded, strict=True), 1
        ):
            project_id += 1
            rows.append((project_id, e.id, number, rng.choice(CLASSES), discipline, text,
                         " ".join(tags), rng.choice(authors), to_stamp(at)))  # fmt: skip
    s.insert_indexed("class_projects", PROJECT_COLUMNS, rows)
    s.count_numbers("class_projects")


PROBES: list[Probe] = [
    Probe(("!projet",)),
    Probe(("!projet cherche {search}",)),
    Probe(
        (
            "!projet 4e B histoire Frise chronologique collaborative sur l'ENT #frise",
            "!projet retirer {next}",
        ),
    ),
]


def values(db, eid: str, now: datetime, rng: random.Random) -> dict[str, str]:
    """Words to search, and the number the next project will take (to remove it again)."""
    return {
        "search": rng.choice(PROJECT_SEARCHES),
        "next": next_number_of(db, "class_projects", eid),
    }
