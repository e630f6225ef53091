"""The academy's tallies (migration 0044) follow everything the establishments write:
after any sequence of needs recorded, retagged, planned, closed or forwarded, of
breakdowns reported, repaired, recategorised or deleted, of sessions planned or
moved and projects recorded or removed, of academy surveys answered or forgotten,
and of establishments moved to another bassin or local authority or given other
referents, the academy's views give what a count over the rows themselves gives."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from statistics import median

import pytest

from storage import migrate, open_database
from storage.academie import (
    academy_breakdowns,
    academy_overview,
    establishments_that_answered,
    open_needs_by_bassin,
)
from storage.academie.scope import served, stored_labels
from storage.enquete import AcademySurvey, mark_answered, sync_academy_surveys
from storage.establishments import EstablishmentRow, sync_establishments
from storage.formation import (
    OPEN,
    close_need,
    forward_to_dane,
    needs_with_status,
    plan_session,
    record_need,
)
from storage.panne import find_incident, report_incident, resolve_incident
from storage.projet import add_project, remove_project
from storage.stamps import to_stamp
from tests.conftest import PARIS

SINCE = datetime(2026, 9, 1, tzinfo=PARIS)
NOW = datetime(2027, 3, 15, 10, 0, tzinfo=PARIS)
NO_BASSIN, NO_AUTHORITY = "sans bassin", "collectivité non renseignée"
BASSINS = ("Rennes", "Brest", None)
AUTHORITIES = ("Région Bretagne", "Département du Finistère", None)
TAGS = ([], ["creation-contenus"], ["protection-securite", "creation-contenus"], ["ent"])
CATEGORIES = ("videoprojecteur", "reseau", "imprimante")


PEOPLE = ("@a:l", "@b:l", "@c:l")
SURVEYS = (
    AcademySurvey("https://e.org/rupn", "Enquête RUPN", "https://e.org/rupn", "referents",
                  SINCE, date(2027, 6, 30)),
    AcademySurvey("https://e.org/ent", "Usages de l'ENT", "https://e.org/ent", "referents",
                  SINCE, date(2027, 4, 30)),
)  # fmt: skip


def school(eid, bassin, authority, referents=()) -> EstablishmentRow:
    return EstablishmentRow(eid, f"Collège {eid}", f"!{eid}:l", "B", "Europe/Paris",
                            tuple(referents), (), None, bassin, authority)  # fmt: skip


@pytest.fixture
def academy(tmp_path):
    db = open_database(tmp_path / "rupn.db")
    migrate(db)
    rng = random.Random(44)
    schools = {
        f"clg-{n}": school(f"clg-{n}", rng.choice(BASSINS), rng.choice(AUTHORITIES))
        for n in range(6)
    }
    sync_establishments(db, schools.values(), SINCE)
    for eid in schools:
        sync_academy_surveys(db, eid, SURVEYS, SINCE)
        for person in PEOPLE:
            db.execute(
                "INSERT OR IGNORE INTO members (establishment_id, user_id, role, first_seen)"
                " VALUES (?, ?, 'teacher', ?)",
                (eid, person, to_stamp(SINCE)),
            )
    yield db, schools, rng
    db.close()


def expected_needs(db, bassin_of):
    themes: dict[tuple, tuple[int, set]] = {}
    for eid, tags in db.execute(
        "SELECT establishment_id, tags FROM training_needs WHERE status = 'open'"
    ):
        key = (bassin_of[eid], tags.split()[0] if tags.split() else None)
        needs, asking = themes.get(key, (0, set()))
        themes[key] = (needs + 1, asking | {eid})
    return {key: (needs, len(asking)) for key, (needs, asking) in themes.items()}


def expected_breakdowns(db, group_of, by_category):
    open_count: dict[str, int] = {}
    repairs: dict[str, list[float]] = {}
    for eid, category, resolved_at, days in db.execute(
        "SELECT establishment_id, category, resolved_at,"
        " julianday(resolved_at) - julianday(reported_at) FROM incidents"
    ):
        label = category if by_category else group_of[eid]
        if resolved_at is None:
            open_count[label] = open_count.get(label, 0) + 1
        elif resolved_at >= to_stamp(SINCE):
            repairs.setdefault(label, []).append(days)
    labels = set(open_count) | set(repairs)
    return {
        label: (open_count.get(label, 0), len(repairs.get(label, ())),
                median(repairs[label]) if label in repairs else None)
        for label in labels
    }  # fmt: skip


def check(db, schools):
    bassin_of = {eid: s.bassin or NO_BASSIN for eid, s in schools.items()}
    group_of = {eid: s.collectivite or NO_AUTHORITY for eid, s in schools.items()}
    # The tallies are read, not the rows: the configuration is what is stored.
    assert stored_labels(db, "bassin", bassin_of) is not None
    assert stored_labels(db, "collectivite", group_of) is not None
    themes = open_needs_by_bassin(db, bassin_of)
    assert {(t.bassin, t.tag): (t.needs, t.asking) for t in themes} == expected_needs(db, bassin_of)
    for bassin in set(bassin_of.values()):
        one = open_needs_by_bassin(db, bassin_of, bassin)
        assert [(t.tag, t.needs, t.asking) for t in one] == [
            (t.tag, t.needs, t.asking) for t in themes if t.bassin == bassin
        ]
        for theme in one:
            asking = {
                eid
                for eid, tags in db.execute(
                    "SELECT establishment_id, tags FROM training_needs WHERE status = 'open'"
                )
                if bassin_of[eid] == bassin and (tags.split() or [None])[0] == theme.tag
            }
            assert theme.establishments == tuple(e for e in bassin_of if e in asking)
    both = academy_breakdowns(db, group_of, since=SINCE)
    for by_category, figures in ((True, both.by_category), (False, both.by_authority)):
        expected = expected_breakdowns(db, group_of, by_category)
        assert {f.label: (f.open, f.repaired, f.median_repair_days) for f in figures} == expected
        assert [f.label for f in figures] == sorted(
            expected, key=lambda label: (-expected[label][0], label)
        )
    overview = academy_overview(db, list(schools), month_start=NOW, year_start=SINCE, now=NOW)
    assert served(db, list(schools)).everyone
    assert overview.open_needs == sum(n for n, _ in expected_needs(db, bassin_of).values())
    for survey in SURVEYS:
        assert establishments_that_answered(db, survey.key, list(schools)) == {
            eid
            for (eid,) in db.execute(
                "SELECT DISTINCT s.establishment_id FROM surveys s JOIN survey_answers a"
                " ON a.survey_id = s.id JOIN members m ON m.establishment_id = s.establishment_id"
                " AND m.user_id = a.user_id AND m.role = 'referent' WHERE s.academy_key = ?",
                (survey.key,),
            )
        }
    assert [(c.title, c.answered, c.asked) for c in overview.surveys] == db.execute(
        "SELECT s.title, count(DISTINCT CASE WHEN a.user_id IS NOT NULL"
        "   THEN s.establishment_id || ' ' || m.user_id END),"
        " count(DISTINCT s.establishment_id || ' ' || m.user_id)"
        " FROM surveys s JOIN members m ON m.establishment_id = s.establishment_id"
        "  AND m.role = 'referent'"
        " LEFT JOIN survey_answers a ON a.survey_id = s.id AND a.user_id = m.user_id"
        " WHERE s.academy_key IS NOT NULL AND s.opens_at <= ? AND s.deadline >= ?"
        " AND s.closed_at IS NULL GROUP BY s.academy_key ORDER BY s.deadline, s.title",
        (to_stamp(NOW), NOW.date().isoformat()),
    ).fetchall()
    year = (to_stamp(SINCE), to_stamp(NOW))
    assert (
        overview.sessions_held
        == db.execute(
            "SELECT count(*) FROM training_sessions WHERE starts_at >= ? AND starts_at < ?", year
        ).fetchone()[0]
    )
    assert (
        overview.projects_recorded
        == db.execute(
            "SELECT count(*) FROM class_projects WHERE created_at >= ? AND created_at < ?", year
        ).fetchone()[0]
    )
    assert (
        overview.open_breakdowns
        == db.execute("SELECT count(*) FROM incidents WHERE resolved_at IS NULL").fetchone()[0]
    )


def test_the_tallies_follow_every_change_of_needs_breakdowns_and_establishments(academy):
    db, schools, rng = academy
    check(db, schools)
    for step in range(1000):
        eid = rng.choice(sorted(schools))
        # From 03:00, past the tallies' start of the year (00:00 UTC): see the test below.
        at = SINCE + timedelta(hours=3 + rng.randrange(6 * 24 * 30))
        action = rng.random()
        if action < 0.25:
            record_need(db, eid, f"Besoin {step}", rng.choice(TAGS), "@prof:l", at)
        elif action < 0.35:
            needs = needs_with_status(db, eid, OPEN)
            if needs:
                need = rng.choice(needs)
                change = rng.choice(("close", "forward", "plan", "retag", "delete"))
                if change == "close":
                    close_need(db, need, None, "@ref:l", at)
                elif change == "forward":
                    forward_to_dane(db, need, "@ref:l", at)
                elif change == "plan":
                    plan_session(db, need, at + timedelta(days=7), None, "@ref:l", at)
                elif change == "retag":
                    tags = " ".join(rng.choice(TAGS))
                    db.execute("UPDATE training_needs SET tags = ? WHERE id = ?", (tags, need.id))
                else:
                    db.execute("DELETE FROM training_needs WHERE id = ?", (need.id,))
        elif action < 0.6:
            # Whole hours and few categories: many repairs take exactly as long.
            reported = at - timedelta(days=rng.choice((0, 200, 400)))
            report_incident(db, eid, "vidéoprojecteur en panne", rng.choice(CATEGORIES),
                            "@prof:l", reported)  # fmt: skip
        elif action < 0.85:
            numbers = [n for (n,) in db.execute(
                "SELECT number FROM incidents WHERE establishment_id = ? AND resolved_at IS NULL",
                (eid,),
            )]  # fmt: skip
            if numbers:
                incident = find_incident(db, eid, rng.choice(numbers))
                repaired = incident.reported_at + timedelta(hours=rng.choice((1, 2, 2, 5, 30, 49)))
                resolve_incident(db, incident, "@ref:l", repaired)
        elif action < 0.9:
            row = db.execute(
                "SELECT id FROM incidents WHERE establishment_id = ? ORDER BY random() LIMIT 1",
                (eid,),
            ).fetchone()
            if row and rng.random() < 0.5:
                db.execute("DELETE FROM incidents WHERE id = ?", row)
            elif row:
                db.execute(
                    "UPDATE incidents SET category = ? WHERE id = ?", (rng.choice(CATEGORIES), *row)
                )
        elif action < 0.92:
            # Sessions and projects around the year's first and last days, or between.
            when = rng.choice((SINCE, NOW, at)) + timedelta(minutes=rng.randrange(-180, 180))
            project = rng.choice(db.execute("SELECT id FROM class_projects").fetchall() or [None])
            planned = db.execute("SELECT need_id FROM training_sessions").fetchall()
            session = rng.choice(planned or [None])
            change = rng.choice(("project", "remove", "session", "move"))
            if change == "project":
                add_project(db, establishment_id=eid, class_name="4e B", discipline="histoire",
                            text="Frise", tags=(), author="@prof:l", now=when)  # fmt: skip
            elif change == "remove" and project:
                remove_project(db, *project)
            elif change == "session":
                need = record_need(db, eid, f"Besoin {step}", [], "@prof:l", at)
                plan_session(db, need, when, None, "@ref:l", at)
            elif change == "move" and session:
                db.execute(
                    "UPDATE training_sessions SET starts_at = ? WHERE need_id = ?",
                    (to_stamp(when), *session),
                )
        elif action < 0.97:
            # Answers given, forgotten or taken back, by referents or not.
            (survey_id,) = db.execute(
                "SELECT id FROM surveys WHERE establishment_id = ? AND academy_key = ?",
                (eid, rng.choice(SURVEYS).key),
            ).fetchone()
            person = rng.choice(PEOPLE)
            change = rng.choice(("answer", "answer", "forget", "forget", "withdraw"))
            if change == "answer":
                mark_answered(db, survey_id, person, at)
            elif change == "forget":
                db.execute(
                    "UPDATE survey_answers SET user_id = ? WHERE survey_id = ? AND user_id = ?",
                    (f"@oublie-{step}:l", survey_id, person),
                )
            else:
                db.execute(
                    "DELETE FROM survey_answers WHERE survey_id = ? AND user_id = ?",
                    (survey_id, person),
                )
        else:
            # Another bassin, authority or set of referents; now and then, a person leaves.
            referents = rng.sample(PEOPLE, rng.randrange(3))
            moved = school(eid, rng.choice(BASSINS), rng.choice(AUTHORITIES), referents)
            schools[eid] = moved
            sync_establishments(db, [moved], at)
            if rng.random() < 0.2:
                db.execute(
                    "DELETE FROM members WHERE establishment_id = ? AND user_id = ?",
                    (eid, rng.choice(PEOPLE)),
                )
        check(db, schools)


def test_an_establishment_removed_takes_its_counts_with_it(academy):
    db, schools, _ = academy
    for n, eid in enumerate(schools):
        record_need(db, eid, "Capsules vidéo", ["creation-contenus"], "@prof:l", NOW)
        incident = report_incident(db, eid, "wifi", "reseau", "@prof:l", NOW - timedelta(days=n))
        resolve_incident(db, incident, "@ref:l", NOW)
        report_incident(db, eid, "imprimante", "imprimante", "@prof:l", NOW)
    gone = sorted(schools)[0]
    db.execute("DELETE FROM establishments WHERE id = ?", (gone,))
    del schools[gone]
    check(db, schools)


def test_a_repair_between_the_school_years_boundaries_is_counted_as_asked(academy):
    db, schools, _ = academy
    eid = sorted(schools)[0]
    group_of = {e: s.collectivite or NO_AUTHORITY for e, s in schools.items()}
    # 1 September at 01:30 in Paris is still 31 August in UTC, where the tallies
    # change school years: the view counts it from its own start of the year.
    incident = report_incident(db, eid, "wifi", "reseau", "@prof:l", SINCE - timedelta(days=2))
    resolve_incident(db, incident, "@ref:l", SINCE + timedelta(hours=1, minutes=30))
    before = report_incident(db, eid, "wifi", "reseau", "@prof:l", SINCE - timedelta(days=2))
    resolve_incident(db, before, "@ref:l", SINCE - timedelta(minutes=30))
    (figures,) = academy_breakdowns(db, group_of, since=SINCE).by_category
    assert (figures.label, figures.open, figures.repaired) == ("reseau", 0, 1)
    assert figures.median_repair_days == pytest.approx(2 + 1.5 / 24)


def test_establishments_the_academy_does_not_serve_are_left_out(academy):
    db, schools, _ = academy
    for eid in schools:
        record_need(db, eid, "Capsules vidéo", ["creation-contenus"], "@prof:l", NOW)
        report_incident(db, eid, "imprimante", "imprimante", "@prof:l", NOW)
    kept = sorted(schools)[:4]
    bassin_of = {eid: schools[eid].bassin or NO_BASSIN for eid in kept}
    group_of = {eid: schools[eid].collectivite or NO_AUTHORITY for eid in kept}
    assert not served(db, kept).everyone and stored_labels(db, "bassin", bassin_of) is None
    themes = open_needs_by_bassin(db, bassin_of)
    assert sum(t.needs for t in themes) == sum(t.asking for t in themes) == 4
    (figures,) = academy_breakdowns(db, group_of, since=SINCE).by_category
    assert figures.open == 4
    overview = academy_overview(db, kept, month_start=NOW, year_start=SINCE, now=NOW)
    assert (overview.served, overview.open_needs, overview.open_breakdowns) == (4, 4, 4)


def test_a_referent_forgotten_no_longer_answers_for_the_establishment(academy):
    db, schools, _ = academy
    eid = sorted(schools)[0]
    moved = school(eid, schools[eid].bassin, schools[eid].collectivite, ["@a:l"])
    schools[eid] = moved
    sync_establishments(db, [moved], NOW)
    (survey_id,) = db.execute(
        "SELECT id FROM surveys WHERE establishment_id = ? AND academy_key = ?",
        (eid, SURVEYS[0].key),
    ).fetchone()
    mark_answered(db, survey_id, "@a:l", NOW)
    assert establishments_that_answered(db, SURVEYS[0].key, list(schools)) == {eid}
    # !oublie-moi leaves the answer, without the person.
    db.execute("UPDATE survey_answers SET user_id = '@oublie:l' WHERE user_id = '@a:l'")
    assert establishments_that_answered(db, SURVEYS[0].key, list(schools)) == set()
    check(db, schools)
