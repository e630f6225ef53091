"""One académie after a school year: the seeded database and the commands the benchmarks type.

Every benchmark works on the same data: ``ESTABLISHMENTS`` establishments of
one holiday zone, each with a school year of activity up to ``NOW`` (a school
Friday at 16:00, when the weekly newsletter goes out). The database is built
once by the seeders below, in one transaction of ``executemany`` calls, and
cached in ``bench/.cache/``; the cache key is made of the source of the modules
holding the seeders, the migrations and the number of establishments, so
changing any of them builds a new file and nothing has to be bumped by hand.

How a command family plugs in (three registries, keyed by the family's name):

1. ``SEEDERS["formation"] = seed_formation``: a function of a ``Seeding`` that
   inserts the family's rows for every establishment with
   ``seeding.insert(table, columns, rows)``. Aim for what a busy establishment
   holds in June: ``seeding.teachers[establishment_id]`` are its members,
   ``seeding.school_days`` the days with classes from September to four weeks
   after ``NOW``, ``seeding.rng`` the only source of chance (the file must be the
   same at every build). Seeders run in the order of the dict.
2. ``COMMANDS["formation"] = [Probe(...), ...]``: representative commands. A
   ``Probe`` is one or more lines typed in a row by one person of a role, e.g.
   ``Probe(("!formation +1 {need}",))``; the handling benchmark reports p50/p99
   per family over all its lines, and the burst types the teachers' probes
   whose ``burst`` is true.
3. ``VALUES["formation"] = values_formation``, only if lines hold
   ``{placeholders}``: ``(db, establishment_id, now, rng) -> dict`` picking live
   values (a need's number, a slot's number) just before a probe is typed.

A family whose module is absent (not merged yet) must not be listed: its probes
would all be answered "unknown command", and the table marks such a family KO.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import random
import shutil
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlite_utils

from bot.core.config import Config, Establishment, parse_config
from bot.toolkit.calendar import is_school_day, is_school_holiday
from bot.toolkit.links import normalize_url
from storage import migrate, open_database
from storage.db import available_migrations
from storage.establishments import EstablishmentRow, sync_establishments
from storage.formation import fold_words, suggest_tags
from storage.numbers import NUMBERED
from storage.panne import classify_breakdown
from storage.stamps import from_stamp, to_stamp

PARIS = ZoneInfo("Europe/Paris")
ESTABLISHMENTS = 430
ZONE = "B"  # one académie, one holiday zone
# A school Friday at 16:00: the newsletter's hour; a year of data lies behind it.
NOW = datetime(2027, 6, 11, 16, 0, tzinfo=PARIS)
YEAR_START = date(2026, 9, 1)
GENERATED_AHEAD = timedelta(weeks=4)  # as commands/permanence.py keeps ahead
TEACHERS_PER_ESTABLISHMENT = 40
CACHE_DIR = Path(__file__).resolve().parent / ".cache"
SERVER = "localhost"


def establishment_id(index: int) -> str:
    """``etab-001`` … ``etab-430``."""
    return f"etab-{index:03d}"


def referent_of(eid: str) -> str:
    return f"@ref-{eid}:{SERVER}"


def principal_of(eid: str) -> str:
    return f"@dir-{eid}:{SERVER}"


_KINDS = ("Collège", "Collège", "Collège", "Lycée", "Lycée professionnel")
_NAMES = (
    "Jean Moulin", "Marie Curie", "Victor Hugo", "Jules Ferry", "Louise Michel", "Jean Jaurès",
    "Simone Veil", "Albert Camus", "George Sand", "Pierre Mendès France", "Lucie Aubrac",
    "Jacques Prévert", "Condorcet", "Olympe de Gouges", "Paul Éluard", "Émile Zola",
    "Germaine Tillion", "Jean Zay", "Antoine de Saint-Exupéry", "Colette", "Louis Pasteur",
)  # fmt: skip
_TOWNS = (
    "Rennes", "Nantes", "Angers", "Le Mans", "Brest", "Quimper", "Vannes", "Lorient", "Laval",
    "Saint-Brieuc", "Cholet", "Saint-Nazaire", "Lannion", "Vitré", "Fougères", "Redon",
)  # fmt: skip
_FIRST = (
    "Camille", "Julien", "Sophie", "Nicolas", "Claire", "Thomas", "Émilie", "Antoine", "Laure",
    "Mathieu", "Hélène", "Karim", "Nadia", "Yann", "Gaëlle", "Olivier", "Inès", "Loïc",
)  # fmt: skip
_LAST = (
    "Martin", "Bernard", "Le Goff", "Dubois", "Moreau", "Laurent", "Simon", "Michel", "Lefèvre",
    "Garcia", "Bertrand", "Roux", "Fournier", "Morel", "Girard", "Guéguen", "Le Roux", "Benali",
)  # fmt: skip
_SUBJECTS = (None, None, "Pronote", "ENT", "tableau numérique", "Capytale", "tablettes", "PIX")


def academy_raw_config(
    count: int = ESTABLISHMENTS,
    *,
    database: str | Path,
    rooms: Mapping[str, str] | None = None,
    matrix: Mapping[str, object] | None = None,
    bot: Mapping[str, object] | None = None,
) -> dict:
    """The configuration of an académie as parsed TOML: ``count`` establishments.

    ``rooms`` maps establishment ids to real room ids; the others get a made-up id
    (fine in-process, where nothing joins them).
    """
    rooms = rooms or {}
    rng = random.Random(7)
    establishments = []
    for index in range(1, count + 1):
        eid = establishment_id(index)
        name = f"{rng.choice(_KINDS)} {rng.choice(_NAMES)} — {rng.choice(_TOWNS)}"
        establishments.append(
            {
                "id": eid,
                "name": name,
                "room": rooms.get(eid, f"!bench-{eid}"),
                "zone": ZONE,
                "timezone": "Europe/Paris",
                "referents": [referent_of(eid)],
                "principals": [principal_of(eid)],
                "ticket_url": "https://support.example.org/glpi",
            }
        )
    return {
        "matrix": dict(
            matrix
            or {
                "homeserver": "http://127.0.0.1:9",
                "user_id": f"@rupn:{SERVER}",
                "password": "unused",
                "store_path": "store",
            }
        ),
        "bot": {"database": str(database), **(bot or {})},
        "establishment": establishments,
    }


def academy_config(count: int = ESTABLISHMENTS, *, database: str | Path, **kwargs) -> Config:
    """``academy_raw_config`` validated by the bot's own config parser."""
    raw = academy_raw_config(count, database=database, **kwargs)
    return parse_config(raw, Path(database).resolve().parent)


def to_toml(raw: Mapping) -> str:
    """TOML for a config made of tables, arrays of tables, strings, numbers and lists."""

    def value(v) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int | float):
            return repr(v)
        if isinstance(v, list | tuple):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return json.dumps(str(v), ensure_ascii=False)  # a valid TOML basic string

    lines = []
    for key, section in raw.items():
        tables = section if isinstance(section, list) else [section]
        for table in tables:
            lines.append(f"[[{key}]]" if isinstance(section, list) else f"[{key}]")
            lines += [f"{k} = {value(v)}" for k, v in table.items()]
            lines.append("")
    return "\n".join(lines)


# -- seeding -----------------------------------------------------------------


@dataclass
class Seeding:
    """What a seeder works with; see the module docstring."""

    db: sqlite_utils.Database
    establishments: tuple[Establishment, ...]
    now: datetime
    rng: random.Random
    teachers: dict[str, list[str]] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)

    def insert(self, table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
        """Insert many rows at once; returns how many."""
        marks = ", ".join("?" * len(columns))
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
        count = self.db.conn.executemany(sql, rows).rowcount
        self.rows[table] = self.rows.get(table, 0) + count
        return count

    def count_numbers(self, table: str) -> None:
        """The counters ``storage.numbers`` keeps, for rows inserted with their numbers."""
        scope = NUMBERED[table]
        self.db.conn.execute(
            "INSERT INTO number_counters (family, establishment_id, scope, last_number)"
            f" SELECT ?, establishment_id, {scope or 0}, max(number) FROM {table}"
            " GROUP BY establishment_id" + (f", {scope}" if scope else ""),
            (table,),
        )

    @cached_property
    def school_days(self) -> list[date]:
        """Days with classes from the start of the year to four weeks after ``now``."""
        days, day = [], YEAR_START
        last = (self.now + GENERATED_AHEAD).date()
        while day <= last:
            if is_school_day(day, ZONE):
                days.append(day)
            day += timedelta(days=1)
        return days

    @cached_property
    def past_days(self) -> list[date]:
        """School days before ``now``'s day: when the year's activity happened."""
        return [d for d in self.school_days if d < self.now.date()]

    def during_class(self, day: date) -> datetime:
        """A moment of a school day, between 8:00 and 17:59."""
        return datetime.combine(day, time(self.rng.randint(8, 17), self.rng.randrange(60)), PARIS)

    def school_day_between(self, first: date, last: date) -> date | None:
        """A school day in ``[first, last]`` (None if there is none)."""
        days = self.school_days[
            bisect_left(self.school_days, first) : bisect_right(self.school_days, last)
        ]
        return self.rng.choice(days) if days else None

    def before_now(self, start: datetime, end: datetime | None = None) -> datetime:
        """A moment between ``start`` and ``end`` (default ``now``), to the second."""
        end = min(end or self.now, self.now)
        if end <= start:
            return start
        seconds = int((end - start).total_seconds() * self.rng.random())
        return start.replace(microsecond=0) + timedelta(seconds=seconds)


def seed_members(s: Seeding) -> None:
    """Teachers who used the bot, with display names; a month of handled command ids."""
    members, handled = [], []
    recent = [d for d in s.school_days if s.now.date() - timedelta(days=30) <= d < s.now.date()]
    for e in s.establishments:
        number = int(e.id.rsplit("-", 1)[1])
        people = [f"@prof-{number:03d}-{n:02d}:{SERVER}" for n in range(1, 41)]
        s.teachers[e.id] = people
        for user_id in people:
            name = f"{s.rng.choice(_FIRST)} {s.rng.choice(_LAST)}"
            first_seen = datetime.combine(s.rng.choice(s.school_days[:60]), time(10), PARIS)
            members.append((e.id, user_id, "teacher", name, to_stamp(first_seen)))
        # handled_events keeps 30 days (bot/matrix.py HANDLED_RETENTION): ~6 commands a day.
        for day in recent:
            for k in range(6):
                at = datetime.combine(day, time(8 + k, s.rng.randrange(60)), PARIS)
                event_id = f"$seed-{e.id}-{day:%m%d}-{k}"
                handled.append((event_id, e.room, to_stamp(at)))
    s.insert(
        "members", ("establishment_id", "user_id", "role", "display_name", "first_seen"), members
    )
    s.insert("handled_events", ("event_id", "room_id", "handled_at"), handled)


SERIES_COLUMNS = (
    "id", "establishment_id", "weekday", "start_time", "duration_minutes", "capacity", "place",
    "opened_by", "opened_at",
)  # fmt: skip
SLOT_COLUMNS = (
    "id", "establishment_id", "series_id", "number", "starts_at", "ends_at", "capacity", "place",
    "cancelled_at", "cancelled_by",
)  # fmt: skip
OUTBOX_COLUMNS = (
    "establishment_id", "body", "html", "mentions", "txn_id", "created_at", "sent_at", "event_id",
)  # fmt: skip


def seed_permanence(s: Seeding) -> None:
    """Two weekly series per establishment since September, their slots and bookings.

    One series on a day from Monday to Thursday at lunch time, one on Friday at
    17:00. Slots exist up to four weeks ahead, as the calendar job keeps them;
    past slots were booked (with waitlists and cancellations) and reminded;
    upcoming ones have seats left. Today's 17:00 slot has people booked and is
    not reminded yet, so a scheduler run at ``NOW`` owes one message per
    establishment: the same shape as the newsletter.
    """
    series_rows, slot_rows, booking_rows, ledger_rows, outbox_rows = [], [], [], [], []
    series_id = slot_id = booking_id = 0
    opened = datetime.combine(YEAR_START + timedelta(days=6), time(9), PARIS)
    month_ago = s.now - timedelta(days=30)
    for e in s.establishments:
        people, referent = s.teachers[e.id], e.referents[0]
        plans = [
            (s.rng.randrange(4), time(s.rng.choice((12, 13)), s.rng.choice((0, 30))), 45),
            (4, time(17, 0), 60),
        ]
        slots = []
        for weekday, start, minutes in plans:
            series_id += 1
            capacity, place = s.rng.choice((4, 5, 6)), s.rng.choice((None, "CDI", "B12", "salle 8"))
            series_rows.append(
                (
                    series_id,
                    e.id,
                    weekday,
                    f"{start:%H:%M}",
                    minutes,
                    capacity,
                    place,
                    referent,
                    to_stamp(opened),
                )
            )
            for day in s.school_days:
                if day.weekday() == weekday and day >= opened.date():
                    starts = datetime.combine(day, start, PARIS)
                    slots.append((starts, series_id, minutes, capacity, place))
        slots.sort()
        for number, (starts, sid, minutes, capacity, place) in enumerate(slots, 1):
            slot_id += 1
            cancelled = s.rng.random() < 0.03 and starts.date() != s.now.date()
            slot_rows.append(
                (slot_id, e.id, sid, number, to_stamp(starts))
                + (to_stamp(starts + timedelta(minutes=minutes)), capacity, place)
                + ((to_stamp(opened), referent) if cancelled else (None, None))
            )
            past = starts <= s.now
            today = starts.date() == s.now.date() and not past
            wanted = s.rng.randint(0, capacity + 2) if past else s.rng.randint(0, capacity - 1)
            wanted = max(wanted, 2) if today else wanted
            booked = 0
            for user_id in s.rng.sample(people, wanted):
                booking_id += 1
                status = "booked" if booked < capacity else "waiting"
                if past and s.rng.random() < 0.1:
                    status = "cancelled"
                booked += status == "booked"
                stamp = to_stamp(starts - timedelta(days=s.rng.randint(1, 6)))
                subject = s.rng.choice(_SUBJECTS)
                booking_rows.append((booking_id, slot_id, user_id, subject, status, stamp, stamp))
            if past and booked and not cancelled:
                key = f"creneau-{slot_id}"
                reminded = starts - timedelta(hours=2)
                ledger_rows.append(("permanence-rappel", e.id, key, to_stamp(reminded)))
                if reminded >= month_ago:  # sent messages are kept 30 days
                    outbox_rows.append(
                        (
                            e.id,
                            "Rappel — permanence numérique",
                            "<p>Rappel</p>",
                            "[]",
                            f"rupn-job-permanence-rappel-{e.id}-{key}",
                            to_stamp(reminded),
                            to_stamp(reminded),
                            f"$seed-rappel-{slot_id}",
                        )
                    )
    s.insert(
        "permanence_series",
        SERIES_COLUMNS,
        series_rows,
    )
    s.insert(
        "permanence_slots",
        SLOT_COLUMNS,
        slot_rows,
    )
    s.count_numbers("permanence_slots")
    s.insert(
        "permanence_bookings",
        ("id", "slot_id", "user_id", "subject", "status", "created_at", "updated_at"),
        booking_rows,
    )
    s.insert("job_runs", ("job", "establishment_id", "period", "ran_at"), ledger_rows)
    s.insert(
        "outbox",
        OUTBOX_COLUMNS,
        outbox_rows,
    )


# What teachers ask for: one establishment expresses some of these in a year, each once.
NEED_TEXTS = (
    "Créer des capsules vidéo avec mes élèves", "Utiliser Pronote pour le cahier de textes",
    "Prendre en main le vidéoprojecteur interactif", "Programmer en Python avec Capytale",
    "Utiliser l'intelligence artificielle en classe", "Sécuriser mes mots de passe",
    "Faire un diaporama avec LibreOffice Impress", "Construire des quiz avec Wooclap",
    "Animer une classe virtuelle", "Utiliser les tablettes de la classe mobile",
    "Organiser mes fichiers et dossiers sur le réseau",
    "Partager des documents avec le Nextcloud d'Apps Éducation",
    "Créer un padlet collaboratif pour la classe", "Enregistrer un podcast avec les élèves",
    "Éduquer aux médias et repérer les infox", "Préparer les élèves à la certification Pix",
    "Utiliser le tableur pour les statistiques", "Faire des cartes mentales",
    "Protéger les données personnelles des élèves (RGPD)", "Prévenir le cyberharcèlement",
    "Monter une vidéo simple", "Utiliser Éléa pour des parcours en ligne",
    "Communiquer avec les parents par l'ENT", "Créer des exercices interactifs H5P",
    "Utiliser Scratch en technologie", "Faire une sitographie avec les élèves",
    "Comprendre le droit à l'image et le droit d'auteur", "Utiliser le visualiseur en classe",
    "Travailler le traitement de texte avec les 6e", "Créer un livre numérique",
    "Utiliser Genially pour des présentations", "Gérer le temps d'écran des élèves",
    "Installer un logiciel sur les postes de la salle", "Rechercher efficacement des informations",
    "Faire de la bande dessinée numérique", "Animer le forum de l'ENT",
    "Sauvegarder son travail sur une clé USB ou dans le cloud",
    "Réaliser une visioconférence avec une classe partenaire", "Évaluer avec des QCM en ligne",
    "Faire rendre des devoirs par l'ENT", "Créer un site web de classe",
    "Imprimer depuis sa session", "Utiliser Moodle pour les devoirs à la maison",
    "Repérer les arnaques et le hameçonnage", "Faire coder un robot en mathématiques",
    "Générer des images avec une IA", "Préparer ses cours avec ChatGPT",
    "Prendre en main le tableau numérique interactif", "Réaliser des graphiques avec les élèves",
    "Utiliser LearningApps en langues", "Mutualiser des ressources sur Digipad",
    "Paramétrer les notifications de Tchap", "Découvrir la messagerie académique",
    "Créer un escape game pédagogique", "Utiliser la dictée vocale pour les élèves dys",
    "Adapter les documents pour les élèves à besoins particuliers",
    "Tenir un blog du voyage scolaire", "Filmer une expérience de sciences",
    "Utiliser e-sidoc au CDI", "Accompagner les élèves dans leur identité numérique",
)  # fmt: skip
# Needs nobody expressed in the seeded year: what the benchmark's teachers propose.
NEW_NEED_TEXTS = (
    "Faire découvrir la réalité virtuelle en histoire", "Programmer un micro:bit en physique",
    "Lancer une web radio au collège", "Monter un projet eTwinning avec une classe étrangère",
    "Retoucher des photos numériques en arts plastiques", "Piloter des drones en technologie",
)  # fmt: skip
SESSION_TIMES = (time(12, 30), time(13, 0), time(17, 0))
SESSION_PLACES = (None, "CDI", "B12", "informatique", "104")
NEED_COLUMNS = (
    "id", "establishment_id", "number", "text", "tags", "author", "created_at", "status",
    "status_at", "closed_by", "close_note",
)  # fmt: skip
SESSION_COLUMNS = (
    "need_id", "establishment_id", "starts_at", "place", "planned_by", "planned_at",
)  # fmt: skip


def seed_formation(s: Seeding) -> None:
    """Thirty to sixty training needs per establishment since September, with their support.

    Each need is supported by its author and by colleagues (a few for most, a
    crowd for some). Older needs were mostly handled: planned (a session took
    place or is coming), closed after their session, or forwarded to the DANE;
    recent ones are mostly open, and a few sessions lie in the weeks ahead.
    """
    need_rows, vote_rows, session_rows = [], [], []
    need_id = 0
    tags_of = {text: " ".join(suggest_tags(text)) for text in NEED_TEXTS}
    recent = s.now - timedelta(days=60)
    for e in s.establishments:
        people, referent = s.teachers[e.id], e.referents[0]
        count = s.rng.randint(30, 60)
        texts = s.rng.sample(NEED_TEXTS, count)
        created = sorted(s.during_class(d) for d in s.rng.choices(s.past_days, k=count))
        for number, (text, at) in enumerate(zip(texts, created, strict=True), 1):
            need_id += 1
            author = referent if s.rng.random() < 0.1 else s.rng.choice(people)
            fate = s.rng.choices(
                ("open", "planned", "closed", "dane"),
                (30, 17, 43, 10) if at < recent else (60, 28, 7, 5),
            )[0]
            status, status_at, closed_by, note = "open", None, None, None
            if fate in ("planned", "closed"):
                planned_at = s.before_now(at, at + timedelta(days=20))
                day = s.school_day_between(
                    planned_at.date() + timedelta(days=2), planned_at.date() + timedelta(days=25)
                )
                starts = datetime.combine(day, s.rng.choice(SESSION_TIMES), PARIS) if day else None
                if starts is not None:
                    place = s.rng.choice(SESSION_PLACES)
                    session_rows.append(
                        (need_id, e.id, to_stamp(starts), place, referent, to_stamp(planned_at))
                    )
                    status, status_at = "planned", planned_at
                    if fate == "closed" and starts + timedelta(days=1) < s.now:
                        status, closed_by = "closed", referent
                        status_at = s.before_now(
                            starts + timedelta(hours=2), starts + timedelta(days=10)
                        )
                        if s.rng.random() < 0.5:
                            note = f"session faite le {starts.day}/{starts.month}"
            elif fate == "dane":
                status, closed_by = "dane", referent
                status_at = s.before_now(at + timedelta(days=1), at + timedelta(days=30))
            changed = to_stamp(status_at) if status_at else None
            row = (need_id, e.id, number, text, tags_of[text], author, to_stamp(at), status)
            need_rows.append((*row, changed, closed_by, note))
            # Support: the author first, then a few colleagues (a crowd for some needs).
            vote_rows.append((need_id, author, to_stamp(at)))
            span = ((status_at if status != "open" else s.now) - at).total_seconds()
            others = [p for p in people if p != author]
            supporters = min(len(others), int(s.rng.expovariate(1 / 7)))
            for voter in s.rng.sample(others, supporters):  # the year's largest table: inlined
                voted = at + timedelta(seconds=int(span * s.rng.random()))
                vote_rows.append((need_id, voter, to_stamp(voted)))
    s.insert("training_needs", NEED_COLUMNS, need_rows)
    s.count_numbers("training_needs")
    s.insert("training_votes", ("need_id", "voter", "voted_at"), vote_rows)
    s.insert("training_sessions", SESSION_COLUMNS, session_rows)


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


def seed_veille(s: Seeding) -> None:
    """Eighty to a hundred and fifty shared links per establishment, numbered as shared.

    Shared by the referent (teachers may not share by default), most with a
    title read from the page, some with a comment and tags; a few were removed
    since, so numbers have gaps and the counter is past the last one. The
    full-text index is rebuilt from them at once, then its trigger put back.
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
    # The insert trigger indexes row by row (2 s here); one rebuild indexes them all at once.
    (trigger,) = s.db.conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'veille_items_ai'"
    ).fetchone()
    s.db.conn.execute("DROP TRIGGER veille_items_ai")
    s.insert("veille_items", WATCH_COLUMNS, item_rows)
    s.db.conn.execute("INSERT INTO veille_items_fts (veille_items_fts) VALUES ('rebuild')")
    s.db.conn.execute(trigger)
    s.insert("number_counters", ("family", "establishment_id", "scope", "last_number"), counters)


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
    "ticket_ref", "ticket_at", "resolved_at", "resolved_by",
)  # fmt: skip


def seed_panne(s: Seeding) -> None:
    """Sixty to a hundred and twenty breakdowns per establishment, most of them repaired.

    Reported by teachers (a few by the referent) and classified by the bot's
    own classifier; about half got a ticket on the local authority's portal.
    Old ones are nearly all repaired, within hours or weeks; the last fortnight's
    are often still open, so every list has some.
    """
    rows, incident_id = [], 0
    category_of: dict[str, str] = {}
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
            rows.append((*row, ticket, ticket_at, resolved_at, resolved_by))
    s.insert("incidents", INCIDENT_COLUMNS, rows)
    s.count_numbers("incidents")


SURVEY_TITLES = (
    "Usages du numérique en classe", "Besoins en équipement", "Bilan des tablettes",
    "ENT : votre avis", "Vos attentes de formation pour l'an prochain",
    "Permanences numériques : vos retours", None, None,
)  # fmt: skip
# Deadlines of the surveys still open at NOW: none tomorrow, whose reminder went out this morning.
OPEN_DEADLINES = (date(2027, 6, 18), date(2027, 6, 25), date(2027, 6, 30), date(2027, 7, 2))
SURVEY_COLUMNS = (
    "id", "establishment_id", "number", "title", "url", "audience", "opens_at", "deadline",
    "opened_by", "closed_at",
)  # fmt: skip


def seed_enquete(s: Seeding) -> None:
    """Three to six surveys per establishment, one or two still open, and who answered.

    Opened by the referent for everyone in the room; past ones ran two to five
    weeks (a few closed early), with a third to most of the teachers saying they
    answered; the open ones started in the last weeks and are still filling up.
    """
    survey_rows, answer_rows = [], []
    survey_id = 0
    spring = date(2027, 5, 1)
    for e in s.establishments:
        people, referent = s.teachers[e.id], e.referents[0]
        current = s.rng.randint(1, 2)
        past = s.rng.randint(3, 6) - current
        days = sorted(s.rng.sample([d for d in s.past_days if d < spring], past))
        days += sorted(s.rng.sample([d for d in s.past_days if d >= date(2027, 5, 17)], current))
        for number, day in enumerate(days, 1):
            survey_id += 1
            opens = s.during_class(day)
            if number <= past:
                deadline = min(day + timedelta(days=s.rng.randint(14, 35)), date(2027, 5, 28))
                share = s.rng.uniform(0.35, 0.85)
            else:
                deadline, share = s.rng.choice(OPEN_DEADLINES), s.rng.uniform(0.1, 0.5)
            closed = None
            if number <= past and s.rng.random() < 0.1:
                closed = datetime.combine(deadline - timedelta(days=3), time(18), PARIS)
            title = s.rng.choice(SURVEY_TITLES)
            slug = "-".join(fold_words(title or "enquete"))
            url = f"https://framaforms.org/{slug}-{s.rng.randrange(10**8)}"
            closed_at = to_stamp(closed) if closed else None
            row = (survey_id, e.id, number, title, url, "members", to_stamp(opens))
            survey_rows.append((*row, deadline.isoformat(), referent, closed_at))
            until = closed or datetime.combine(deadline, time(23, 59), PARIS)
            for user_id in s.rng.sample(people, round(share * len(people))):
                answered = s.before_now(opens, until)
                answer_rows.append((survey_id, user_id, to_stamp(answered)))
    s.insert("surveys", SURVEY_COLUMNS, survey_rows)
    s.count_numbers("surveys")
    s.insert("survey_answers", ("survey_id", "user_id", "answered_at"), answer_rows)


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


def seed_objectifs(s: Seeding) -> None:
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


def seed_lettre(s: Seeding) -> None:
    """The weekly newsletters sent since September, and what each one announced.

    One letter every school-week Friday at 16:00 (the default day and time) that
    had news: links shared since the previous letter, a survey not announced yet,
    a training session newly planned. Each letter has its ledger row and, for
    the last thirty days, its sent message in the outbox. Today's letter is
    not sent yet: at ``NOW`` the job owes it, with the week's news.
    """
    fridays = [
        datetime.combine(day, time(16), PARIS)
        for day in (YEAR_START + timedelta(days=n) for n in range((s.now.date() - YEAR_START).days))
        if day.weekday() == 4 and not is_school_holiday(day, ZONE)
    ]
    instants = [friday.timestamp() for friday in fridays]  # compared as numbers: faster
    # What each letter announced: a link, a survey or a session is news in the first
    # letter after it appeared, if it still stands then (a survey open, a session ahead).
    news: dict[tuple[str, int], list[tuple[str, int]]] = defaultdict(list)
    for item_id, eid, posted in s.db.execute(
        "SELECT id, establishment_id, posted_at FROM veille_items ORDER BY establishment_id, number"
    ):
        letter = bisect_left(instants, from_stamp(posted).timestamp())
        if letter < len(fridays):
            news[eid, letter].append(("veille", item_id))
    for survey_id, eid, opens, deadline, closed in s.db.execute(
        "SELECT id, establishment_id, opens_at, deadline, closed_at FROM surveys"
    ):
        letter = bisect_left(instants, from_stamp(opens).timestamp())
        at = fridays[letter] if letter < len(fridays) else None
        closes = from_stamp(closed) if closed else None
        if at and date.fromisoformat(deadline) >= at.date() and (closes is None or closes > at):
            news[eid, letter].append(("enquete", survey_id))
    for eid, number, starts, planned in s.db.execute(
        "SELECT s.establishment_id, n.number, s.starts_at, s.planned_at FROM training_sessions s"
        " JOIN training_needs n ON n.id = s.need_id"
    ):
        letter = bisect_left(instants, from_stamp(planned).timestamp())
        at = fridays[letter] if letter < len(fridays) else None
        if at and from_stamp(starts) >= at.replace(hour=0, minute=0):
            news[eid, letter].append(("formation-session", number))
    letters, items, ledger, outbox = [], [], [], []
    month_ago, letter_id = s.now - timedelta(days=30), 0
    for e in s.establishments:
        for index, at in enumerate(fridays):
            if (e.id, index) not in news:
                continue
            letter_id += 1
            period = at.strftime("%G-W%V")
            sent = at + timedelta(seconds=s.rng.randint(1, 20))
            as_of, sent_at = to_stamp(at), to_stamp(sent)
            letters.append((letter_id, e.id, period, as_of, sent_at))
            items += [(e.id, kind, item, letter_id) for kind, item in news[e.id, index]]
            ledger.append(("lettre", e.id, period, to_stamp(sent)))
            if sent >= month_ago:  # sent messages are kept 30 days
                txn = f"rupn-job-lettre-{e.id}-{period}"
                stamp = to_stamp(sent)
                message = ("Lettre d'information", "<p>Lettre d'information</p>", "[]", txn)
                outbox.append((e.id, *message, stamp, stamp, f"$seed-lettre-{letter_id}"))
    s.insert("newsletters", ("id", "establishment_id", "period", "as_of", "sent_at"), letters)
    s.insert("newsletter_items", ("establishment_id", "kind", "item_id", "letter_id"), items)
    s.insert("job_runs", ("job", "establishment_id", "period", "ran_at"), ledger)
    s.insert("outbox", OUTBOX_COLUMNS, outbox)


Seeder = Callable[[Seeding], None]
SEEDERS: dict[str, Seeder] = {
    "membres": seed_members,  # first: the others book, vote and post as these people
    "permanence": seed_permanence,
    "formation": seed_formation,
    "veille": seed_veille,
    "panne": seed_panne,
    "enquete": seed_enquete,
    "objectifs": seed_objectifs,
    "lettre": seed_lettre,  # last: letters announce the links, surveys and sessions above
}


# -- what the benchmarks type -------------------------------------------------------


@dataclass(frozen=True)
class Probe:
    """Lines one person of ``role`` types in a row, sharing the same placeholder values."""

    lines: tuple[str, ...]
    role: str = "teacher"  # "teacher", "referent" or "principal"
    burst: bool = True  # typed in the burst too (teachers' probes only)


COMMANDS: dict[str, list[Probe]] = {
    "aide": [
        Probe(("!aide",)),
        Probe(("!aide permanence",)),
        Probe(("!aide",), role="referent"),
    ],
    "permanence": [
        Probe(("!permanence",)),
        Probe(("!permanence réserver {slot} Pronote", "!permanence annuler {slot}")),
        Probe(("!permanence réserver {slot_date}", "!permanence annuler {slot}")),
        Probe(("!permanence mes",)),
        Probe(("!permanence ics",), burst=False),
        Probe(("!permanence ouvrir mercredi 16h10 45min 4 places CDI",), role="referent"),
        Probe(("!permanence fermer {slot}",), role="referent"),
    ],
    "formation": [
        Probe(("!formation",)),
        Probe(("!formation {new_need}",)),
        Probe(("!formation Utiliser Pronote pour le cahier de textes",)),
        Probe(("!formation +1 {need}", "!formation -1 {need}")),
        Probe(("!formation",), role="referent"),
        Probe(("!formation planifier {planned_need} jeudi 12h30 salle B12",), role="referent"),
    ],
    "veille": [
        Probe(("!veille",)),
        Probe(("!veille cherche {search}",)),
        # The page title is read on the web: bench/handling.py answers it at once.
        Probe(
            ("!veille {new_url} À lire avant le conseil pédagogique #ia", "!veille retirer {next}"),
            role="referent",
        ),
        Probe(("!veille {shared_url}",), role="referent"),  # already shared: refused, no fetch
    ],
    "panne": [
        Probe(
            (
                "!panne le vidéoprojecteur de la salle {room} ne s'allume plus",
                "!panne résolue {next}",
            )
        ),
        Probe(("!panne",)),
        Probe(("!panne",), role="referent"),
        Probe(("!panne ticket {open} GLPI-{ticket}",), role="referent"),
    ],
    "enquete": [
        Probe(("!enquete",)),
        Probe(("!enquete fait {survey}",)),
        Probe(("!enquete état",), role="referent"),
        Probe(
            (
                "!enquete ouvrir https://framaforms.org/usages-ent 30 juin Usages de l'ENT",
                "!enquete fermer {next}",
            ),
            role="referent",
        ),
        Probe(("!enquete état",), role="principal"),
    ],
    "objectifs": [
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
    ],
    "lettre": [
        Probe(("!lettre",), role="referent"),
        Probe(("!lettre aperçu",), role="referent"),  # the letter the job would send at NOW
        Probe(("!synthese",), role="principal"),  # the month so far, by direct message
    ],
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
}


def next_number_of(db, table: str, eid: str, scope: int = 0) -> str:
    """The number the next row of ``table`` will get (``storage.numbers``), as typed."""
    row = db.execute(
        "SELECT last_number FROM number_counters WHERE family = ? AND establishment_id = ?"
        " AND scope = ?",
        (table, eid, scope),
    ).fetchone()
    return str((row[0] if row else 0) + 1)


def values_permanence(db, eid: str, now: datetime, rng: random.Random) -> dict[str, str]:
    """An open slot of the next two weeks: its number and its date as people type it."""
    rows = db.execute(
        "SELECT number, starts_at FROM permanence_slots WHERE establishment_id = ?"
        " AND cancelled_at IS NULL AND starts_at > ? AND starts_at <= ?",
        (eid, to_stamp(now), to_stamp(now + timedelta(weeks=2))),
    ).fetchall()
    if not rows:
        return {"slot": "9999", "slot_date": "demain 10h"}
    number, starts_at = rng.choice(rows)
    starts = from_stamp(starts_at).astimezone(PARIS)
    return {"slot": str(number), "slot_date": f"{starts.day}/{starts.month} {starts:%Hh%M}"}


def values_formation(db, eid: str, now: datetime, rng: random.Random) -> dict[str, str]:
    """An open need to support, a planned one to move, and a need nobody expressed yet."""
    rows = db.execute(
        "SELECT n.number, n.status, s.starts_at FROM training_needs n"
        " LEFT JOIN training_sessions s ON s.need_id = n.id"
        " WHERE n.establishment_id = ? AND n.status IN ('open', 'planned')",
        (eid,),
    ).fetchall()
    opened = [number for number, status, _ in rows if status == "open"] or [9999]
    coming = [n for n, status, at in rows if status == "planned" and at >= to_stamp(now)]
    return {
        "need": str(rng.choice(opened)),
        "planned_need": str(rng.choice(coming or opened)),
        "new_need": rng.choice(NEW_NEED_TEXTS),
    }


def values_veille(db, eid: str, now: datetime, rng: random.Random) -> dict[str, str]:
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


def values_panne(db, eid: str, now: datetime, rng: random.Random) -> dict[str, str]:
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


def values_enquete(db, eid: str, now: datetime, rng: random.Random) -> dict[str, str]:
    """A survey open now, and the number the next survey will get."""
    rows = db.execute(
        "SELECT number, deadline >= ? AND closed_at IS NULL FROM surveys"
        " WHERE establishment_id = ?",
        (now.date().isoformat(), eid),
    ).fetchall()
    still_open = [number for number, running in rows if running] or [9999]
    return {
        "survey": str(rng.choice(still_open)),
        "next": next_number_of(db, "surveys", eid),
    }


def values_objectifs(db, eid: str, now: datetime, rng: random.Random) -> dict[str, str]:
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


Values = Callable[[sqlite_utils.Database, str, datetime, random.Random], dict[str, str]]
VALUES: dict[str, Values] = {
    "permanence": values_permanence,
    "formation": values_formation,
    "veille": values_veille,
    "panne": values_panne,
    "enquete": values_enquete,
    "objectifs": values_objectifs,
}


def sender_for(role: str, eid: str, rng: random.Random) -> str:
    """Someone of that role in the establishment (teachers from the seeded members)."""
    if role == "referent":
        return referent_of(eid)
    if role == "principal":
        return principal_of(eid)
    number = int(eid.rsplit("-", 1)[1])
    return f"@prof-{number:03d}-{rng.randint(1, TEACHERS_PER_ESTABLISHMENT):02d}:{SERVER}"


def fill(probe: Probe, family: str, db, eid: str, now: datetime, rng) -> list[str]:
    """The probe's lines with their placeholders replaced by live values."""
    values = VALUES[family](db, eid, now, rng) if family in VALUES else {}
    return [line.format(**values) for line in probe.lines]


# -- the cached file ---------------------------------------------------------------


def cache_key(count: int) -> str:
    """Changes whenever what the file would contain may change."""
    digest = hashlib.sha256(f"{count}|{NOW.isoformat()}|{','.join(SEEDERS)}".encode())
    modules = {inspect.getmodule(seeder) for seeder in SEEDERS.values()}
    for source in sorted(inspect.getsource(module) for module in modules):
        digest.update(source.encode())
    for _number, name, sql in available_migrations():
        digest.update(name.encode() + sql.encode())
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
    sync_establishments(
        db,
        [
            EstablishmentRow(e.id, e.name, e.room, e.zone, e.timezone, e.referents, e.principals)
            for e in config.establishments
        ],
        datetime.combine(YEAR_START, time(8), PARIS),
    )
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
