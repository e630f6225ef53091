"""The newsletter and digest frameworks, with two small families declared here.

« essai-veille » stands for a family with news (links shared by the referent);
« essai-creneaux » for a standing reminder (next week's permanences); the
figures count links and breakdowns by category. Their tables are created by
the tests: the real families plug in the same way.
"""

from __future__ import annotations

import sys
from datetime import date, datetime

import pytest
from jinja2 import ChoiceLoader, DictLoader

import commands.enquete
import commands.lettre
from bot.core.digest import (
    SectionData,
    compose_digest,
    compose_letter,
    digest_figure,
    month_has_school_day,
    newsletter_section,
    render_digest,
    sparkline,
)
from bot.core.registry import Registry
from bot.core.render import Renderer
from bot.core.scheduler import Scheduler
from commands.lettre import monthly_digest, weekly_letter
from storage.establishments import record_member
from storage.ledger import runs
from storage.lettre import letter_periods
from tests.conftest import PARIS, PRINCIPAL, TEACHER
from tests.support.reading import as_read, queued_as_read

TEMPLATES = {
    "essai/veille.md.j2": ("**Veille**\n{% for title in titles %}\n- {{ title }}\n{% endfor %}\n"),
    "essai/creneaux.md.j2": "**Permanences numériques à venir** : {{ count }} créneau(x)\n",
}


@newsletter_section("essai-veille", order=10)
def new_links(db, establishment, window):
    seen = window.already_included("veille")
    rows = db.execute(
        "SELECT id, title, created_at FROM essai_veille WHERE establishment_id = ? ORDER BY id",
        (establishment.id,),
    ).fetchall()
    fresh = [
        (i, title)
        for i, title, created in rows
        if i not in seen and datetime.fromisoformat(created) <= window.now
    ]
    if not fresh:
        return None
    return SectionData(
        "essai/veille", {"titles": [t for _, t in fresh]}, items={"veille": [i for i, _ in fresh]}
    )


@newsletter_section("essai-creneaux", order=20)
def upcoming_slots(db, establishment, window):
    (count,) = db.execute("SELECT count(*) FROM essai_creneaux").fetchone()
    return SectionData("essai/creneaux", {"count": count}, news=False) if count else None


@digest_figure("essai-veille", label="Liens de veille partagés", order=10)
def links_shared(db, establishment, periods):
    created = [
        datetime.fromisoformat(c) for (c,) in db.execute("SELECT created_at FROM essai_veille")
    ]
    return [sum(start <= c < end for c in created) for start, end in periods]


@digest_figure("essai-pannes", label="Pannes signalées", order=20)
def breakdowns(db, establishment, periods):
    rows = db.execute("SELECT category, created_at FROM essai_pannes").fetchall()
    counts: list[dict[str, int]] = [{} for _ in periods]
    for by_category, (start, end) in zip(counts, periods, strict=True):
        for category, created in rows:
            if start <= datetime.fromisoformat(created) < end:
                by_category[category] = by_category.get(category, 0) + 1
    return counts


class Clock:
    def __init__(self, now=None):
        self.now = now

    def __call__(self):
        return self.now


def at(y, m, d, hour=16, minute=0):
    return datetime(y, m, d, hour, minute, tzinfo=PARIS)


@pytest.fixture
def family_registry():
    return Registry.from_modules([commands.lettre, commands.enquete, sys.modules[__name__]])


@pytest.fixture
def family_renderer():
    renderer = Renderer()
    renderer.env.loader = ChoiceLoader([renderer.env.loader, DictLoader(TEMPLATES)])
    return renderer


@pytest.fixture
def tables(db):
    db.execute(
        "CREATE TABLE essai_veille (id INTEGER PRIMARY KEY, establishment_id TEXT,"
        " title TEXT, created_at TEXT)"
    )
    db.execute("CREATE TABLE essai_creneaux (id INTEGER PRIMARY KEY)")
    db.execute("CREATE TABLE essai_pannes (category TEXT, created_at TEXT)")
    return db


def add_link(db, title, when):
    db.execute(
        "INSERT INTO essai_veille (establishment_id, title, created_at) VALUES ('clg-test', ?, ?)",
        (title, when.isoformat()),
    )


def add_breakdown(db, category, when):
    db.execute("INSERT INTO essai_pannes VALUES (?, ?)", (category, when.isoformat()))


@pytest.fixture
def letters(config, tables, family_renderer, family_registry):
    """Run the weekly letter job at any instant: ``await letters(at(...))``."""
    clock = Clock()
    scheduler = Scheduler(
        [weekly_letter], config, tables, family_renderer, clock, registry=family_registry
    )

    async def run(when, scheduled_for=None):
        clock.now = when
        return await scheduler.run(weekly_letter, config.establishments[0], scheduled_for)

    return run


def bodies(db):
    return [m.body for m in queued_as_read(db)]


# -- registry ------------------------------------------------------------------------


def test_the_registry_collects_sections_and_figures_from_modules(family_registry):
    assert [s.name for s in family_registry.sections] == [
        "enquetes",
        "essai-veille",
        "essai-creneaux",
    ]
    assert [f.name for f in family_registry.figures] == ["enquetes", "essai-veille", "essai-pannes"]


def test_a_section_declared_twice_is_a_programming_error():
    with pytest.raises(ValueError, match="newsletter section 'essai-veille' declared twice"):
        Registry([], sections=[new_links, new_links])


# -- newsletter ------------------------------------------------------------------------


def test_no_letter_when_nothing_is_new_even_with_standing_sections(
    config, tables, family_renderer, family_registry
):
    tables.execute("INSERT INTO essai_creneaux DEFAULT VALUES")
    school = config.establishments[0]
    letter = compose_letter(
        tables, school, family_registry.sections, family_renderer, at=at(2026, 11, 27), prefix="!"
    )
    assert letter is None


def test_sections_appear_in_order_and_name_what_they_show(
    config, tables, family_renderer, family_registry
):
    tables.execute("INSERT INTO essai_creneaux DEFAULT VALUES")
    add_link(tables, "Le numérique responsable", at(2026, 11, 24, 10))
    school = config.establishments[0]
    letter = compose_letter(
        tables, school, family_registry.sections, family_renderer, at=at(2026, 11, 27), prefix="!"
    )
    assert letter.sections == ("essai-veille", "essai-creneaux")
    assert letter.items == {"veille": (1,)}
    body = letter.message.body
    assert body.startswith("**Lettre d'information numérique du collège Test**")
    assert body.index("Le numérique responsable") < body.index("Permanences numériques à venir")
    assert "<li>Le numérique responsable</li>" in letter.message.html


async def test_an_item_is_announced_in_one_letter_only(tables, letters):
    add_link(tables, "Premier lien", at(2026, 11, 24, 10))
    assert await letters(at(2026, 11, 27)) == 1
    assert await letters(at(2026, 12, 4)) == 0  # nothing new: nothing sent
    add_link(tables, "Second lien", at(2026, 12, 8, 10))
    assert await letters(at(2026, 12, 11)) == 1
    first, second = bodies(tables)
    assert "Premier lien" in first and "Premier lien" not in second and "Second lien" in second
    assert letter_periods(tables, "clg-test") == ["2026-W48", "2026-W50"]


async def test_no_letter_in_the_holidays_and_what_waited_comes_after(tables, letters):
    # Toussaint holidays (zone B): 17 October to 1 November 2026.
    add_link(tables, "Lien des vacances", at(2026, 10, 20, 10))
    assert await letters(at(2026, 10, 23)) == 0
    assert await letters(at(2026, 10, 30)) == 0
    assert await letters(at(2026, 11, 6)) == 1
    assert "Lien des vacances" in bodies(tables)[0]


async def test_a_letter_sent_late_says_what_it_would_have_said_on_time(tables, letters):
    add_link(tables, "Avant l'heure", at(2026, 11, 26, 10))
    add_link(tables, "Samedi matin", at(2026, 11, 28, 9))
    # The bot was down on Friday at 16:00; it catches the letter up on Saturday at 10:00.
    assert await letters(at(2026, 11, 28, 10), scheduled_for=at(2026, 11, 27)) == 1
    (body,) = bodies(tables)
    assert "Avant l'heure" in body and "Samedi matin" not in body
    assert "Vendredi 27 novembre 2026" in body
    assert await letters(at(2026, 12, 4)) == 1
    assert "Samedi matin" in bodies(tables)[1]


async def test_a_failing_section_does_not_silence_the_others(
    config, tables, family_renderer, caplog
):
    @newsletter_section("cassee", order=5)
    def broken(db, establishment, window):
        raise RuntimeError("boom")

    registry = Registry([], sections=[broken, new_links])
    add_link(tables, "Toujours là", at(2026, 11, 24, 10))
    letter = compose_letter(
        tables,
        config.establishments[0],
        registry.sections,
        family_renderer,
        at=at(2026, 11, 27),
        prefix="!",
    )
    assert letter.sections == ("essai-veille",)
    assert "newsletter section cassee failed" in caplog.text


# -- digest ------------------------------------------------------------------------------


def test_sparkline_scales_from_zero_to_the_highest_value():
    assert sparkline([0, 1, 2, 4, 8]) == "▁▂▃▅█"
    assert sparkline([0, 0]) == "▁▁"
    assert sparkline([]) == ""


def test_a_month_without_school_day_gets_no_digest():
    assert not month_has_school_day(date(2026, 8, 1), "B")
    assert month_has_school_day(date(2027, 7, 1), "B")  # classes until 2 July


def test_the_digest_shows_the_month_the_month_before_and_the_school_year_trend(
    config, tables, family_renderer, family_registry
):
    for month, links in ((9, 1), (10, 3), (11, 2)):
        for i in range(links):
            add_link(tables, f"lien {month}-{i}", at(2026, month, 10 + i, 10))
    add_breakdown(tables, "vidéoprojecteur", at(2026, 10, 5, 8))
    add_breakdown(tables, "vidéoprojecteur", at(2026, 11, 5, 8))
    add_breakdown(tables, "réseau", at(2026, 11, 6, 8))
    add_breakdown(tables, "réseau", at(2026, 11, 9, 8))
    school = config.establishments[0]
    digest = compose_digest(tables, school, family_registry.figures, date(2026, 11, 1))
    links, panes = (line for line in digest.lines if line.label != "Enquêtes : réponses déclarées")
    assert (links.current, links.previous, links.trend) == (2, 3, "▃█▆")
    assert (panes.current, panes.previous) == (3, 1)
    assert panes.parts == (("réseau", 2, 0), ("vidéoprojecteur", 1, 1))
    body = as_read(render_digest(family_renderer, school, digest, "!").body)
    assert "Synthèse mensuelle du collège Test : novembre 2026" in body
    assert "- **Liens de veille partagés** : 2 (3), en baisse ▃█▆" in body
    assert "    - réseau : 2 (0)" in body


async def test_the_monthly_digest_goes_to_each_principal_by_direct_message(
    tmp_path, tables, family_renderer, family_registry
):
    import copy

    from bot.core.config import parse_config
    from tests.conftest import MINIMAL_CONFIG

    raw = copy.deepcopy(MINIMAL_CONFIG)
    raw["establishment"][0]["principals"] = [PRINCIPAL, "@adjoint:localhost"]
    config = parse_config(raw, tmp_path)
    record_member(tables, "clg-test", TEACHER, "teacher", at(2026, 9, 7), display_name="Paul")
    add_link(tables, "Un lien", at(2026, 10, 6, 10))
    clock = Clock(at(2026, 11, 1, 8))
    scheduler = Scheduler(
        [monthly_digest], config, tables, family_renderer, clock, registry=family_registry
    )
    assert await scheduler.run(monthly_digest, config.establishments[0]) == 2
    assert await scheduler.run(monthly_digest, config.establishments[0]) == 0
    first, second = queued_as_read(tables)
    assert {first.dm_user, second.dm_user} == {PRINCIPAL, "@adjoint:localhost"}
    assert first.body == second.body and first.txn_id != second.txn_id
    assert "octobre 2026" in first.body and "(septembre 2026" not in first.body
    assert "@" not in first.txn_id + first.body + first.html and "Paul" not in first.body
    assert runs(tables, "synthese", "clg-test") == ["2026-10"]


async def test_no_digest_for_august_and_a_missed_one_is_caught_up_within_the_month(
    config, tables, family_renderer, family_registry
):
    clock = Clock(at(2026, 9, 1, 8))
    scheduler = Scheduler(
        [monthly_digest], config, tables, family_renderer, clock, registry=family_registry
    )
    assert await scheduler.catch_up() == 0  # the bot starts: nothing was missed before it
    assert await scheduler.run(monthly_digest, config.establishments[0]) == 0
    clock.now = at(2026, 10, 20, 12)  # down since before 1 October
    assert await scheduler.catch_up() == 1
    clock.now = at(2026, 11, 1, 7)  # October's run is over, November's not due
    assert await scheduler.catch_up() == 0
    assert runs(tables, "synthese", "clg-test") == ["2026-09"]
