"""French school calendar, offline: school holidays by zone and public holidays.

School holidays come from the data bundled with ``vacances-scolaires-france``
(zones A, B and C of metropolitan France, including the summer holidays and the
« Pont de l'Ascension » when the ministry declared one); public holidays come
from ``holidays.France``.

Limits, by design:

* outside the years the bundled data covers (the package raises
  ``UnsupportedYearException``), and for the part of its last year that the
  ministry had not yet published, no day is a school holiday: the bot keeps
  running and scheduling rather than stopping a year after deployment;
* the two extra Alsace-Moselle public holidays (Vendredi saint, 26 décembre) and
  overseas zones are ignored;
* Saturday counts as a day off: Saturday morning classes are too rare to model.

The package's CSV is parsed once, lazily, and every lookup is cached, because a
scheduler asks these questions for hundreds of establishments every day.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import cache, lru_cache
from types import MappingProxyType
from typing import TYPE_CHECKING

import holidays
from vacances_scolaires_france import SchoolHolidayDates, UnsupportedYearException

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
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
_SATURDAY = 5


def is_school_holiday(day: date, zone: str) -> bool:
    """Whether ``day`` falls in the school holidays of ``zone`` (« A », « B » or « C »).

    Weekends inside a holiday period count as holidays. Days outside the bundled
    data are never holidays (see the module docstring).
    """
    return _school_holiday_name(_as_date(day), _normalise_zone(zone)) is not None


def is_public_holiday(day: date) -> bool:
    """Whether ``day`` is a French public holiday (jour férié, metropolitan France)."""
    return _as_date(day) in _public_holidays(day.year)


def is_school_day(day: date, zone: str) -> bool:
    """Whether pupils of ``zone`` have classes on ``day``.

    Monday to Friday only, and neither a school holiday of the zone nor a public
    holiday.
    """
    day = _as_date(day)
    return (
        day.weekday() < _SATURDAY
        and not is_public_holiday(day)
        and not is_school_holiday(day, zone)
    )


def holiday_name(day: date, zone: str) -> str | None:
    """The French name of the holiday on ``day`` for ``zone``, or ``None`` on an ordinary day.

    A public holiday wins over the school holiday around it because it is the more
    specific answer: 25 December gives « Noël », 24 December « Vacances de Noël ».
    """
    day = _as_date(day)
    public = _public_holidays(day.year).get(day)
    if public is not None:
        return public
    return _school_holiday_name(day, _normalise_zone(zone))


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


def _as_date(day: date) -> date:
    # The package rejects datetime instances (it checks ``type(x) is date``).
    return day.date() if isinstance(day, datetime) else day


def _normalise_zone(zone: str) -> str:
    """Accept « b », « B » or « zone B »; anything else is a configuration bug."""
    normalised = zone.strip().upper().removeprefix("ZONE").strip()
    if normalised not in ZONES:
        raise ValueError(f"zone scolaire inconnue : {zone!r} (attendu A, B ou C)")
    return normalised


@cache
def _school_holiday_dates() -> SchoolHolidayDates:
    # Parsing the package's CSV (~14,000 rows) takes tens of milliseconds: once is enough.
    return SchoolHolidayDates()


@lru_cache(maxsize=4096)
def _school_holiday_name(day: date, zone: str) -> str | None:
    dates = _school_holiday_dates()
    try:
        if not dates.is_holiday_for_zone(day, zone):
            return None
    except UnsupportedYearException:
        return None
    return dates.data[day]["nom_vacances"]


@lru_cache(maxsize=64)
def _public_holidays(year: int) -> Mapping[date, str]:
    # A read-only copy: the holidays object is a dict that a caller could mutate.
    return MappingProxyType(dict(holidays.France(years=year, language="fr")))
