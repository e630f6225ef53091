"""French school calendar, offline: school holidays by zone and public holidays.

One source for both, ``holidays``: its ``school`` category gives the school
holidays of zones A, B and C of metropolitan France as the ministry publishes
them, the « Pont de l'Ascension » included; its public category gives the jours
fériés, with the two extra days of Alsace and Moselle (Vendredi saint,
26 décembre) when the establishment's département is one of 57, 67 or 68.

Limits, by design:

* ``holidays`` computes the school calendar from the pattern the ministry has
  followed since 2017-2018 (Toussaint and Christmas fortnights, winter and spring
  holidays staggered by zone, summer from the first Saturday of July), with the
  exceptions of each published year written in. A year the ministry has not
  published yet gets that pattern, which it may still change: upgrading
  ``holidays`` brings each newly published year. Before 2017 no day is a school
  holiday;
* overseas départements and Corsica, which have calendars of their own, are not
  modelled: a département other than 57, 67 or 68 changes nothing;
* Saturday counts as a day off: Saturday morning classes are too rare to model.

Each year's holidays are built once per zone or département and kept, because a
scheduler asks these questions for hundreds of establishments every day.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import TYPE_CHECKING

import holidays
from holidays.constants import PUBLIC, SCHOOL

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "LOCAL_LAW_DEPARTEMENTS",
    "SCHOOL_YEAR_START_MONTH",
    "ZONES",
    "current_school_year",
    "holiday_name",
    "is_public_holiday",
    "is_school_day",
    "is_school_holiday",
    "school_year_bounds",
    "school_year_label",
    "school_year_of",
    "school_year_range",
    "school_year_start",
]

ZONES = ("A", "B", "C")
SCHOOL_YEAR_START_MONTH = 9
# The départements whose local law (1892) adds Vendredi saint and 26 décembre,
# with the subdivision ``holidays`` files them under.
LOCAL_LAW_DEPARTEMENTS = MappingProxyType({"57": "57", "67": "6AE", "68": "6AE"})
_SATURDAY = 5


def is_school_holiday(day: date, zone: str) -> bool:
    """Whether ``day`` falls in the school holidays of ``zone`` (« A », « B » or « C »).

    Weekends inside a holiday period count as holidays, and so does the Ascension
    bridge. Before 2017 no day is a school holiday (see the module docstring).
    """
    day = _as_date(day)
    return day in _school_holidays(day.year, _normalise_zone(zone))


def is_public_holiday(day: date, departement: str | None = None) -> bool:
    """Whether ``day`` is a French public holiday (jour férié) in ``departement``.

    Without a département, the holidays of the whole of metropolitan France.
    """
    day = _as_date(day)
    return day in _public_holidays(day.year, _local_subdivision(departement))


def is_school_day(day: date, zone: str, departement: str | None = None) -> bool:
    """Whether pupils of ``zone`` (in ``departement``, if given) have classes on ``day``.

    Monday to Friday only, and neither a school holiday of the zone nor a public
    holiday of the département.
    """
    day = _as_date(day)
    return (
        day.weekday() < _SATURDAY
        and not is_public_holiday(day, departement)
        and not is_school_holiday(day, zone)
    )


def holiday_name(day: date, zone: str, departement: str | None = None) -> str | None:
    """The French name of the holiday on ``day`` for ``zone``, or ``None`` on an ordinary day.

    A public holiday wins over the school holiday around it because it is the more
    specific answer: 25 December gives « Noël », 24 December « Vacances de Noël ».
    """
    day = _as_date(day)
    public = _public_holidays(day.year, _local_subdivision(departement)).get(day)
    if public is not None:
        return public
    return _school_holidays(day.year, _normalise_zone(zone)).get(day)


# --- school years: 1 September to 31 August, named by the year they start in ----------


def school_year_of(day: date) -> tuple[int, int]:
    """The school year containing ``day``: 2026-11-23 → (2026, 2027); September starts one."""
    start = day.year if day.month >= SCHOOL_YEAR_START_MONTH else day.year - 1
    return start, start + 1


def current_school_year(day: date) -> int:
    """The year the school year containing ``day`` (a date or a datetime) started in."""
    return school_year_of(_as_date(day))[0]


def school_year_bounds(start_year: int) -> tuple[date, date]:
    """First and last day of the school year starting in ``start_year``: 1 Sept to 31 Aug."""
    first = date(start_year, SCHOOL_YEAR_START_MONTH, 1)
    return first, date(start_year + 1, SCHOOL_YEAR_START_MONTH, 1) - timedelta(days=1)


def school_year_start(day: date) -> date:
    """The first day of the school year containing ``day`` (1 September)."""
    return school_year_bounds(current_school_year(day))[0]


def school_year_label(start_year: int) -> str:
    """« 2026-2027 »."""
    return f"{start_year}-{start_year + 1}"


def school_year_range(start_year: int, now: datetime) -> tuple[datetime, datetime, bool]:
    """``[1 September, 1 September next)`` in ``now``'s time zone, cut at ``now`` while
    the year runs; the flag says whether the year is over."""
    start = datetime(start_year, SCHOOL_YEAR_START_MONTH, 1, tzinfo=now.tzinfo)
    end = datetime(start_year + 1, SCHOOL_YEAR_START_MONTH, 1, tzinfo=now.tzinfo)
    return start, min(end, now), now >= end


def last_counted_day(end: datetime, complete: bool) -> date:
    """The last day a school year's ``[start, end)`` counts (``school_year_range``):
    31 August once the year is over, or ``end``'s day (now) while it runs."""
    return (end - timedelta(days=1)).date() if complete else end.date()


def _as_date(day: date) -> date:
    # A datetime is a date too, but never equal to one: the holiday tables hold dates.
    return day.date() if isinstance(day, datetime) else day


def _normalise_zone(zone: str) -> str:
    """Accept « b », « B » or « zone B »; anything else is a configuration bug."""
    normalised = zone.strip().upper().removeprefix("ZONE").strip()
    if normalised not in ZONES:
        raise ValueError(f"zone scolaire inconnue : {zone!r} (attendu A, B ou C)")
    return normalised


def _local_subdivision(departement: str | None) -> str | None:
    return LOCAL_LAW_DEPARTEMENTS.get(departement.strip()) if departement else None


@lru_cache(maxsize=64)
def _school_holidays(year: int, zone: str) -> Mapping[date, str]:
    # Read-only copies: a holidays object is a dict that a caller could mutate.
    table = holidays.France(subdiv=f"Zone {zone}", categories=SCHOOL, years=year, language="fr")
    return MappingProxyType(dict(table))


@lru_cache(maxsize=64)
def _public_holidays(year: int, subdivision: str | None) -> Mapping[date, str]:
    table = holidays.France(subdiv=subdivision, categories=PUBLIC, years=year, language="fr")
    return MappingProxyType(dict(table))
