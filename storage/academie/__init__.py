"""The academy's views: every establishment's figures added up, never a teacher's name.

An académie has about 430 establishments; its team reads them all at once, so
each view reads what migration 0044 keeps ready (indexes, and tallies that
triggers maintain as the establishments' own commands write) rather than a
school year of rows. The totals are counted the way each establishment's own
views count them, so they are the sums of theirs.

- ``scope``: which establishments a figure adds up, and whether the tallies,
  grouped by the stored bassins and local authorities, fit the configuration;
- ``figures``: the overview, the academy survey by establishment, the broadcasts;
- ``needs``: open training needs by bassin and CRCN domain;
- ``breakdowns``: breakdowns by category and by local authority, with the
  median repair time.

Everything is importable from ``storage.academie`` itself.
"""

from storage.academie.breakdowns import AcademyBreakdowns, BreakdownFigures, academy_breakdowns
from storage.academie.figures import (
    AcademyOverview,
    BroadcastProgress,
    EstablishmentAnswer,
    SurveyCompletion,
    academy_overview,
    academy_survey_answers,
    broadcast_progress,
    establishments_that_answered,
)
from storage.academie.needs import ThemeInBassin, open_needs_by_bassin

__all__ = [
    "AcademyBreakdowns",
    "AcademyOverview",
    "BreakdownFigures",
    "BroadcastProgress",
    "EstablishmentAnswer",
    "SurveyCompletion",
    "ThemeInBassin",
    "academy_breakdowns",
    "academy_overview",
    "academy_survey_answers",
    "broadcast_progress",
    "establishments_that_answered",
    "open_needs_by_bassin",
]
