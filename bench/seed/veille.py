"""Seeded watch: a year of shared links per establishment, searchable."""

from __future__ import annotations

import random
from datetime import datetime

from bench.seed.seeding import Probe, Seeding, next_number_of
from bot.toolkit.text import fold_words
from bot.toolkit.urls import normalize_url
from storage.stamps import to_stamp

# Where referents find what they share, and what about (title, folded #tags).
WATCH_SITES = (
    ("eduscol.education.fr", "Éduscol"), ("www.reseau-canope.fr", "Réseau Canopé"),
    ("www.cnil.fr", "CNIL"), ("pix.fr", "Pix"), ("www.lumni.fr", "Lumni"),
    ("www.clemi.fr", "CLEMI"),
    ("www.cafepedagogique.net", "Le Café pédagogique"), ("www.ludomag.com", "Ludomag"),
    ("portail.apps.education.fr", "Apps Éducation"),
    ("www.education.gouv.fr", "Ministère de l'Éducation nationale"),
    ("numerique.ac-rennes.fr", "DANE de Rennes"),
    ("www.internetsanscrainte.fr", "Internet Sans Crainte"),
)  # fmt: skip
WATCH_TOPICS = (
    ("L'intelligence artificielle en classe : repères", ("ia",)),
    ("Cadre d'usage de l'IA en éducation", ("ia", "cadre")),
    ("Enseigner les mathématiques avec le numérique", ("maths",)),
    ("Protéger les données personnelles des élèves", ("rgpd",)),
    ("Prévenir le cyberharcèlement au collège", ("harcelement",)),
    ("Éducation aux médias et à l'information : ressources", ("emi",)),
    ("Démarrer avec Capytale", ("python", "capytale")),
    ("Pix : certifier les compétences numériques", ("pix",)),
    ("Créer des capsules vidéo pédagogiques", ("video",)),
    ("Podcasts et webradio à l'école", ("podcast",)),
    ("Numérique responsable et sobriété", ("sobriete",)),
    ("Tutoriels Nextcloud et outils collaboratifs", ("nextcloud", "tutoriel")),
    ("Classe inversée : retours d'expérience", ("pedagogie",)),
    ("Accessibilité numérique et élèves à besoins particuliers", ("inclusion",)),
    ("Jeux sérieux et escape games pédagogiques", ("jeux",)),
    ("Programmer des robots au collège", ("robotique",)),
    ("Bien utiliser l'ENT avec les familles", ("ent", "parents")),
    ("Droit d'auteur et images libres de droits", ("droit",)),
    ("Évaluer avec des outils numériques", ("evaluation",)),
    ("Premiers pas avec le tableur et les données", ("donnees",)),
    ("Temps d'écran : conseils aux parents", ("parents", "ecrans")),
    ("Identité numérique : activités pour la classe", ("identite",)),
)
WATCH_COMMENTS = (
    None, None, None, "À tester avec les 5e", "Utile pour le conseil pédagogique",
    "Pour la réunion avec les parents", "Court et clair, parfait en AP", "Merci à la DANE",
    "Voir surtout la deuxième partie", "Des idées pour la semaine du numérique",
)  # fmt: skip
# What people search the watch for (each finds seeded items).
WATCH_SEARCHES = (
    "ia", "numerique", "harcèlement", "capytale", "parents", "vidéo", "données", "ENT", "pix",
    "conseil pédagogique",
)  # fmt: skip
WATCH_COLUMNS = (
    "id", "establishment_id", "number", "normalized_url", "title", "title_found", "comment",
    "tags", "author", "posted_at",
)  # fmt: skip


def seed(s: Seeding) -> None:
    """Eighty to a hundred and fifty shared links per establishment, numbered as shared.

    Shared by the referent (teachers may not share by default), most with a
    title read from the page, some with a comment and tags; a few were removed
    since, so numbers have gaps and the counter is past the last one. Their
    search index is written as the bot's would be (``Seeding.insert_indexed``).
    """
    item_rows, counters = [], []
    item_id = 0
    pages = []
    for host, site in WATCH_SITES:
        for topic, tags in WATCH_TOPICS:
            slug = "-".join(fold_words(topic))
            url = normalize_url(f"https://{host}/ressources/{slug}/")
            pages.append((url, f"{topic} — {site}", tags))
    for e in s.establishments:
        referent = e.referents[0]
        count = s.rng.randint(80, 150)
        shared = sorted(s.during_class(d) for d in s.rng.choices(s.past_days, k=count))
        number = 0
        for (url, title, tags), at in zip(s.rng.sample(pages, count), shared, strict=True):
            item_id += 1
            number += 1 + (s.rng.random() < 0.03)  # a removed link leaves its number unused
            found = s.rng.random() < 0.95
            kept = tags[: s.rng.randint(0, len(tags))]
            comment = s.rng.choice(WATCH_COMMENTS)
            row = (item_id, e.id, number, url, title if found else url, int(found), comment)
            item_rows.append((*row, " ".join(kept), referent, to_stamp(at)))
        counters.append(("veille_items", e.id, 0, number + (s.rng.random() < 0.03)))
    s.insert_indexed("veille_items", WATCH_COLUMNS, item_rows)
    s.insert("number_counters", ("family", "establishment_id", "scope", "last_number"), counters)


PROBES: list[Probe] = [
    Probe(("!veille",)),
    Probe(("!veille cherche {search}",)),
    # The page title is read on the web: bench/handling.py answers it at once.
    Probe(
        ("!veille {new_url} À lire avant le conseil pédagogique #ia", "!veille retirer {next}"),
        role="referent",
    ),
    Probe(("!veille {shared_url}",), role="referent"),  # already shared: refused, no fetch
]


def values(db, eid: str, now: datetime, rng: random.Random) -> dict[str, str]:
    """Words to search, a link not shared yet and the number it will get, a shared link."""
    urls = db.execute(
        "SELECT normalized_url FROM veille_items WHERE establishment_id = ?", (eid,)
    ).fetchall()
    return {
        "search": rng.choice(WATCH_SEARCHES),
        "new_url": f"https://www.reseau-canope.fr/notice/ressource-{rng.randrange(10**6)}",
        "next": next_number_of(db, "veille_items", eid),
        "shared_url": rng.choice(urls)[0] if urls else "https://eduscol.education.fr",
    }
