"""Seeded breakdowns: a year of them per establishment, with tickets and repairs."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from bench.seed.seeding import Probe, Seeding, next_number_of
from storage.panne import classify_breakdown, room_key, room_of
from storage.stamps import to_stamp

# Breakdowns as teachers describe them; {room} is one of ROOMS.
BREAKDOWNS = (
    "le vidéoprojecteur de la salle {room} ne s'allume plus",
    "Vidéoprojecteur en {room} : l'image est toute jaune",
    "pas de son sur l'ordinateur de la salle {room}",
    "le TNI de la salle {room} ne répond plus au stylet",
    "Le wifi ne marche pas en {room}",
    "Internet très lent en salle {room} depuis ce matin",
    "L'imprimante de la salle des profs fait des bourrages",
    "Le copieur du premier étage affiche une erreur toner",
    "Impossible de me connecter à Pronote, mot de passe refusé",
    "compte ENT bloqué après trois essais",
    "l'ordinateur du bureau salle {room} ne démarre plus",
    "Écran noir sur le poste du professeur en {room}",
    "La souris du poste en {room} ne fonctionne plus",
    "Les tablettes de la classe mobile ne chargent pas",
    "L'iPad n° 12 ne se connecte plus au wifi",
    "Les enceintes de la salle {room} grésillent",
    "le câble HDMI de la salle {room} est cassé",
    "La prise réseau du bureau en {room} ne marche pas",
    "Le scanner du CDI ne s'ouvre pas",
    "La télécommande du projecteur en {room} a disparu",
    "Windows fait des mises à jour sans fin sur le poste en {room}",
    "Le micro de la salle de réunion ne marche pas",
    "Session très lente sur les postes de la salle {room}",
    "La porte de l'armoire de rechargement est bloquée",
)
ROOMS = ("B12", "A03", "C21", "104", "212", "CDI", "S08", "D5", "B07", "A14")
INCIDENT_COLUMNS = (
    "id", "establishment_id", "number", "description", "category", "reporter", "reported_at",
    "ticket_ref", "ticket_at", "resolved_at", "resolved_by", "room", "room_key",
)  # fmt: skip
FOLLOWER_COLUMNS = ("incident_id", "user_id", "description", "joined_at")


def seed(s: Seeding) -> None:
    """Sixty to a hundred and twenty breakdowns per establishment, most of them repaired.

    Reported by teachers (a few by the referent) and classified by the bot's
    own classifier; about half got a ticket on the local authority's portal.
    Old ones are nearly all repaired, within hours or weeks; the last fortnight's
    are often still open, so every list has some. One in six was reported again
    by one or two colleagues, who joined it.
    """
    rows, followers, incident_id = [], [], 0
    category_of: dict[str, str] = {}
    # Its own chance: the other families' rows stay what they were before it.
    again = random.Random("panne-followers")
    for e in s.establishments:
        people, referent = s.teachers[e.id], e.referents[0]
        count = s.rng.randint(60, 120)
        reported = sorted(s.during_class(d) for d in s.rng.choices(s.past_days, k=count))
        for number, at in enumerate(reported, 1):
            incident_id += 1
            text = s.rng.choice(BREAKDOWNS).format(room=s.rng.choice(ROOMS))
            if text not in category_of:
                category_of[text] = classify_breakdown(text)
            reporter = referent if s.rng.random() < 0.05 else s.rng.choice(people)
            ticket = ticket_at = resolved_at = resolved_by = None
            if s.rng.random() < 0.45:
                ticket = f"GLPI-{s.rng.randint(10_000, 99_999)}"
                ticket_at = to_stamp(s.before_now(at, at + timedelta(days=2)))
            repaired = at + timedelta(hours=s.rng.expovariate(1 / 72))
            if repaired < s.now and s.rng.random() < 0.95:
                resolved_at = to_stamp(repaired.replace(microsecond=0))
                resolved_by = referent if s.rng.random() < 0.6 else reporter
            row = (incident_id, e.id, number, text, category_of[text], reporter, to_stamp(at))
            room = room_of(text)
            rows.append(
                (*row, ticket, ticket_at, resolved_at, resolved_by, room, room and room_key(room))
            )
            if room and again.random() < 1 / 6:
                others = [p for p in people if p != reporter]
                for person in again.sample(others, k=min(len(others), again.randint(1, 2))):
                    joined = at + timedelta(minutes=again.randint(5, 600))
                    followers.append((incident_id, person, text, to_stamp(min(joined, s.now))))
    s.insert("incidents", INCIDENT_COLUMNS, rows)
    s.insert("incident_followers", FOLLOWER_COLUMNS, followers)
    s.count_numbers("incidents")


PROBES: list[Probe] = [
    Probe(
        (
            "!panne nouvelle le vidéoprojecteur de la salle {room} ne s'allume plus",
            "!panne résolue {next}",
        )
    ),
    # Most often the room's projector is already reported: joined, or a new one.
    Probe(("!panne le TNI de la salle {room} ne répond plus",)),
    Probe(("!panne",)),
    Probe(("!panne salle {room}",)),
    Probe(("!panne",), role="referent"),
    Probe(("!panne ticket {open} GLPI-{ticket}",), role="referent"),
    Probe(("!panne visite",), role="referent", burst=False),
]


def values(db, eid: str, now: datetime, rng: random.Random) -> dict[str, str]:
    """A room, the number the next breakdown will get, an open breakdown, a ticket number."""
    rows = db.execute(
        "SELECT number, resolved_at IS NULL FROM incidents WHERE establishment_id = ?", (eid,)
    ).fetchall()
    still_open = [number for number, unresolved in rows if unresolved] or [9999]
    return {
        "room": rng.choice(ROOMS),
        "next": next_number_of(db, "incidents", eid),
        "open": str(rng.choice(still_open)),
        "ticket": str(rng.randint(10_000, 99_999)),
    }
