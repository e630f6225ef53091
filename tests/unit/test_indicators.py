"""Indicators (bot.core.indicators): declared by the families, found through the registry."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.core.digest import digest_figure
from bot.core.indicators import PeriodCounts, indicator, rate
from bot.core.registry import Registry
from tests.conftest import PARIS


@digest_figure("visites", label="Visites", order=5)
def visits(db, establishment, periods):
    return [3 for _ in periods]


@indicator("taux", label="Un taux", percent=True)
def a_rate(counts: PeriodCounts) -> float | None:
    return rate(counts.figure(visits), 4)


def test_the_registry_has_every_figure_then_the_declared_indicators(registry):
    names = list(registry.indicators)
    assert names[: len(registry.figures)] == [
        f.name for f in sorted(registry.figures, key=lambda f: (f.order, f.name))
    ]
    assert names[len(registry.figures) :] == [
        "lettres",
        "besoins_traites",
        "pannes_reparees",
        "remplissage",
    ]
    assert registry.indicators["remplissage"].percent
    assert not registry.indicators["places"].percent


def test_an_indicator_reads_figures_through_the_period_counts(config):
    local = Registry([], figures=[visits], indicators=[a_rate])
    counts = PeriodCounts(
        None, config.establishments[0], datetime(2026, 9, 1, tzinfo=PARIS), datetime.now(PARIS)
    )
    assert local.indicators["visites"](counts) == 3
    assert local.indicators["taux"](counts) == 75.0
    assert counts.figures == {"visites": 3}


def test_a_count_is_asked_once_per_period(config):
    asked = []

    def count(db, establishment_id, start, end):
        asked.append(establishment_id)
        return 7

    counts = PeriodCounts(None, config.establishments[0], datetime(2026, 9, 1, tzinfo=PARIS), None)
    assert counts.query(count) == counts.query(count) == 7
    assert asked == ["clg-test"]


def test_an_indicator_named_like_a_figure_is_refused():
    clash = indicator("visites", label="Encore")(lambda counts: 0)
    with pytest.raises(ValueError, match="declared twice"):
        Registry([], figures=[visits], indicators=[clash])
    assert rate(1, 0) is None
