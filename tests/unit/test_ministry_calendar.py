"""The school holidays the bot keeps, against the calendar the ministry published.

The table is copied from the ministry's calendar (education.gouv.fr, « Le
calendrier scolaire ») for 2024-2025 to 2026-2027. Each row gives the first day
without classes (the Saturday after « fin des cours », or the Thursday of the
Ascension bridge) and the day classes resume (« reprise des cours »).
"""

from datetime import date, timedelta

import pytest

from bot.toolkit.calendar import holiday_name, is_public_holiday, is_school_day, is_school_holiday

TOUSSAINT = "Vacances de la Toussaint"
NOEL = "Vacances de Noël"
HIVER = "Vacances d'hiver"
PRINTEMPS = "Vacances de printemps"
ASCENSION = "Pont de l'Ascension"
ETE = "Vacances d'été"

# (period, zones, first day without classes, day classes resume)
MINISTRY_CALENDAR = [
    # 2023-2024: only its bridge, which the bot used to miss.
    (ASCENSION, "ABC", date(2024, 5, 9), date(2024, 5, 13)),
    (ETE, "ABC", date(2024, 7, 6), date(2024, 9, 2)),
    # 2024-2025
    (TOUSSAINT, "ABC", date(2024, 10, 19), date(2024, 11, 4)),
    (NOEL, "ABC", date(2024, 12, 21), date(2025, 1, 6)),
    (HIVER, "A", date(2025, 2, 22), date(2025, 3, 10)),
    (HIVER, "B", date(2025, 2, 8), date(2025, 2, 24)),
    (HIVER, "C", date(2025, 2, 15), date(2025, 3, 3)),
    (PRINTEMPS, "A", date(2025, 4, 19), date(2025, 5, 5)),
    (PRINTEMPS, "B", date(2025, 4, 5), date(2025, 4, 22)),  # 21 April is Easter Monday
    (PRINTEMPS, "C", date(2025, 4, 12), date(2025, 4, 28)),
    (ASCENSION, "ABC", date(2025, 5, 29), date(2025, 6, 2)),
    (ETE, "ABC", date(2025, 7, 5), date(2025, 9, 1)),
    # 2025-2026
    (TOUSSAINT, "ABC", date(2025, 10, 18), date(2025, 11, 3)),
    (NOEL, "ABC", date(2025, 12, 20), date(2026, 1, 5)),
    (HIVER, "A", date(2026, 2, 7), date(2026, 2, 23)),
    (HIVER, "B", date(2026, 2, 14), date(2026, 3, 2)),
    (HIVER, "C", date(2026, 2, 21), date(2026, 3, 9)),
    (PRINTEMPS, "A", date(2026, 4, 4), date(2026, 4, 20)),
    (PRINTEMPS, "B", date(2026, 4, 11), date(2026, 4, 27)),
    (PRINTEMPS, "C", date(2026, 4, 18), date(2026, 5, 4)),
    (ASCENSION, "ABC", date(2026, 5, 14), date(2026, 5, 18)),
    (ETE, "ABC", date(2026, 7, 4), date(2026, 9, 1)),
    # 2026-2027 (the rentrée of September 2027 is left out: not in this table)
    (TOUSSAINT, "ABC", date(2026, 10, 17), date(2026, 11, 2)),
    (NOEL, "ABC", date(2026, 12, 19), date(2027, 1, 4)),
    (HIVER, "A", date(2027, 2, 13), date(2027, 3, 1)),
    (HIVER, "B", date(2027, 2, 20), date(2027, 3, 8)),
    (HIVER, "C", date(2027, 2, 6), date(2027, 2, 22)),
    (PRINTEMPS, "A", date(2027, 4, 10), date(2027, 4, 26)),
    (PRINTEMPS, "B", date(2027, 4, 17), date(2027, 5, 3)),
    (PRINTEMPS, "C", date(2027, 4, 3), date(2027, 4, 19)),
    (ASCENSION, "ABC", date(2027, 5, 6), date(2027, 5, 10)),
]

ROWS = [
    pytest.param(period, zone, first, resume, id=f"{period} {first:%Y} {zone}")
    for period, zones, first, resume in MINISTRY_CALENDAR
    for zone in zones
]


@pytest.mark.parametrize(("period", "zone", "first", "resume"), ROWS)
def test_holidays_are_the_ministrys(period: str, zone: str, first: date, resume: date) -> None:
    assert not is_school_holiday(first - timedelta(days=1), zone), "starts a day early"
    day = first
    while day < resume:
        assert not is_school_day(day, zone), day
        if not is_public_holiday(day):  # « Toussaint », « Noël », « Ascension » themselves
            assert holiday_name(day, zone) == period, day
        day += timedelta(days=1)
    assert is_school_day(resume, zone), "classes resume"


def test_friday_15_may_2026_is_a_bridge_in_every_zone() -> None:
    for zone in "ABC":
        assert not is_school_day(date(2026, 5, 15), zone)
        assert is_school_day(date(2026, 5, 13), zone)  # classes until Wednesday evening
