"""Seeded members: forty teachers per establishment who used the bot, and their commands."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from bench.seed.academy import PARIS, SERVER
from bench.seed.seeding import Seeding
from storage.stamps import to_stamp

_FIRST = (
    "Camille", "Julien", "Sophie", "Nicolas", "Claire", "Thomas", "Émilie", "Antoine", "Laure",
    "Mathieu", "Hélène", "Karim", "Nadia", "Yann", "Gaëlle", "Olivier", "Inès", "Loïc",
)  # fmt: skip
_LAST = (
    "Martin", "Bernard", "Le Goff", "Dubois", "Moreau", "Laurent", "Simon", "Michel", "Lefèvre",
    "Garcia", "Bertrand", "Roux", "Fournier", "Morel", "Girard", "Guéguen", "Le Roux", "Benali",
)  # fmt: skip


def seed(s: Seeding) -> None:
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
