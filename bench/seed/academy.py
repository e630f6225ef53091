"""The académie the benchmarks run on: its establishments, people and configuration."""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.core.config import Config, parse_config
from bot.toolkit.uai import check_letter

PARIS = ZoneInfo("Europe/Paris")
ESTABLISHMENTS = 430
ZONE = "B"  # one académie, one holiday zone
# A school Friday at 16:00: the newsletter's hour; a year of data lies behind it.
NOW = datetime(2027, 6, 11, 16, 0, tzinfo=PARIS)
YEAR_START = date(2026, 9, 1)
GENERATED_AHEAD = timedelta(weeks=4)  # as commands/permanence.py keeps ahead
TEACHERS_PER_ESTABLISHMENT = 40
SERVER = "localhost"


# The academy's June survey of the referents (``[[survey]]`` in ``academy.py``): in 2016,
# 222 of 430 referents answered; about as many have said so this year by NOW.
ACADEMY_SURVEY = {
    "title": "Enquête annuelle des RUPN",
    "url": "https://enquetes.example.org/rupn-2027",
    "opens": "2027-06-01",
    "deadline": "2027-06-30",
    "audience": "referents",
}


# The academy's room and its adviser (``bot.admins``), where the academy's views are typed.
ACADEMY_ROOM = "!bench-academie"
ACADEMY_ADMIN = f"@conseiller-dane:{SERVER}"


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
# Each town is the seat of its bassin; its département names the collèges' local
# authority, its région the lycées'.
_DEPARTEMENT_OF = {
    "Rennes": "35", "Nantes": "44", "Angers": "49", "Le Mans": "72", "Brest": "29",
    "Quimper": "29", "Vannes": "56", "Lorient": "56", "Laval": "53", "Saint-Brieuc": "22",
    "Cholet": "49", "Saint-Nazaire": "44", "Lannion": "22", "Vitré": "35", "Fougères": "35",
    "Redon": "35",
}  # fmt: skip
_DEPARTEMENTS = {
    "22": ("des Côtes-d'Armor", "Bretagne"), "29": ("du Finistère", "Bretagne"),
    "35": ("d'Ille-et-Vilaine", "Bretagne"), "56": ("du Morbihan", "Bretagne"),
    "44": ("de Loire-Atlantique", "Pays de la Loire"),
    "49": ("de Maine-et-Loire", "Pays de la Loire"),
    "53": ("de la Mayenne", "Pays de la Loire"), "72": ("de la Sarthe", "Pays de la Loire"),
}  # fmt: skip


def identity_of(index: int, name: str) -> dict[str, str]:
    """The UAI, bassin and local authority of the establishment ``name`` (« Kind Name — Town »)."""
    town = name.rsplit(" — ", 1)[1]
    departement = _DEPARTEMENT_OF[town]
    of_departement, region = _DEPARTEMENTS[departement]
    digits = f"0{departement}{index:04d}"
    return {
        "uai": digits + check_letter(digits),
        "bassin": town,
        "collectivite": (
            f"Département {of_departement}" if name.startswith("Collège") else f"Région {region}"
        ),
    }


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
            | identity_of(index, name)
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
        # The bench measures speed: its clients type hundreds of commands a minute
        # each, which the per-person budget would rightly stop.
        "bot": {
            "database": str(database),
            "commands_per_minute": 0,
            "admins": [ACADEMY_ADMIN],
            **(bot or {}),
        },
        "academy": {"room": ACADEMY_ROOM, "name": "Académie de Rennes"},
        "establishment": establishments,
        "survey": [dict(ACADEMY_SURVEY)],
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


def sender_for(role: str, eid: str, rng: random.Random) -> str:
    """Someone of that role in the establishment (teachers from the seeded members);
    an admin is the academy's adviser."""
    if role == "admin":
        return ACADEMY_ADMIN
    if role == "referent":
        return referent_of(eid)
    if role == "principal":
        return principal_of(eid)
    number = int(eid.rsplit("-", 1)[1])
    return f"@prof-{number:03d}-{rng.randint(1, TEACHERS_PER_ESTABLISHMENT):02d}:{SERVER}"
