"""A simulated school year, 1 September 2026 to 7 July 2027 (zone B), through the real jobs.

The clock jumps from one scheduled time to the next, the way APScheduler calls
``Scheduler.run``, and people act in between: teachers arrive, the referent
shares links (a small « veille » family declared here, as the real one will
plug in), opens surveys, people say ``!enquete fait`` through the dispatcher.

The same year is then lived again with the scheduler stopped at random
points and a new one started on the same database (which catches up what
it missed). The activity is the same in both years: only the scheduler
stops. Both must send exactly the same messages, none twice, none missed.
"""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from jinja2 import ChoiceLoader, DictLoader

import commands.enquete
import commands.lettre
from bot.app import academy_surveys
from bot.core.config import parse_config
from bot.core.digest import SectionData, digest_figure, newsletter_section
from bot.core.registry import Registry
from bot.core.render import Renderer
from bot.core.scheduler import Scheduler, recipient_key
from bot.toolkit.calendar import is_school_day, is_school_holiday
from storage import migrate, open_database
from storage.enquete import sync_academy_surveys
from storage.establishments import EstablishmentRow, record_member, sync_establishments
from storage.ledger import runs
from tests.conftest import (
    MINIMAL_CONFIG,
    PARIS,
    PRINCIPAL,
    REFERENT,
    ChatHarness,
    RecordingMessenger,
)

START = datetime(2026, 9, 1, 0, 0, tzinfo=PARIS)
END = datetime(2027, 7, 7, 23, 59, tzinfo=PARIS)
SCHOOL = "clg-test"
# APScheduler calls a job a moment after its time.
LATENESS = timedelta(seconds=2)

TEACHERS = {
    "@paul.durand:localhost": ("Paul Durand", datetime(2026, 9, 3, 12, 41, tzinfo=PARIS)),
    "@amina.benali:localhost": ("Amina Benali", datetime(2026, 9, 8, 10, 5, tzinfo=PARIS)),
    "@luc.moreau:localhost": ("Luc Moreau", datetime(2026, 9, 15, 17, 22, tzinfo=PARIS)),
    "@ines.roux:localhost": ("Inès Roux", datetime(2026, 10, 1, 8, 13, tzinfo=PARIS)),
    # Arrives while the first survey is open: reminded from the next Monday on.
    "@hugo.petit:localhost": ("Hugo Petit", datetime(2026, 11, 25, 13, 7, tzinfo=PARIS)),
}
PAUL, AMINA, LUC, INES, HUGO = TEACHERS
ACADEMY_SURVEY = {
    "title": "Enquête annuelle des RUPN",
    "url": "https://enquetes.ac-exemple.fr/rupn-2027",
    "opens": date(2027, 6, 1),
    "deadline": date(2027, 6, 30),
}


def t(y, m, d, hour, minute) -> datetime:
    return datetime(y, m, d, hour, minute, tzinfo=PARIS)


# The surveys of the year: number (the academy one is synced first) → what the oracle needs.
@dataclass(frozen=True)
class PlannedSurvey:
    number: int
    opened: datetime
    deadline: date
    referents_only: bool = False


SURVEYS = {
    1: PlannedSurvey(1, t(2027, 6, 1, 0, 0), date(2027, 6, 30), referents_only=True),
    2: PlannedSurvey(2, t(2026, 11, 16, 10, 17), date(2026, 12, 9)),
    3: PlannedSurvey(3, t(2027, 2, 3, 10, 17), date(2027, 3, 10)),
    4: PlannedSurvey(4, t(2027, 4, 7, 14, 3), date(2027, 4, 21)),
}
SAYINGS = [
    (
        t(2026, 11, 16, 10, 17),
        REFERENT,
        "!enquete ouvrir https://framaforms.org/equipement 9 décembre Équipement des salles",
    ),
    (t(2026, 11, 18, 12, 31), AMINA, "!enquete fait"),
    (t(2026, 11, 23, 9, 30), PAUL, "!enquete fait"),  # right after the first reminder
    (t(2026, 12, 3, 16, 49), LUC, "!enquete fait 2"),
    (
        t(2027, 2, 3, 10, 17),
        REFERENT,
        "!enquete ouvrir https://framaforms.org/usages 10/03/2027 Usages du numérique",
    ),
    (t(2027, 2, 8, 9, 1), INES, "!enquete fait"),
    (t(2027, 2, 15, 8, 59), HUGO, "!enquete fait"),
    (t(2027, 3, 8, 18, 0), PRINCIPAL, "!enquete fait"),
    (
        t(2027, 4, 7, 14, 3),
        REFERENT,
        "!enquete ouvrir https://framaforms.org/printemps 21 avril",
    ),  # its deadline falls in the spring holidays
    (t(2027, 6, 16, 11, 3), REFERENT, "!enquete fait 1"),
]
# Who said « fait » for which survey, and when (for the oracle).
ANSWERS = {
    2: {AMINA: SAYINGS[1][0], PAUL: SAYINGS[2][0], LUC: SAYINGS[3][0]},
    3: {INES: SAYINGS[5][0], HUGO: SAYINGS[6][0], PRINCIPAL: SAYINGS[7][0]},
    4: {},
    1: {REFERENT: SAYINGS[9][0]},
}


# -- a small veille family, as the real one will declare it -----------------------------


@newsletter_section("essai-veille", order=10)
def new_links(db, establishment, window):
    seen = window.already_included("veille")
    fresh = [
        (i, title)
        for i, title, created in db.execute("SELECT id, title, created_at FROM essai_veille")
        if i not in seen and datetime.fromisoformat(created) <= window.now
    ]
    if not fresh:
        return None
    return SectionData(
        "essai/veille", {"titles": [x for _, x in fresh]}, items={"veille": [i for i, _ in fresh]}
    )


@digest_figure("essai-veille", label="Liens de veille partagés", order=10)
def links_shared(db, establishment, periods):
    created = [
        datetime.fromisoformat(c) for (c,) in db.execute("SELECT created_at FROM essai_veille")
    ]
    return [sum(start <= c < end for c in created) for start, end in periods]


def planned_links() -> list[datetime]:
    """Links shared along the year: some weeks none, some several, some in the holidays."""
    rng = random.Random(2026)
    links, monday = [], date(2026, 8, 31)
    while monday < END.date():
        for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
            day = monday + timedelta(days=rng.randrange(7))
            links.append(t(day.year, day.month, day.day, rng.randrange(7, 22), rng.randrange(60)))
        monday += timedelta(days=7)
    return sorted(link for link in links if START < link < END)


LINKS = planned_links()


# -- one year ---------------------------------------------------------------------


def year_registry() -> Registry:
    """The real letter and survey families, and the veille family above."""
    return Registry.from_modules([commands.lettre, commands.enquete, sys.modules[__name__]])


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


@dataclass
class Year:
    messages: list[tuple]
    posted: int
    ledger: dict[str, list[str]]
    caught_up: int


def fire_times(registry, school) -> list[tuple[datetime, object]]:
    """Every scheduled time of every job in the year, as APScheduler would fire them."""
    fires = []
    for item in registry.jobs:
        trigger = item.trigger(school)
        cursor = trigger.get_next_fire_time(None, START)
        while cursor is not None and cursor <= END:
            fires.append((cursor, item))
            cursor = trigger.get_next_fire_time(cursor, cursor + timedelta(seconds=1))
    return fires


async def live(tmp_path, name: str, downtimes=()) -> Year:
    raw = {**MINIMAL_CONFIG, "survey": [ACADEMY_SURVEY]}
    config = parse_config(raw, tmp_path)
    school = config.establishments[0]
    db = open_database(tmp_path / f"{name}.db")
    migrate(db)
    row = EstablishmentRow(
        school.id,
        school.name,
        school.room,
        school.zone,
        school.timezone,
        school.referents,
        school.principals,
    )
    sync_establishments(db, [row], START)
    sync_academy_surveys(db, school.id, academy_surveys(config, school), START)
    db.execute("CREATE TABLE essai_veille (id INTEGER PRIMARY KEY, title TEXT, created_at TEXT)")

    registry = year_registry()
    renderer = Renderer()
    template = "**Veille**\n{% for title in titles %}\n- {{ title }}\n{% endfor %}\n"
    renderer.env.loader = ChoiceLoader(
        [renderer.env.loader, DictLoader({"essai/veille.md.j2": template})]
    )
    clock = Clock(START)
    chat = ChatHarness(config, db, RecordingMessenger(), registry, renderer, START)

    def new_scheduler():
        return Scheduler(registry.jobs, config, db, renderer, clock, registry=registry)

    # (time, order, kind, payload): a restart at a fire time comes first, then the fire.
    timeline = [(when, 1, "fire", item) for when, item in fire_times(registry, school)]
    timeline += [(when, 2, "arrive", user) for user, (_, when) in TEACHERS.items()]
    timeline += [(when, 2, "link", i) for i, when in enumerate(LINKS)]
    timeline += [(when, 2, "say", (user, text)) for when, user, text in SAYINGS]
    for down, up in downtimes:
        timeline += [(down, 0, "down", None), (up, 0, "up", None)]
    timeline.sort(key=lambda e: (e[0], e[1]))

    scheduler, running, posted, caught_up = new_scheduler(), True, 0, 0
    for when, _, kind, payload in timeline:
        clock.now = when
        if kind == "down":
            running = False
        elif kind == "up":
            scheduler, running = new_scheduler(), True
            caught = await scheduler.catch_up()
            posted, caught_up = posted + caught, caught_up + caught
        elif kind == "fire" and running:
            clock.now = when + LATENESS
            posted += await scheduler.run(payload, school)
        elif kind == "arrive":
            name_, _ = TEACHERS[payload]
            record_member(db, SCHOOL, payload, "teacher", when, display_name=name_)
        elif kind == "link":
            db.execute(
                "INSERT INTO essai_veille (title, created_at) VALUES (?, ?)",
                (f"Lien n° {payload + 1}", when.isoformat()),
            )
        elif kind == "say":
            await chat.say(*payload, now=when)

    messages = sorted(
        db.execute("SELECT txn_id, room_id, dm_user, body, html, mentions FROM outbox").fetchall()
    )
    ledger = {job: runs(db, job, SCHOOL) for job in ("lettre", "synthese", "enquete")}
    db.close()
    return Year(messages, posted, ledger, caught_up)


def of_job(year: Year, job: str) -> dict[str, tuple]:
    prefix = f"rupn-job-{job}-{SCHOOL}-"
    return {m[0].removeprefix(prefix): m for m in year.messages if m[0].startswith(prefix)}


# -- what the year should have been, from the rules stated plainly --------------------


def expected_letter_weeks() -> list[str]:
    """Fridays at 16:00 outside school holidays, with a link or a room survey not announced yet."""
    weeks, announced_links, announced_surveys = [], 0, set()
    friday = t(2026, 9, 4, 16, 0)
    while friday <= END:
        links = sum(1 for link in LINKS if link <= friday)
        open_now = {
            n
            for n, s in SURVEYS.items()
            if not s.referents_only and s.opened <= friday and s.deadline >= friday.date()
        }
        fresh = links > announced_links or open_now - announced_surveys
        if fresh and not is_school_holiday(friday.date(), "B"):
            weeks.append(friday.strftime("%G-W%V"))
            announced_links, announced_surveys = links, announced_surveys | open_now
        friday += timedelta(days=7)
    return weeks


def expected_reminders() -> dict[str, set[str]]:
    """Reminder key (``<survey>-<day>``) → who it mentions."""
    people = {REFERENT: START, PRINCIPAL: START} | {u: when for u, (_, when) in TEACHERS.items()}
    expected = {}
    day = START.date()
    while day <= END.date():
        at = t(day.year, day.month, day.day, 9, 0)
        for number, survey in SURVEYS.items():
            left = (survey.deadline - day).days
            due = left == 1 or (
                left > 1 and day.weekday() == 0 and (left <= 2 or is_school_day(day, "B"))
            )
            if not due or survey.opened > at:
                continue
            audience = [REFERENT] if survey.referents_only else people
            who = {
                u
                for u in audience
                if people[u] <= at and not (u in ANSWERS[number] and ANSWERS[number][u] <= at)
            }
            if who:
                expected[f"{number}-{day.isoformat()}"] = who
        day += timedelta(days=1)
    return expected


def downtimes(fires: list[datetime], seed: int) -> list[tuple[datetime, datetime]]:
    """Random stops: half just before a scheduled time (the clock jumps past it), half anywhere."""
    rng = random.Random(seed)
    chosen = [
        # Named ones: a Friday letter caught up on Saturday morning, a digest on the 1st,
        # a Monday reminder caught up after someone said « fait » at 9:30.
        (t(2026, 11, 27, 15, 30), t(2026, 11, 28, 10, 0)),
        (t(2026, 12, 1, 7, 0), t(2026, 12, 1, 12, 0)),
        (t(2026, 11, 23, 8, 30), t(2026, 11, 23, 10, 0)),
    ]
    for fire in rng.sample(fires, 40):
        down = fire - timedelta(minutes=rng.randrange(1, 180))
        chosen.append((down, fire + timedelta(minutes=rng.randrange(1, 300))))
    for _ in range(20):
        down = START + timedelta(minutes=rng.randrange(int((END - START).total_seconds() // 60)))
        chosen.append((down, down + timedelta(minutes=rng.randrange(10, 360))))
    chosen.sort()
    kept = [chosen[0]]
    for down, up in chosen[1:]:
        if down > kept[-1][1]:
            kept.append((down, up))
    return kept


# -- the tests --------------------------------------------------------------------


async def test_a_simulated_school_year_and_the_same_year_with_restarts(tmp_path):
    year = await live(tmp_path, "sans-arret")

    # Nothing decided twice: every queued message is a distinct one.
    assert year.posted == len(year.messages)

    letters = of_job(year, "lettre")
    assert sorted(letters) == expected_letter_weeks()
    assert len(letters) > 20
    for week in letters:
        friday = datetime.strptime(f"{week}-5", "%G-W%V-%u").date()
        assert not is_school_holiday(friday, "B")
    assert year.ledger["lettre"] == expected_letter_weeks()

    digests = of_job(year, "synthese")
    assert len(digests) == 10
    assert year.ledger["synthese"] == [f"{m:%Y-%m}" for m in months(2026, 9, 2027, 6)]
    names = [n for n, _ in TEACHERS.values()] + [*TEACHERS, REFERENT, PRINCIPAL]
    for _, room_id, dm_user, body, html, mentions in digests.values():
        assert (room_id, dm_user, mentions) == (None, PRINCIPAL, "[]")
        assert "@" not in body + html and not any(n in body + html for n in names)
    assert "Liens de veille partagés" in digests[f"2026-10-{recipient_key(PRINCIPAL)}"][3]

    # Each person reminded privately; the room told how many, naming nobody.
    reminders: dict[str, set[str]] = {}
    for key, m in of_job(year, "enquete").items():
        if m[2] is None:
            assert m[5] == "[]" and "@" not in m[3], key
        else:
            reminders.setdefault(key.rsplit("-", 1)[0], set()).add(m[2])
    assert reminders == expected_reminders()
    assert sorted(k for k in reminders if k.startswith("2-")) == [
        "2-2026-11-23",
        "2-2026-11-30",
        "2-2026-12-07",
        "2-2026-12-08",
    ]
    assert sorted(k for k in reminders if k.startswith("3-")) == [
        "3-2027-02-08",
        "3-2027-02-15",
        "3-2027-03-08",
        "3-2027-03-09",
    ]
    # Spring holidays from 17 April: the Monday two days before the deadline still reminds.
    assert sorted(k for k in reminders if k.startswith("4-")) == [
        "4-2027-04-12",
        "4-2027-04-19",
        "4-2027-04-20",
    ]
    assert sorted(k for k in reminders if k.startswith("1-")) == ["1-2027-06-07", "1-2027-06-14"]
    assert reminders["1-2027-06-07"] == {REFERENT}

    school = parse_config(MINIMAL_CONFIG, tmp_path).establishments[0]
    stops = downtimes([when for when, _ in fire_times(year_registry(), school)], seed=7)
    again = await live(tmp_path, "avec-redemarrages", stops)
    assert again.caught_up > 0
    assert again.posted == len(again.messages)
    assert again.messages == year.messages
    assert again.ledger == year.ledger


def months(y1, m1, y2, m2):
    current = date(y1, m1, 1)
    while current <= date(y2, m2, 1):
        yield current
        current = date(current.year + current.month // 12, current.month % 12 + 1, 1)
