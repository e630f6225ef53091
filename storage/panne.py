"""Breakdowns (pannes): classify a description, log it with a number, track its ticket.

The referent is not the maintenance technician: the bot answers a breakdown with
first-level self-help matched to the equipment and the local authority's
ticket portal. What is logged here lets everyone see which breakdowns are still
open and which already have a ticket.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlite_utils

from bot.toolkit.text import fold, fold_words
from storage.donnees import ANONYMOUS_PREFIX
from storage.numbers import next_number
from storage.periods import (
    Period,
    counts_by_key_per_period,
    counts_per_period,
    select_per_period,
)
from storage.stamps import from_stamp, to_stamp

OTHER = "autre"

# Per category: strong keywords (2 points) name the equipment, weak ones (1
# point) only hint at it. « son » alone is weak because it is also « his/her »
# (« son ordinateur ») ; « pas de son » is strong. Keywords are folded and
# singular; phrases are matched word by word. The order settles exact ties that
# also start at the same word.
BREAKDOWN_KEYWORDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "videoprojecteur": (
        (
            "videoprojecteur",
            "video projecteur",
            "videoproj",
            "projecteur",
            "projo",
            "vp",
            "vpi",
            "tni",
            "tbi",
            "eni",
            "tableau interactif",
            "tableau numerique",
            "ecran interactif",
            "beamer",
        ),
        ("hdmi", "vga", "lampe", "telecommande", "stylet", "projection", "ecran", "image"),
    ),
    "reseau": (
        ("reseau", "wifi", "wi fi", "internet", "borne", "ethernet", "prise reseau"),
        ("connexion", "deconnecte", "lent", "lenteur", "site", "navigateur"),
    ),
    "imprimante": (
        (
            "imprimante",
            "imprimer",
            "impression",
            "photocopieuse",
            "photocopieur",
            "copieur",
            "toner",
            "cartouche",
            "bourrage",
            "scanner",
        ),
        ("papier", "feuille", "scan"),
    ),
    "ent": (
        (
            "ent",
            "pronote",
            "educonnect",
            "mot de passe",
            "mdp",
            "identifiant",
            "compte bloque",
            "cahier de texte",
            "skolengo",
            "ecole directe",
            "elea",
            "moodle",
        ),
        ("compte", "connecter", "connecte", "session expiree"),
    ),
    "ordinateur": (
        (
            "ordinateur",
            "ordi",
            "pc",
            "poste",
            "unite centrale",
            "clavier",
            "souris",
            "windows",
            "ecran noir",
        ),
        ("ecran", "demarre", "redemarre", "plante", "bloque", "session", "portable"),
    ),
    "tablette": (
        ("tablette", "ipad", "classe mobile", "android"),
        ("appli", "application", "chargeur"),
    ),
    "son": (
        (
            "pas de son",
            "plus de son",
            "le son",
            "du son",
            "haut parleur",
            "enceinte",
            "audio",
            "volume",
            "micro",
            "casque",
            "sono",
        ),
        ("son",),
    ),
}
CATEGORIES = (*BREAKDOWN_KEYWORDS, OTHER)

# How a category reads in messages and in the principal's digest.
CATEGORY_LABELS = {
    "videoprojecteur": "vidéoprojecteur ou tableau interactif",
    "reseau": "réseau ou wifi",
    "imprimante": "imprimante ou copieur",
    "ent": "ENT, Pronote ou compte",
    "ordinateur": "ordinateur",
    "tablette": "tablette",
    "son": "son",
    OTHER: "équipement",
}


def category_label(category: str) -> str:
    """The French words for a breakdown category."""
    return CATEGORY_LABELS.get(category, CATEGORY_LABELS[OTHER])


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith(("s", "x")) else word


# Each category's keywords as singular words, strong ones (2 points) first: read once.
_KEYWORD_WORDS = {
    category: [(2, tuple(map(_singular, k.split()))) for k in strong]
    + [(1, tuple(map(_singular, k.split()))) for k in weak]
    for category, (strong, weak) in BREAKDOWN_KEYWORDS.items()
}


def classify_breakdown(description: str) -> str:
    """The equipment category of a breakdown description, or ``autre``.

    Each category scores 2 per strong keyword and 1 per weak one found; the best
    score wins, a tie goes to the category mentioned first.
    """
    words = tuple(_singular(w) for w in fold_words(description))
    present = set(words)  # most keywords are not there: their first word tells at once
    best: tuple[int, int, int] | None = None
    chosen = OTHER
    for order, (category, keywords) in enumerate(_KEYWORD_WORDS.items()):
        score, first, covered = 0, len(words), set()
        for points, keyword in keywords:
            if keyword[0] not in present:
                continue
            size = len(keyword)
            at = next((i for i in range(len(words)) if words[i : i + size] == keyword), None)
            # A weak word inside a strong phrase (« son » in « pas de son ») adds nothing.
            if at is None or at in covered:
                continue
            score += points
            first = min(first, at)
            covered.update(range(at, at + size))
        if score and (best is None or (-score, first, order) < best):
            best, chosen = (-score, first, order), category
    return chosen


def equipment_words(category: str, description: str) -> tuple[str, ...]:
    """The words that say what a breakdown is about, to find what was written on it:
    its category's strong keywords, or for ``autre`` the description's own words of
    five letters or more (« calculatrice »; « ne », « pas » say nothing)."""
    if category in BREAKDOWN_KEYWORDS:
        return BREAKDOWN_KEYWORDS[category][0]
    return tuple(dict.fromkeys(w for w in fold_words(description) if len(w) >= 5))


# « salle de réunion », « salle des profs » name no room number: the article is no room.
_ROOM = re.compile(
    r"\b(?:salle\s+|sal\.\s*)(?:n°\s*)?(?!(?:de|des|du|d|la|le|les|l)\b)"
    r"([A-Za-z0-9][\w.\-]{0,9})",
    re.I,
)
# « en 104 »: three digits after « en » are a room (« en 2027 » is a year).
_ROOM_CODE = re.compile(r"\b([A-Z]\d{1,3}|CDI|labo\w*|gymnase)\b|\ben\s+(\d{3})\b", re.I)


def room_of(description: str) -> str | None:
    """The room a description names (« salle 12 », « en B12 », « au CDI »), if any."""
    match = _ROOM.search(description) or _ROOM_CODE.search(description)
    return match.group(match.lastindex).rstrip(".-") if match else None


def room_key(room: str) -> str:
    """A room written one way, to compare: « salle b-12 », « B12 » and « b12 » are ``B12``."""
    folded = re.sub(r"[^0-9a-z]", "", fold(room))
    return (folded.removeprefix("salle") or folded).upper()


# Words of five letters or more that say what is wrong or when, not what is broken:
# two « autre » breakdowns sharing only these are not the same equipment.
NOT_EQUIPMENT = frozenset(
    {
        "marche", "marchent", "fonctionne", "casse", "cassee", "cassees", "panne", "depuis",
        "matin", "encore", "toujours", "allume", "allumer", "bloque", "bloquee", "probleme",
        "salle", "demarre", "repond", "reponse", "semaine", "aujourd", "besoin", "merci",
        "urgent", "impossible", "cours", "classe", "eleves", "plusieurs",
        # REMOVED_TEXT: what a forgotten reporter's words became.
        "texte", "retire", "demande", "auteur",
    }
)  # fmt: skip


def same_equipment(category: str, description: str, other: str) -> bool:
    """Whether two descriptions of a room's breakdowns of one category name the same
    equipment: any two of a known category do; two « autre » share a naming word."""
    if category != OTHER:
        return True
    words = set(equipment_words(OTHER, description)) - NOT_EQUIPMENT
    return bool(words & set(equipment_words(OTHER, other)))


@dataclass(frozen=True)
class Incident:
    """A logged breakdown."""

    id: int
    establishment_id: str
    number: int
    description: str
    category: str
    reporter: str
    reported_at: datetime
    ticket_ref: str | None
    resolved_at: datetime | None
    reporter_name: str | None = None
    room: str | None = None
    followers: int = 0  # people who reported it again and joined it

    @property
    def concerned(self) -> int:
        """How many people reported it: its reporter and those who joined it."""
        return 1 + self.followers

    @property
    def open(self) -> bool:
        """Whether it still waits for a repair."""
        return self.resolved_at is None


_SELECT = """
SELECT i.id, i.establishment_id, i.number, i.description, i.category, i.reporter,
       i.reported_at, i.ticket_ref, i.resolved_at, m.display_name, i.room,
       (SELECT count(*) FROM incident_followers f WHERE f.incident_id = i.id)
FROM incidents i
LEFT JOIN members m ON m.establishment_id = i.establishment_id AND m.user_id = i.reporter
"""


def _incident(row) -> Incident:
    return Incident(
        id=row[0],
        establishment_id=row[1],
        number=row[2],
        description=row[3],
        category=row[4],
        reporter=row[5],
        reported_at=from_stamp(row[6]),
        ticket_ref=row[7],
        resolved_at=from_stamp(row[8]) if row[8] else None,
        reporter_name=row[9],
        room=row[10],
        followers=row[11],
    )


def report_incident(
    db: sqlite_utils.Database,
    establishment_id: str,
    description: str,
    category: str,
    reporter: str,
    now: datetime,
    room: str | None = None,
) -> Incident:
    """Log a breakdown with the next number of its establishment, in ``room`` or the
    room its description names."""
    room = room or room_of(description)
    with db.atomic():
        number = next_number(db, "incidents", establishment_id)
        incident_id = db.execute(
            "INSERT INTO incidents (establishment_id, number, description, category, reporter,"
            " reported_at, room, room_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                establishment_id,
                number,
                description,
                category,
                reporter,
                to_stamp(now),
                room,
                room_key(room) if room else None,
            ),
        ).fetchone()[0]
    return _incident(db.execute(_SELECT + " WHERE i.id = ?", (incident_id,)).fetchone())


def find_incident(db: sqlite_utils.Database, establishment_id: str, number: int) -> Incident | None:
    """The breakdown with this number in the establishment, or None."""
    row = db.execute(
        _SELECT + " WHERE i.establishment_id = ? AND i.number = ?", (establishment_id, number)
    ).fetchone()
    return _incident(row) if row else None


def attach_ticket(
    db: sqlite_utils.Database, incident: Incident, reference: str, now: datetime
) -> None:
    """Note the local authority's ticket reference (a new one replaces the old)."""
    db.execute(
        "UPDATE incidents SET ticket_ref = ?, ticket_at = ? WHERE id = ?",
        (reference, to_stamp(now), incident.id),
    )


def resolve_incident(
    db: sqlite_utils.Database, incident: Incident, resolved_by: str, now: datetime
) -> bool:
    """Mark a breakdown repaired; False if it already was."""
    cursor = db.execute(
        "UPDATE incidents SET resolved_at = ?, resolved_by = ?"
        " WHERE id = ? AND resolved_at IS NULL",
        (to_stamp(now), resolved_by, incident.id),
    )
    return cursor.rowcount == 1


def open_incidents(
    db: sqlite_utils.Database,
    establishment_id: str,
    person: str | None = None,
    room: str | None = None,
) -> list[Incident]:
    """Breakdowns not yet repaired, oldest first; only those ``person`` reported or
    joined, or those of ``room``, when given."""
    sql = _SELECT + " WHERE i.establishment_id = ? AND i.resolved_at IS NULL"
    params: list[str] = [establishment_id]
    if person is not None:
        sql += (
            " AND (i.reporter = ? OR i.id IN"
            " (SELECT incident_id FROM incident_followers WHERE user_id = ?))"
        )
        params += [person, person]
    if room is not None:
        sql += " AND i.room_key = ?"
        params.append(room_key(room))
    return [_incident(r) for r in db.execute(sql + " ORDER BY i.number", params).fetchall()]


def matching_incident(
    db: sqlite_utils.Database, establishment_id: str, room: str, category: str, description: str
) -> Incident | None:
    """The oldest open breakdown of the same room and equipment, if one was reported."""
    for incident in open_incidents(db, establishment_id, room=room):
        if incident.category == category and same_equipment(
            category, description, incident.description
        ):
            return incident
    return None


def join_incident(
    db: sqlite_utils.Database, incident: Incident, user_id: str, description: str, now: datetime
) -> bool:
    """Count someone among the people a breakdown concerns; False if they already were."""
    if user_id == incident.reporter:
        return False
    cursor = db.execute(
        "INSERT OR IGNORE INTO incident_followers (incident_id, user_id, description, joined_at)"
        " VALUES (?, ?, ?, ?)",
        (incident.id, user_id, description, to_stamp(now)),
    )
    return cursor.rowcount == 1


def concerned_people(db: sqlite_utils.Database, incident: Incident) -> list[str]:
    """Who reported the breakdown, first its reporter, then those who joined it
    (anyone forgotten since left out): the people told of its repair."""
    rows = db.execute(
        "SELECT user_id FROM incident_followers WHERE incident_id = ? ORDER BY joined_at, user_id",
        (incident.id,),
    ).fetchall()
    people = [incident.reporter, *(user_id for (user_id,) in rows)]
    return [p for p in dict.fromkeys(people) if not p.startswith(ANONYMOUS_PREFIX)]


def breakdowns_by_category_per_period(
    db: sqlite_utils.Database, establishment_id: str, periods: Sequence[Period]
) -> list[dict[str, int]]:
    """Breakdowns reported in each period, by category, most frequent first (a digest figure)."""
    rows = select_per_period(
        db,
        periods,
        "SELECT p.n, i.category, count(*) FROM periods p JOIN incidents i"
        " ON i.establishment_id = ? AND i.reported_at >= p.lo AND i.reported_at < p.hi"
        " GROUP BY p.n, i.category ORDER BY p.n, count(*) DESC, i.category",
        [establishment_id],
    )
    return counts_by_key_per_period(
        ((n, category_label(category), count) for n, category, count in rows), len(periods)
    )


def open_tickets_per_period(
    db: sqlite_utils.Database, establishment_id: str, periods: Sequence[Period]
) -> list[int]:
    """Breakdowns with a ticket still open at the end of each period (a digest figure)."""
    rows = select_per_period(
        db,
        periods,
        # Every ticket ever opened is compared with every period's end: the tickets
        # are read once (MATERIALIZED) rather than once per period.
        "SELECT p.n, count(t.reported) FROM periods p LEFT JOIN tickets t ON t.reported < p.hi"
        " AND (t.resolved IS NULL OR t.resolved >= p.hi) GROUP BY p.n",
        [establishment_id],
        tables="tickets AS MATERIALIZED (SELECT reported_at AS reported,"
        " resolved_at AS resolved FROM incidents"
        " WHERE establishment_id = ? AND ticket_ref IS NOT NULL)",
    )
    return counts_per_period(rows, len(periods))
