"""School calendar (bot.toolkit.calendar), checked against the ministry's published calendar."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.toolkit.calendar import (
    current_school_year,
    holiday_name,
    is_public_holiday,
    is_school_day,
    is_school_holiday,
    school_year_bounds,
    school_year_label,
    school_year_of,
    school_year_range,
    school_year_start,
)

PARIS = ZoneInfo("Europe/Paris")


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def test_toussaint_2026_dates_are_the_published_ones() -> None:
    # Classes end Saturday 17 October 2026 and resume Monday 2 November, all zones.
    for zone in "ABC":
        assert not is_school_holiday(date(2026, 10, 16), zone)
        for day in days_between(date(2026, 10, 17), date(2026, 11, 1)):
            assert is_school_holiday(day, zone)
            assert holiday_name(day, zone) in ("Vacances de la Toussaint", "Toussaint")
        assert not is_school_holiday(date(2026, 11, 2), zone)


def test_weekly_tuesday_series_skips_the_toussaint_fortnight() -> None:
    tuesdays = [date(2026, 10, 6) + timedelta(weeks=n) for n in range(6)]
    held = [day for day in tuesdays if is_school_day(day, "B")]
    assert held == [date(2026, 10, 6), date(2026, 10, 13), date(2026, 11, 3), date(2026, 11, 10)]


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2026, 11, 11), "Armistice"),
        (date(2026, 12, 25), "Noël"),
        (date(2027, 1, 1), "Jour de l'an"),
        (date(2027, 3, 29), "Lundi de Pâques"),
        (date(2027, 5, 6), "Ascension"),
        (date(2027, 7, 14), "Fête nationale"),
    ],
)
def test_public_holidays(day: date, name: str) -> None:
    assert is_public_holiday(day)
    assert holiday_name(day, "A") == name  # the public holiday wins over school holidays
    assert not is_school_day(day, "A")


def test_ordinary_days_are_not_holidays() -> None:
    assert not is_public_holiday(date(2026, 11, 24))
    assert holiday_name(date(2026, 11, 24), "B") is None
    assert is_school_day(date(2026, 11, 24), "B")
    assert holiday_name(date(2026, 12, 24), "B") == "Vacances de Noël"


def test_weekends_are_not_school_days() -> None:
    assert not is_school_day(date(2026, 11, 28), "A")  # Saturday
    assert not is_school_day(date(2026, 11, 29), "A")  # Sunday
    assert not is_school_holiday(date(2026, 11, 28), "A")
    assert is_school_day(date(2026, 11, 27), "A")  # Friday


@pytest.mark.parametrize(
    ("day", "zones_on_holiday"),
    [
        (date(2027, 2, 8), "C"),  # winter holidays are staggered by zone
        (date(2027, 2, 15), "AC"),
        (date(2027, 2, 22), "AB"),
        (date(2027, 3, 1), "B"),
        (date(2027, 4, 5), "C"),  # and so are spring holidays
        (date(2027, 4, 12), "AC"),
        (date(2027, 4, 19), "AB"),
        (date(2027, 4, 26), "B"),
    ],
)
def test_zones_differ_in_february_and_april(day: date, zones_on_holiday: str) -> None:
    for zone in "ABC":
        assert is_school_holiday(day, zone) == (zone in zones_on_holiday)
    assert holiday_name(day, zones_on_holiday[0]) in ("Vacances d'hiver", "Vacances de printemps")


def test_summer_and_ascension_bridge() -> None:
    assert is_school_holiday(date(2027, 7, 15), "A")
    assert holiday_name(date(2027, 8, 2), "C") == "Vacances d'été"
    assert holiday_name(date(2027, 5, 7), "B") == "Pont de l'Ascension"
    assert holiday_name(date(2026, 5, 15), "B") == "Pont de l'Ascension"
    assert not is_school_day(date(2026, 5, 15), "B")
    assert is_school_day(date(2026, 9, 1), "B")  # rentrée 2026, a Tuesday


def test_school_holidays_start_with_2017_and_follow_the_pattern_beyond_the_published_years():
    assert not is_school_holiday(date(1985, 8, 1), "A")
    assert not is_school_holiday(date(2016, 12, 26), "A")
    # Not published yet: the Christmas fortnight is where it always is.
    assert holiday_name(date(2031, 12, 24), "A") == "Vacances de Noël"
    assert is_public_holiday(date(2031, 12, 25))
    assert not is_school_day(date(2031, 12, 25), "A")
    assert is_school_day(date(2031, 12, 16), "A")


@pytest.mark.parametrize("departement", ["57", "67", "68"])
def test_alsace_and_moselle_keep_good_friday_and_saint_stephen(departement: str) -> None:
    good_friday = date(2026, 4, 3)  # zone B is not on holiday yet (11 to 26 April)
    assert is_public_holiday(good_friday, departement)
    assert holiday_name(good_friday, "B", departement) == "Vendredi saint"
    assert not is_school_day(good_friday, "B", departement)
    assert holiday_name(date(2026, 12, 26), "B", departement) == "Saint-Étienne"
    assert is_school_day(date(2026, 4, 2), "B", departement)  # the Thursday before


@pytest.mark.parametrize("departement", [None, "75", "13", "2A"])
def test_other_departements_work_on_good_friday(departement: str | None) -> None:
    assert not is_public_holiday(date(2026, 4, 3), departement)
    assert is_school_day(date(2026, 4, 3), "B", departement)
    assert holiday_name(date(2026, 12, 26), "B", departement) == "Vacances de Noël"


def test_zone_spelling_and_datetime_input() -> None:
    assert is_school_holiday(datetime(2026, 10, 20, 10, 0), "zone b")
    with pytest.raises(ValueError, match="zone"):
        is_school_day(date(2026, 11, 24), "D")


@pytest.mark.parametrize(
    ("day", "year"),
    [
        (date(2026, 11, 23), (2026, 2027)),
        (date(2026, 9, 1), (2026, 2027)),
        (date(2026, 8, 31), (2025, 2026)),
        (date(2027, 1, 1), (2026, 2027)),
    ],
)
def test_school_year_of(day: date, year: tuple[int, int]) -> None:
    assert school_year_of(day) == year


def test_school_year_bounds() -> None:
    assert school_year_bounds(2026) == (date(2026, 9, 1), date(2027, 8, 31))


def test_current_school_year_label_and_start() -> None:
    assert current_school_year(date(2026, 8, 31)) == 2025
    assert current_school_year(datetime(2026, 9, 1, 0, 0, tzinfo=PARIS)) == 2026
    assert school_year_label(2026) == "2026-2027"
    assert school_year_start(date(2027, 3, 15)) == date(2026, 9, 1)
    assert school_year_start(date(2026, 9, 1)) == date(2026, 9, 1)


def test_school_year_range_is_cut_at_now_while_the_year_runs() -> None:
    now = datetime(2026, 11, 23, 9, 0, tzinfo=PARIS)
    start, end, complete = school_year_range(2026, now)
    assert (start, end, complete) == (datetime(2026, 9, 1, tzinfo=PARIS), now, False)
    start, end, complete = school_year_range(2025, now)
    assert (start, end, complete) == (
        datetime(2025, 9, 1, tzinfo=PARIS),
        datetime(2026, 9, 1, tzinfo=PARIS),
        True,
    )
