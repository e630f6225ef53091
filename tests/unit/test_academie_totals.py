"""On the seeded académie of the benchmarks (430 establishments, a school year up to June):
every total of ``!academie`` is the sum of the establishments' own figures, as their
``!formation``, ``!panne``, ``!enquete état`` and digests (projects) count them, and
the views by bassin and by group add up the same way."""

from __future__ import annotations

from datetime import datetime, time
from statistics import median

import pytest

from bench.seed import NOW, academy_config, fresh_copy, seeded_database
from bot.toolkit.calendar import school_year_start
from storage import open_database
from storage.academie import (
    academy_breakdowns,
    academy_overview,
    academy_survey_answers,
    open_needs_by_bassin,
)
from storage.enquete import answer_count, audience, open_surveys
from storage.formation import DANE, OPEN, needs_with_status, sessions_per_period
from storage.panne import open_incidents
from storage.projet import recorded_per_period
from storage.stamps import to_stamp


@pytest.fixture(scope="module")
def academy(tmp_path_factory):
    seeded, _ = seeded_database()
    path = fresh_copy(seeded, tmp_path_factory.mktemp("academie") / "rupn.db")
    db = open_database(path)
    yield db, academy_config(database=path)
    db.close()


def test_each_academy_total_is_the_sum_of_the_establishments_figures(academy):
    db, config = academy
    ids = [e.id for e in config.establishments]
    year_start = datetime.combine(school_year_start(NOW.date()), time(0), tzinfo=NOW.tzinfo)
    month_start = datetime.combine(NOW.date().replace(day=1), time(0), tzinfo=NOW.tzinfo)
    figures = academy_overview(db, ids, month_start=month_start, year_start=year_start, now=NOW)

    assert figures.served == len(ids) == 430
    assert figures.open_needs == sum(len(needs_with_status(db, eid, OPEN)) for eid in ids) > 0
    assert figures.awaiting_answer == sum(len(needs_with_status(db, eid, DANE)) for eid in ids)
    held = sum(sessions_per_period(db, eid, [(year_start, NOW)])[0] for eid in ids)
    assert figures.sessions_held == held > 0
    assert figures.open_breakdowns == sum(len(open_incidents(db, eid)) for eid in ids) > 0
    recorded = sum(recorded_per_period(db, eid, [(year_start, NOW)])[0] for eid in ids)
    assert figures.projects_recorded == recorded > 0


def test_the_academy_survey_adds_up_what_each_establishment_says(academy):
    db, config = academy
    ids = [e.id for e in config.establishments]
    figures = academy_overview(db, ids, month_start=NOW, year_start=NOW, now=NOW)
    assert figures.surveys, "the seeded académie has its June survey of the referents open"
    for survey in figures.surveys:
        own = [
            s
            for eid in ids
            for s in open_surveys(db, eid, NOW)
            if s.academy and s.title == survey.title
        ]
        assert survey.asked == sum(len(audience(db, s, NOW)) for s in own)
        assert survey.answered == sum(answer_count(db, s, NOW) for s in own)
        key = own[0].url  # an academy survey is known by its address
        answered = [a for a in academy_survey_answers(db, key, ids) if a.answered]
        assert len(answered) == sum(1 for s in own if answer_count(db, s, NOW) > 0)


def test_the_needs_by_bassin_add_up_each_establishments_open_needs(academy):
    db, config = academy
    bassin_of = {e.id: e.bassin or "sans bassin" for e in config.establishments}
    expected: dict[tuple, tuple[int, set]] = {}
    for eid, bassin in bassin_of.items():
        for need in needs_with_status(db, eid, OPEN):
            key = (bassin, need.tags[0] if need.tags else None)
            needs, asking = expected.get(key, (0, set()))
            expected[key] = (needs + 1, asking | {eid})
    themes = open_needs_by_bassin(db, bassin_of)
    assert {(t.bassin, t.tag): (t.needs, t.asking) for t in themes} == {
        key: (needs, len(asking)) for key, (needs, asking) in expected.items()
    }
    for bassin in ("Rennes", "Brest"):
        one = open_needs_by_bassin(db, bassin_of, bassin)
        assert [(t.tag, t.needs, t.asking) for t in one] == [
            (t.tag, t.needs, t.asking) for t in themes if t.bassin == bassin
        ]
        for theme in one:
            assert theme.establishments == tuple(
                eid for eid in bassin_of if eid in expected[(bassin, theme.tag)][1]
            )


def test_the_breakdowns_by_group_add_up_each_establishments_breakdowns(academy):
    db, config = academy
    authority_of = {
        e.id: e.collectivite or "collectivité non renseignée" for e in config.establishments
    }
    since = datetime.combine(school_year_start(NOW.date()), time(0), tzinfo=NOW.tzinfo)
    figures = academy_breakdowns(db, authority_of, since=since)
    for by_category, groups in ((True, figures.by_category), (False, figures.by_authority)):
        open_count: dict[str, int] = {}
        for eid, authority in authority_of.items():
            for incident in open_incidents(db, eid):
                label = incident.category if by_category else authority
                open_count[label] = open_count.get(label, 0) + 1
        repairs: dict[str, list[float]] = {}
        for eid, category, days in db.execute(
            "SELECT establishment_id, category, julianday(resolved_at) - julianday(reported_at)"
            " FROM incidents WHERE resolved_at >= ?",
            (to_stamp(since),),
        ):
            repairs.setdefault(category if by_category else authority_of[eid], []).append(days)
        assert {f.label: (f.open, f.repaired, f.median_repair_days) for f in groups} == {
            label: (
                open_count.get(label, 0),
                len(repairs.get(label, ())),
                median(repairs[label]) if label in repairs else None,
            )
            for label in set(open_count) | set(repairs)
        }
        assert sum(f.open for f in groups) == sum(open_count.values()) > 0
