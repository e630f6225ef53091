"""Seeded surveys: a few per establishment over the year, one or two still open, and answers."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from bench.seed.academy import ACADEMY_SURVEY, PARIS
from bench.seed.seeding import Probe, Seeding, next_number_of
from bot.toolkit.text import fold_words
from storage.stamps import to_stamp

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


def seed(s: Seeding) -> None:
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
    academy_rows, academy_answers = _academy_survey(s, survey_id)
    s.insert("surveys", (*SURVEY_COLUMNS, "academy_key"), academy_rows)
    s.count_numbers("surveys")
    s.insert("survey_answers", ("survey_id", "user_id", "answered_at"), answer_rows)
    s.insert("survey_answers", ("survey_id", "user_id", "answered_at"), academy_answers)


def _academy_survey(s: Seeding, last_id: int) -> tuple[list[tuple], list[tuple]]:
    """One row of the academy survey per establishment, after its own surveys, and the
    referents who said they answered. A chance of its own: the other seeders draw the
    same values as before it existed."""
    rng = random.Random(2016)
    opens = datetime.combine(date.fromisoformat(ACADEMY_SURVEY["opens"]), time(0), PARIS)
    rows, answers = [], []
    for offset, e in enumerate(s.establishments, 1):
        survey_id = last_id + offset
        (last,) = s.db.execute(
            "SELECT coalesce(max(number), 0) FROM surveys WHERE establishment_id = ?", (e.id,)
        ).fetchone()
        number = last + 1
        rows.append(
            (survey_id, e.id, number, ACADEMY_SURVEY["title"], ACADEMY_SURVEY["url"],
             "referents", to_stamp(opens), ACADEMY_SURVEY["deadline"], None, None,
             ACADEMY_SURVEY["url"])
        )  # fmt: skip
        if rng.random() < 0.52:
            answered = opens + (s.now - opens) * rng.random()
            answers.append((survey_id, e.referents[0], to_stamp(answered)))
    return rows, answers


PROBES: list[Probe] = [
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
]


def values(db, eid: str, now: datetime, rng: random.Random) -> dict[str, str]:
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
