"""The academy's report for a school year: every establishment's own figures, side by side.

Each establishment's figures are the digest figures every family declares
(``@digest_figure``), counted by the same providers as its own ``!bilan`` and
digests, month by month over the year: so a row of the CSV is what that
establishment's report says, and each academy total is the sum of the rows.
The academy's report adds nothing a principal could not read in their own:
counts only, never a name.

Counting 430 establishments takes a second or two of queries; the event loop is
handed back after each establishment, so commands typed meanwhile wait at most
one establishment's queries, and the pictures are drawn in the chart process.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property

from bot.core.digest import DigestFigure, figure_total, months_between, months_chart
from bot.toolkit.calendar import last_counted_day
from bot.toolkit.charts import Chart, Series
from bot.toolkit.spreadsheet import spreadsheet_csv

log = logging.getLogger(__name__)

# The figures drawn by bassin: what the academy's team plans training and visits from.
BASSIN_FIGURES = ("besoins", "permanences", "pannes")


@dataclass(frozen=True)
class EstablishmentYear:
    """One establishment's figures, by figure name: each month's, and the year's as
    its own report gives it (a sum, or the last month of a snapshot)."""

    id: str
    name: str
    uai: str
    bassin: str
    collectivite: str
    months: dict[str, tuple[int, ...]]
    totals: dict[str, int]

    def total(self, figure: DigestFigure) -> int:
        """The year's value of ``figure``."""
        return self.totals.get(figure.name, 0)


@dataclass(frozen=True)
class AcademyYear:
    """The academy's school year: its figures, and each establishment's."""

    year: str
    start: datetime
    end: datetime
    complete: bool
    figures: tuple[DigestFigure, ...]
    month_labels: tuple[str, ...]
    establishments: tuple[EstablishmentYear, ...]

    @property
    def last_day(self) -> date:
        """The last day counted: 31 August, or today while the year runs."""
        return last_counted_day(self.end, self.complete)

    @cached_property
    def totals(self) -> dict[str, int]:
        """The academy's value of each figure, by name: the sum of the establishments'."""
        return {
            f.name: sum(e.totals.get(f.name, 0) for e in self.establishments) for f in self.figures
        }

    def total(self, figure: DigestFigure) -> int:
        """The academy's value of ``figure``."""
        return self.totals[figure.name]

    @cached_property
    def bassins(self) -> list[tuple[str, int, dict[str, int]]]:
        """Each bassin (« sans bassin » last): its establishments, its totals by figure."""
        counts: dict[str, int] = {}
        totals: dict[str, dict[str, int]] = {}
        for establishment in self.establishments:
            counts[establishment.bassin] = counts.get(establishment.bassin, 0) + 1
            row = totals.setdefault(establishment.bassin, dict.fromkeys(self.totals, 0))
            for name, value in establishment.totals.items():
                row[name] += value
        ordered = sorted(totals, key=lambda bassin: (bassin == "", bassin))
        return [(bassin, counts[bassin], totals[bassin]) for bassin in ordered]

    @cached_property
    def monthly(self) -> dict[str, tuple[int, ...]]:
        """Each figure's academy total month by month, by name."""
        nothing = (0,) * len(self.month_labels)
        by_name = {}
        for figure in self.figures:
            rows = [e.months.get(figure.name, nothing) for e in self.establishments]
            by_name[figure.name] = (
                tuple(sum(column) for column in zip(*rows, strict=True)) if rows else nothing
            )
        return by_name


async def count_academy_year(
    db,
    establishments: Iterable,
    figures: Iterable[DigestFigure],
    *,
    year: str,
    start: datetime,
    end: datetime,
    complete: bool,
) -> AcademyYear:
    """Every establishment's figures month by month over ``[start, end)``."""
    figures = tuple(sorted(figures, key=lambda f: (f.order, f.name)))
    months = months_between(start, end)
    periods = [(first, last) for _, first, last in months]
    rows = []
    for establishment in establishments:
        values: dict[str, tuple[int, ...]] = {}
        totals: dict[str, int] = {}
        for figure in figures:
            try:
                by_month = figure.over(db, establishment, periods)
                values[figure.name] = tuple(figure_total(v) for v in by_month)
                totals[figure.name] = figure_total(figure.combine(by_month))
            except Exception:
                # As in !bilan: one family's bug must not cost the whole report.
                log.exception("academy figure %s failed for %s", figure.name, establishment.id)
        rows.append(
            EstablishmentYear(
                establishment.id,
                establishment.name,
                establishment.uai or "",
                establishment.bassin or "",
                establishment.collectivite or "",
                values,
                totals,
            )
        )
        await asyncio.sleep(0)  # commands typed meanwhile go between two establishments
    return AcademyYear(
        year, start, end, complete, figures, tuple(m for m, *_ in months), tuple(rows)
    )


def academy_csv(report: AcademyYear) -> bytes:
    """One row per establishment: who it is, then each figure over the year."""
    header = ("UAI", "Établissement", "Bassin", "Collectivité", *(f.label for f in report.figures))
    return spreadsheet_csv(
        header,
        (
            (e.uai, e.name, e.bassin, e.collectivite, *(e.total(f) for f in report.figures))
            for e in report.establishments
        ),
    )


def academy_charts(report: AcademyYear) -> list[Chart]:
    """The academy's year month by month, and the main figures by bassin."""
    charts = [
        months_chart(
            "L'académie mois par mois",
            report.month_labels,
            {f.name: (f.label, report.monthly[f.name]) for f in report.figures},
        )
    ]
    shown = [f for name in BASSIN_FIGURES for f in report.figures if f.name == name]
    bassins = report.bassins
    if shown and len(bassins) > 1:
        charts.append(
            Chart(
                "Par bassin, depuis la rentrée",
                tuple(name or "Sans bassin" for name, _, _ in bassins),
                tuple(
                    Series(f.label, tuple(totals.get(f.name, 0) for *_, totals in bassins))
                    for f in shown
                ),
                kind="bars",
            )
        )
    return charts
