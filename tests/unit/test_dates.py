"""French date parsing and formatting (bot.dates)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.toolkit.dates import format_date_fr, format_datetime_fr, parse_duration, parse_when

PARIS = ZoneInfo("Europe/Paris")
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=PARIS)
TUESDAY_AFTERNOON = datetime(2026, 11, 24, 13, 0, tzinfo=PARIS)
NEW_YEAR_EVE_EVE = datetime(2026, 12, 30, 10, 0, tzinfo=PARIS)  # a Wednesday
BEFORE_DST_END = datetime(2026, 10, 24, 9, 0, tzinfo=PARIS)  # Saturday; clocks go back Sunday
BEFORE_DST_START = datetime(2027, 3, 27, 9, 0, tzinfo=PARIS)  # Saturday; clocks go forward Sunday


def paris(*fields: int) -> datetime:
    return datetime(*fields, tzinfo=PARIS)


CASES = [
    # Monday 23 November 2026, 09:00.
    (MONDAY, "demain 10h", paris(2026, 11, 24, 10, 0)),
    (MONDAY, "mardi 12h30", paris(2026, 11, 24, 12, 30)),
    (MONDAY, "Mardi 12H30", paris(2026, 11, 24, 12, 30)),
    (MONDAY, "mardi 12:30", paris(2026, 11, 24, 12, 30)),
    (MONDAY, "12h30 mardi", paris(2026, 11, 24, 12, 30)),
    (MONDAY, "  MARDI   à  12 h 30  ", paris(2026, 11, 24, 12, 30)),
    (MONDAY, "le 3 décembre à 12h", paris(2026, 12, 3, 12, 0)),
    (MONDAY, "le 3 decembre a 12h", paris(2026, 12, 3, 12, 0)),
    (MONDAY, "3/12 14h", paris(2026, 12, 3, 14, 0)),
    (MONDAY, "3/12/2026", paris(2026, 12, 3)),
    (MONDAY, "03/12/26", paris(2026, 12, 3)),
    (MONDAY, "03.12.2026 à 8h", paris(2026, 12, 3, 8, 0)),
    (MONDAY, "2026-12-03", paris(2026, 12, 3)),
    (MONDAY, "2026-12-03 14:30", paris(2026, 12, 3, 14, 30)),
    (MONDAY, "2026-12-03T14:30", paris(2026, 12, 3, 14, 30)),
    (MONDAY, "jeudi 3 décembre à 12 h 30", paris(2026, 12, 3, 12, 30)),
    (MONDAY, "le jeudi 3 déc. 2026 à 12h", paris(2026, 12, 3, 12, 0)),
    (MONDAY, "dans 15 jours", paris(2026, 12, 8)),
    (MONDAY, "dans 2 semaines", paris(2026, 12, 7)),
    (MONDAY, "dans 3 heures", paris(2026, 11, 23, 12, 0)),
    (MONDAY, "dans 45 min", paris(2026, 11, 23, 9, 45)),
    (MONDAY, "dans 1h30", paris(2026, 11, 23, 10, 30)),
    (MONDAY, "dans une demi-heure", paris(2026, 11, 23, 9, 30)),
    (MONDAY, "dans 1 mois", paris(2026, 12, 23)),
    (MONDAY, "dans deux jours à 10h", paris(2026, 11, 25, 10, 0)),
    (MONDAY, "30 juin", paris(2027, 6, 30)),
    (MONDAY, "30 juin prochain", paris(2027, 6, 30)),
    (MONDAY, "23 novembre", paris(2026, 11, 23)),
    (MONDAY, "23 novembre 8h", paris(2027, 11, 23, 8, 0)),
    (MONDAY, "aujourd'hui 17h", paris(2026, 11, 23, 17, 0)),
    (MONDAY, "aujourd’hui à 17h", paris(2026, 11, 23, 17, 0)),
    (MONDAY, "ce soir 18h", paris(2026, 11, 23, 18, 0)),
    (MONDAY, "ce soir à 8h", paris(2026, 11, 23, 20, 0)),
    (MONDAY, "demain soir 20h", paris(2026, 11, 24, 20, 0)),
    (MONDAY, "demain 3h de l'après-midi", paris(2026, 11, 24, 15, 0)),
    (MONDAY, "8h du soir", paris(2026, 11, 23, 20, 0)),
    (MONDAY, "après-demain 9h", paris(2026, 11, 25, 9, 0)),
    (MONDAY, "apres demain a 9h", paris(2026, 11, 25, 9, 0)),
    (MONDAY, "lundi prochain 8h", paris(2026, 11, 30, 8, 0)),
    (MONDAY, "lundi 8h", paris(2026, 11, 30, 8, 0)),
    (MONDAY, "lundi 10h", paris(2026, 11, 23, 10, 0)),
    (MONDAY, "lundi", paris(2026, 11, 30)),
    (MONDAY, "lun. 8h", paris(2026, 11, 30, 8, 0)),
    (MONDAY, "mar 12h30", paris(2026, 11, 24, 12, 30)),
    (MONDAY, "mer 14h", paris(2026, 11, 25, 14, 0)),
    (MONDAY, "ven 16h", paris(2026, 11, 27, 16, 0)),
    (MONDAY, "dim", paris(2026, 11, 29)),
    (MONDAY, "12 mar", paris(2027, 3, 12)),
    (MONDAY, "mar 2 mars 2027", paris(2027, 3, 2)),
    (MONDAY, "le mar. 2 mar 2027", paris(2027, 3, 2)),
    (MONDAY, "midi", paris(2026, 11, 23, 12, 0)),
    (MONDAY, "demain midi", paris(2026, 11, 24, 12, 0)),
    (MONDAY, "demain à midi et demie", paris(2026, 11, 24, 12, 30)),
    (MONDAY, "ce midi", paris(2026, 11, 23, 12, 0)),
    (MONDAY, "à 14h", paris(2026, 11, 23, 14, 0)),
    (MONDAY, "14h", paris(2026, 11, 23, 14, 0)),
    (MONDAY, "vers 14 heures", paris(2026, 11, 23, 14, 0)),
    (MONDAY, "8h", paris(2026, 11, 24, 8, 0)),
    (MONDAY, "14h moins le quart", paris(2026, 11, 23, 13, 45)),
    (MONDAY, "1er décembre", paris(2026, 12, 1)),
    (MONDAY, "le premier décembre", paris(2026, 12, 1)),
    (MONDAY, "le 1er mars 2027 à 8h15", paris(2027, 3, 1, 8, 15)),
    (MONDAY, "3 déc.", paris(2026, 12, 3)),
    (MONDAY, "3 dec", paris(2026, 12, 3)),
    (MONDAY, "3 janv", paris(2027, 1, 3)),
    (MONDAY, "3 févr.", paris(2027, 2, 3)),
    (MONDAY, "3 avr", paris(2027, 4, 3)),
    (MONDAY, "14 juil.", paris(2027, 7, 14)),
    (MONDAY, "15 août", paris(2027, 8, 15)),
    (MONDAY, "1er sept", paris(2027, 9, 1)),
    (MONDAY, "2 oct", paris(2027, 10, 2)),
    (MONDAY, "30 nov", paris(2026, 11, 30)),
    (MONDAY, "le 15", paris(2026, 12, 15)),
    (MONDAY, "le 23 à 10h", paris(2026, 11, 23, 10, 0)),
    (MONDAY, "mardi 1er décembre", paris(2026, 12, 1)),
    (MONDAY, "29 février", paris(2028, 2, 29)),
    (MONDAY, "pour demain 10h00", paris(2026, 11, 24, 10, 0)),
    (MONDAY, "demain mardi 10h", paris(2026, 11, 24, 10, 0)),
    (MONDAY, "jeudi 3", paris(2026, 12, 3)),
    (MONDAY, "minuit", paris(2026, 11, 24, 0, 0)),
    (MONDAY, "3 décembre à 12h30 précises", paris(2026, 12, 3, 12, 30)),
    (MONDAY, "dans 3 heures et demie", paris(2026, 11, 23, 12, 30)),
    # Tuesday 24 November 2026, 13:00: a Tuesday time already past goes to next week.
    (TUESDAY_AFTERNOON, "mardi 12h30", paris(2026, 12, 1, 12, 30)),
    (TUESDAY_AFTERNOON, "mardi 14h", paris(2026, 11, 24, 14, 0)),
    (TUESDAY_AFTERNOON, "mardi prochain 14h", paris(2026, 12, 1, 14, 0)),
    (TUESDAY_AFTERNOON, "mardi", paris(2026, 12, 1)),
    (TUESDAY_AFTERNOON, "12h30", paris(2026, 11, 25, 12, 30)),
    (TUESDAY_AFTERNOON, "midi", paris(2026, 11, 25, 12, 0)),
    (TUESDAY_AFTERNOON, "aujourd'hui 9h", paris(2026, 11, 24, 9, 0)),
    # Wednesday 30 December 2026: yearless dates roll over to the new year.
    (NEW_YEAR_EVE_EVE, "3 janvier", paris(2027, 1, 3)),
    (NEW_YEAR_EVE_EVE, "1er janvier 10h", paris(2027, 1, 1, 10, 0)),
    (NEW_YEAR_EVE_EVE, "jeudi 7 janvier", paris(2027, 1, 7)),
    (NEW_YEAR_EVE_EVE, "31/12 23h59", paris(2026, 12, 31, 23, 59)),
    (NEW_YEAR_EVE_EVE, "lundi", paris(2027, 1, 4)),
    (NEW_YEAR_EVE_EVE, "dans 1 mois", paris(2027, 1, 30)),
    (NEW_YEAR_EVE_EVE, "dans 3 jours", paris(2027, 1, 2)),
    (NEW_YEAR_EVE_EVE, "30 décembre 9h", paris(2027, 12, 30, 9, 0)),
    # Saturday 24 October 2026, 09:00 CEST; on Sunday 03:00 CEST becomes 02:00 CET.
    (BEFORE_DST_END, "demain 10h", paris(2026, 10, 25, 10, 0)),
    (BEFORE_DST_END, "lundi 8h", paris(2026, 10, 26, 8, 0)),
    (BEFORE_DST_END, "dans 2 jours", paris(2026, 10, 26)),
    (BEFORE_DST_END, "dans 24 heures", paris(2026, 10, 25, 8, 0)),
    (BEFORE_DST_END, "jeudi 19 novembre à 12 h 30", paris(2026, 11, 19, 12, 30)),
    # Just past: the Thursday that was, so the caller can say « cette date est passée ».
    (MONDAY, "jeudi 19 novembre à 12 h 30", paris(2026, 11, 19, 12, 30)),
    # Saturday 27 March 2027, 09:00 CET; on Sunday 02:00 CET becomes 03:00 CEST.
    (BEFORE_DST_START, "demain 10h", paris(2027, 3, 28, 10, 0)),
    (BEFORE_DST_START, "dans 24 heures", paris(2027, 3, 28, 10, 0)),
]

REJECTED = [
    "",
    "   ",
    "bientôt",
    "25h",
    "12h75",
    "12h5",
    "32 décembre",
    "31 novembre",
    "30 février",
    "mardi 25h",
    "demain blabla",
    "demain 10",
    "à 14",
    "demain soir",
    "ce soir 14h",
    "ce matin 15h",
    "14h-16h",
    "demain 10h 11h",
    "demain lundi",  # tomorrow is a Tuesday
    "mercredi 3 décembre",  # 3 December 2026 is a Thursday
    "mar 3 mars 2027",  # a Wednesday
    "la semaine prochaine",
    "dans 3 heures demain",
    "dans 0 jours",
    "3 dec 26",
    "12.30",
    "mardi 12h30 mercredi",
    "minuit moins le quart",
    "demain à minuit",  # start or end of tomorrow?
    "mardi 3",  # the next 3rd is a Thursday
    "hier",
    "sept",
    "le",
    "dans 99999 jours",
]


@pytest.mark.parametrize(("now", "text", "expected"), CASES)
def test_parse_when(now: datetime, text: str, expected: datetime) -> None:
    result = parse_when(text, now)
    assert result == expected
    # Same instant is not enough: the wall-clock fields and offset must match too.
    assert result is not None
    assert result.replace(tzinfo=None) == expected.replace(tzinfo=None)
    assert result.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize("text", REJECTED)
def test_parse_when_rejects(text: str) -> None:
    assert parse_when(text, MONDAY) is None


def test_exact_delay_crosses_dst_in_elapsed_time() -> None:
    now = paris(2026, 10, 25, 1, 30)  # CEST, one hour before clocks go back
    result = parse_when("dans 3 heures", now)
    assert result is not None
    assert result.astimezone(UTC) - now.astimezone(UTC) == timedelta(hours=3)
    assert (result.hour, result.minute, result.utcoffset()) == (3, 30, timedelta(hours=1))


def test_time_in_spring_dst_gap_is_rejected() -> None:
    assert parse_when("demain 2h30", BEFORE_DST_START) is None


def test_date_only_results_are_midnight_with_local_offset() -> None:
    result = parse_when("dans 15 jours", BEFORE_DST_END)
    assert result == paris(2026, 11, 8)
    assert result.utcoffset() == timedelta(hours=1)


@given(st.text(max_size=40))
@settings(max_examples=300, deadline=None)
def test_parse_when_never_raises(text: str) -> None:
    result = parse_when(text, MONDAY)
    assert result is None or result.tzinfo is PARIS


VOCABULARY = [
    "demain",
    "mardi",
    "mar",
    "le",
    "3",
    "12",
    "h",
    "30",
    "décembre",
    "à",
    "dans",
    "jours",
    "heures",
    "prochain",
    "soir",
    "1er",
    "midi",
    "2026",
    "/",
    ":",
    "et",
    "quart",
    "minuit",
    "du",
]


@given(st.lists(st.sampled_from(VOCABULARY), max_size=6))
@settings(max_examples=300, deadline=None)
def test_parse_when_word_salad_never_raises(words: list[str]) -> None:
    result = parse_when(" ".join(words), TUESDAY_AFTERNOON)
    assert result is None or result.tzinfo is PARIS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("45min", timedelta(minutes=45)),
        ("45 min", timedelta(minutes=45)),
        ("1h", timedelta(hours=1)),
        ("1h30", timedelta(minutes=90)),
        ("1 h 30", timedelta(minutes=90)),
        ("90 minutes", timedelta(minutes=90)),
        ("2 heures", timedelta(hours=2)),
        ("12h", timedelta(hours=12)),
        ("0 min", None),
        ("0h", None),
        ("13h", None),
        ("1h75", None),
        ("1:30", None),
        ("demain", None),
        ("", None),
    ],
)
def test_parse_duration(text: str, expected: timedelta | None) -> None:
    assert parse_duration(text) == expected


def test_format_date_fr() -> None:
    assert format_date_fr(paris(2026, 12, 3)) == "jeudi 3 décembre 2026"
    assert format_date_fr(paris(2026, 12, 1).date()) == "mardi 1er décembre 2026"


def test_format_datetime_fr() -> None:
    assert (
        format_datetime_fr(paris(2026, 12, 1, 12, 30)) == "mardi 1er décembre à 12\u00a0h\u00a030"
    )
    assert format_datetime_fr(paris(2026, 12, 3, 12, 0)) == "jeudi 3 décembre à 12\xa0h"
    assert format_datetime_fr(paris(2026, 12, 3, 8, 5)) == "jeudi 3 décembre à 8\xa0h\xa005"
