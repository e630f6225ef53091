"""Indicators: the named figures an objective can follow, counted over any period.

Every digest figure is one (its total over the period). A family declares the
others next to what they count, the way it declares digest figures, for a rate
or a count the digest does not show:

    @indicator("remplissage", label="Taux de remplissage …", percent=True, order=40)
    def fill_rate(counts: PeriodCounts) -> float | None:
        return rate(counts.figure(seats_booked), counts.query(bilan.seats_offered))

The Registry collects them: ``registry.indicators`` holds them all by name, the
digest figures first (by their order), then the declared ones (by theirs).
``!objectifs`` compares an objective's indicator with its target (``Reading``);
``!bilan`` reads the same ones over the school year it reports on, through the
same ``PeriodCounts``, so each count is asked of SQLite once.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from bot.core.digest import DigestFigure, figure_total
from bot.toolkit.calendar import school_year_range
from bot.toolkit.numbers import french_number
from storage.objectifs import IndicatorSpec, Objective

if TYPE_CHECKING:
    import sqlite_utils

    from bot.core.config import Establishment
    from bot.core.context import Context

T = TypeVar("T")


class PeriodCounts:
    """What an establishment did over ``[start, end)``, each count asked once.

    ``figure`` gives a digest figure's total, ``query`` the value of a storage
    count ``count(db, establishment_id, start, end)``; both are kept for the next
    reader. ``figures`` holds the totals by figure name: a caller that already
    counted a figure over the period (the report, month by month) puts it there.
    """

    def __init__(
        self,
        db: sqlite_utils.Database,
        establishment: Establishment,
        start: datetime,
        end: datetime,
    ):
        self.db, self.establishment, self.start, self.end = db, establishment, start, end
        self.figures: dict[str, int] = {}
        self._queried: dict[Callable, Any] = {}

    def figure(self, figure: DigestFigure) -> int:
        """A digest figure's total over the period."""
        if figure.name not in self.figures:
            value = figure(self.db, self.establishment, self.start, self.end)
            self.figures[figure.name] = figure_total(value)
        return self.figures[figure.name]

    def query(self, count: Callable[..., T]) -> T:
        """``count(db, establishment_id, start, end)``, asked once for the period."""
        if count not in self._queried:
            self._queried[count] = count(self.db, self.establishment.id, self.start, self.end)
        return self._queried[count]


Compute = Callable[[PeriodCounts], float | None]


@dataclass(frozen=True)
class Indicator:
    """A figure an objective may name: a count, or a rate in % (None when undefined)."""

    name: str
    label: str
    percent: bool
    compute: Compute
    order: int = 100

    def __call__(self, counts: PeriodCounts) -> float | None:
        return self.compute(counts)


def indicator(
    name: str, *, label: str, percent: bool = False, order: int = 100
) -> Callable[[Compute], Indicator]:
    """Declare an indicator: ``label`` is its French name, ``percent`` for a rate;
    declared indicators come after the digest figures, by increasing ``order``."""

    def decorate(compute: Compute) -> Indicator:
        return Indicator(name, label, percent, compute, order)

    return decorate


def rate(part: int, whole: int) -> float | None:
    """``part`` in % of ``whole``; None when there is nothing to divide by."""
    return 100 * part / whole if whole else None


def all_indicators(
    figures: Iterable[DigestFigure], declared: Iterable[Indicator]
) -> dict[str, Indicator]:
    """Every indicator by name: each digest figure as a count, then the declared ones."""
    found: dict[str, Indicator] = {}
    for figure in sorted(figures, key=lambda f: (f.order, f.name)):
        found[figure.name] = Indicator(
            figure.name, figure.label, False, lambda counts, f=figure: counts.figure(f)
        )
    for item in sorted(declared, key=lambda i: (i.order, i.name)):
        if item.name in found:
            raise ValueError(f"indicator {item.name!r} declared twice")
        found[item.name] = item
    return found


# --- an objective's indicator: its value beside its target ----------------------------

OPERATORS = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt,
             "=": operator.eq}  # fmt: skip
OP_SIGNS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "=": "="}
OP_WORDS = {">=": "au moins", "<=": "au plus", ">": "plus de", "<": "moins de", "=": "exactement"}


@dataclass(frozen=True)
class Reading:
    """An indicator's current value beside its target."""

    name: str
    label: str
    op: str
    target: int
    percent: bool
    value: float | None  # None: unknown figure, or a rate of nothing yet

    @property
    def met(self) -> bool:
        """Whether the value satisfies the target."""
        return self.value is not None and OPERATORS[self.op](self.value, self.target)

    @property
    def spec(self) -> str:
        """The target in words, as a principal reads it: « au moins 6 », « au plus 5 % »."""
        return f"{OP_WORDS[self.op]} {self.target}{' %' if self.percent else ''}"

    @property
    def shown(self) -> str:
        """« 12 / 6 ✅ », « 40 % / 80 % », « 3 / ≤ 5 ✅ », « – / 80 % »."""
        unit = " %" if self.percent else ""
        value = "–" if self.value is None else french_number(self.value, 0) + unit
        sign = "" if self.op == ">=" else OP_SIGNS[self.op] + " "
        mark = " ✅" if self.met else ""
        return f"{value} / {sign}{self.target}{unit}{mark}"


def read_indicator(
    spec: IndicatorSpec, known: Mapping[str, Indicator], counts: PeriodCounts
) -> Reading:
    """The indicator's value over the period of ``counts``."""
    found = known.get(spec.figure)
    value = found(counts) if found else None
    return Reading(
        spec.figure,
        found.label if found else "chiffre que le bot ne compte plus",
        spec.op,
        spec.target,
        spec.percent,
        value,
    )


def readings_of(
    ctx: Context, objectives: Iterable[Objective], counts: PeriodCounts | None = None
) -> dict[int, Reading]:
    """Each objective's indicator reading, by number, over its school year up to ``ctx.now``.

    ``counts``: what was already counted over one of those years (the report's).
    """
    readings = {}
    for objective in objectives:
        if objective.indicator is None:
            continue
        start, end, _ = school_year_range(objective.school_year, ctx.now)
        if counts is None or (counts.start, counts.end) != (start, end):
            counts = PeriodCounts(ctx.db, ctx.establishment, start, end)
        readings[objective.number] = read_indicator(
            objective.indicator, ctx.registry.indicators, counts
        )
    return readings
