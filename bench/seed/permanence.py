"""Seeded permanences: weekly series, their slots since September, bookings and reminders."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from bench.seed.academy import PARIS, YEAR_START
from bench.seed.seeding import OUTBOX_COLUMNS, Probe, Seeding
from storage.stamps import from_stamp, to_stamp

_SUBJECTS = (None, None, "Pronote", "ENT", "tableau numérique", "Capytale", "tablettes", "PIX")
# What referents note they covered beyond the subjects people booked with.
_TOPICS = ("classe virtuelle", "cahier de textes", "QCM", "sauvegarde", "mots de passe")

SERIES_COLUMNS = (
    "id", "establishment_id", "weekday", "start_time", "duration_minutes", "capacity", "place",
    "opened_by", "opened_at",
)  # fmt: skip
SLOT_COLUMNS = (
    "id", "establishment_id", "series_id", "number", "starts_at", "ends_at", "capacity", "place",
    "cancelled_at", "cancelled_by",
)  # fmt: skip


def seed(s: Seeding) -> None:
    """Two weekly series per establishment since September, their slots and bookings.

    One series on a day from Monday to Thursday at lunch time, one on Friday at
    17:00. Slots exist up to four weeks ahead, as the calendar job keeps them;
    past slots were booked (with waitlists and cancellations), reminded (the
    referents got their recap) and mostly recorded: who came, what was covered;
    upcoming ones have seats left. Today's 17:00 slot has people booked and is
    not reminded yet, so a scheduler run at ``NOW`` owes one message per
    establishment: the same shape as the newsletter.
    """
    series_rows, slot_rows, booking_rows, ledger_rows, outbox_rows = [], [], [], [], []
    record_rows, attendance_rows = [], []
    # Its own draws: the records leave every other seeded row as it was.
    noted = random.Random(22)
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
            booked, seated = 0, []
            for user_id in s.rng.sample(people, wanted):
                booking_id += 1
                status = "booked" if booked < capacity else "waiting"
                if past and s.rng.random() < 0.1:
                    status = "cancelled"
                booked += status == "booked"
                stamp = to_stamp(starts - timedelta(days=s.rng.randint(1, 6)))
                subject = s.rng.choice(_SUBJECTS)
                booking_rows.append((booking_id, slot_id, user_id, subject, status, stamp, stamp))
                if status == "booked":
                    seated.append((user_id, subject))
            if past and not cancelled and noted.random() < (0.85 if booked else 0.4):
                present = [(u, subject) for u, subject in seated if noted.random() < 0.85]
                topics = list(dict.fromkeys(subject for _, subject in present if subject))
                if present and noted.random() < 0.5:
                    topics.append(noted.choice(_TOPICS))
                stamp = to_stamp(starts + timedelta(minutes=minutes, hours=1))
                record_rows.append((slot_id, ", ".join(topics) or None, referent, stamp))
                attendance_rows += [(slot_id, user_id, stamp) for user_id, _ in present]
            if past and booked and not cancelled:
                key = f"creneau-{slot_id}"
                reminded = starts - timedelta(hours=2)
                ledger_rows.append(("permanence-rappel", e.id, key, to_stamp(reminded)))
                ledger_rows.append(("permanence-preparation", e.id, key, to_stamp(reminded)))
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
    s.insert("permanence_records", ("slot_id", "topics", "recorded_by", "recorded_at"), record_rows)
    s.insert("permanence_attendance", ("slot_id", "user_id", "recorded_at"), attendance_rows)
    s.insert("job_runs", ("job", "establishment_id", "period", "ran_at"), ledger_rows)
    s.insert(
        "outbox",
        OUTBOX_COLUMNS,
        outbox_rows,
    )


PROBES: list[Probe] = [
    Probe(("!permanence",)),
    Probe(("!permanence réserver {slot} Pronote", "!permanence annuler {slot}")),
    Probe(("!permanence réserver {slot_date}", "!permanence annuler {slot}")),
    Probe(("!permanence mes",)),
    Probe(("!permanence ics",), burst=False),
    Probe(("!permanence ouvrir mercredi 16h10 45min 4 places CDI",), role="referent"),
    Probe(("!permanence fermer {slot}",), role="referent"),
    Probe(("!permanence fait {past_slot} Pronote, ENT",), role="referent"),
    Probe(("!permanence fait {past_slot} personne",), role="referent"),
]


def values(db, eid: str, now: datetime, rng: random.Random) -> dict[str, str]:
    """An open slot of the next two weeks: its number and its date as people type it;
    a slot held in the last month, to record."""
    rows = db.execute(
        "SELECT number, starts_at FROM permanence_slots WHERE establishment_id = ?"
        " AND cancelled_at IS NULL AND starts_at > ? AND starts_at <= ?",
        (eid, to_stamp(now), to_stamp(now + timedelta(weeks=2))),
    ).fetchall()
    held = db.execute(
        "SELECT number FROM permanence_slots WHERE establishment_id = ?"
        " AND cancelled_at IS NULL AND starts_at > ? AND starts_at <= ?",
        (eid, to_stamp(now - timedelta(days=30)), to_stamp(now)),
    ).fetchall()
    past = {"past_slot": str(rng.choice(held)[0]) if held else "9999"}
    if not rows:
        return {"slot": "9999", "slot_date": "demain 10h"} | past
    number, starts_at = rng.choice(rows)
    starts = from_stamp(starts_at).astimezone(PARIS)
    return {"slot": str(number), "slot_date": f"{starts.day}/{starts.month} {starts:%Hh%M}"} | past
