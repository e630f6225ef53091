"""``!academie bilan``: the academy's year in a page with charts and a CSV of every
establishment's figures, the same as each establishment's own ``!bilan``."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from bench.browser import open_page
from bench.seed import NOW
from bot.core.academy_report import count_academy_year
from bot.core.context import Context
from bot.core.render import Renderer
from bot.core.roles import Role
from bot.toolkit.calendar import school_year_range
from commands import load_registry
from commands.bilan import build_report
from storage.establishments import record_member
from storage.formation import record_need
from storage.panne import report_incident
from tests.conftest import PARIS, TEACHER
from tests.support.reading import as_read
from tests.unit import test_academie, test_academie_totals
from tests.unit.test_academie import ADMIN, MONDAY

academy_of_four = test_academie.academy_of_four  # the fixture: four establishments, two bassins
seeded_academy = test_academie_totals.academy  # the fixture: the seeded 430, a copy per module

NEEDS_LABEL = "Besoins de formation exprimés"


def table(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


async def test_the_academy_report_is_a_page_with_charts_and_a_table_of_establishments(
    academy_of_four, db
):
    chat = academy_of_four
    for eid, count in (("clg-test", 3), ("clg-deux", 1), ("clg-quatre", 2)):
        record_member(db, eid, TEACHER, "teacher", MONDAY, display_name="Paul Durand")
        for n in range(count):
            record_need(
                db, eid, f"Besoin {n} de Paul Durand", ["creation-contenus"], TEACHER, MONDAY
            )
    report_incident(db, "lyc-trois", TEACHER, "Le TBI de Paul Durand", "tbi", MONDAY)
    before = len(chat.messenger.sent)
    await chat.say(
        ADMIN, "!academie bilan", now=datetime(2026, 11, 30, 9, tzinfo=PARIS), in_academy=True
    )
    sent = chat.messenger.sent[before:]
    (answer,) = [s.message for s in sent if s.message is not None]
    assert answer.body.startswith(
        "**Bilan 2026-2027 de l'académie de Rennes** (au lundi 30 novembre 2026) :"
        " 4 établissements."
    )
    assert f"- {NEEDS_LABEL} : 6\n" in answer.body
    files = {s.filename: s.data for s in sent if s.filename}
    assert set(files) == {"bilan-academie-2026-2027.html", "bilan-academie-2026-2027.csv"}

    rows = table(files["bilan-academie-2026-2027.csv"])
    assert [(r["Établissement"], r["Bassin"], r[NEEDS_LABEL]) for r in rows] == [
        ("Collège Test", "Rennes", "3"),
        ("Collège Deux", "Rennes", "1"),
        ("Lycée Trois", "Rennes", "0"),
        ("Collège Quatre", "Brest", "2"),
    ]
    assert rows[2]["Pannes signalées"] == "1"
    assert rows[3]["Collectivité"] == "Département du Finistère"

    page = as_read(files["bilan-academie-2026-2027.html"].decode())
    seen = open_page(page)
    assert seen.errors == ()
    assert [p.alt.split(". ")[0] for p in seen.pictures] == [
        "L'académie mois par mois",
        "Par bassin, depuis la rentrée",
    ]
    assert all(p.shown for p in seen.pictures)
    # The bassins' figures in words, under the picture.
    assert "Besoins de formation exprimés : Brest : 2 ; Rennes : 4." in page
    for data in files.values():
        text = data.decode("utf-8-sig")
        assert "Paul" not in text and "Durand" not in text and TEACHER not in text


async def test_teachers_and_referents_cannot_ask_the_academy_s_report(academy_of_four):
    refused = await academy_of_four.say(TEACHER, "!academie bilan", in_academy=True)
    assert "réservée" in refused.body and not any(
        s.filename for s in academy_of_four.messenger.sent
    )


async def test_on_the_seeded_academy_each_row_is_the_establishment_s_own_report(seeded_academy):
    db, config = seeded_academy
    registry = load_registry()
    start, end, complete = school_year_range(2026, NOW)
    report = await count_academy_year(
        db, config.establishments, registry.figures,
        year="2026-2027", start=start, end=end, complete=complete,
    )  # fmt: skip
    assert len(report.establishments) == 430
    for figure in report.figures:
        assert report.total(figure) == sum(e.total(figure) for e in report.establishments)
        assert sum(report.monthly[figure.name]) == report.total(figure) or figure.snapshot
    renderer = Renderer()
    for establishment, row in list(zip(config.establishments, report.establishments, strict=True))[
        ::43
    ]:
        ctx = Context(
            sender="@dane:localhost", role=Role.ADMIN, establishment=establishment,
            room_id=establishment.room, event_id="$bilan", now=NOW, db=db, config=config,
            renderer=renderer, messenger=None, registry=registry,
        )  # fmt: skip
        own = build_report(ctx, 2026)
        for figure in report.figures:
            assert row.total(figure) == own.totals[figure.name].total, (row.id, figure.name)
