"""What the bot writes on its own: the weekly newsletter and the monthly digest.

Both are frameworks the command families plug into, the way they declare
commands: a function in the family's module, collected by the Registry.

    @newsletter_section("veille", order=10)
    def new_links(db, establishment, window) -> SectionData | None: ...

    @digest_figure("veille", label="Liens de veille partagés", order=50)
    def links_shared(db, establishment, periods) -> list[int]: ...

**Newsletter.** Each section returns what it shows (a template and its values)
or None when it has nothing. A section is either *news* (new links, a newly
opened survey) or a standing reminder (next week's permanences): a letter goes
out only when at least one section has news, so a week with nothing new sends
nothing rather than the same reminders again. A section also names the items
it shows (``items={"veille": [ids]}``); the sending job records them with the
letter, in its transaction, and ``window.already_included(kind)`` gives them
back to later letters, so an item is announced once; a section with many items
asks SQLite instead, with ``storage.lettre.not_announced``. A preview
records nothing.

Sections see the data as it stood at ``window.now``, the letter's scheduled
time, and must ignore anything created after it: a letter sent late after a
restart then says exactly what it would have said on time.

**Digest.** Each figure counts something over periods ``[start, end)`` (aware
datetimes in the establishment's time zone), as an int or as counts by theme
(a dict), for every period asked in one go: the digest and ``!bilan`` need a
school year month by month, one query for all the months rather than one per
month (storage/periods.py). A year is the sum of its months, or the last month
for a ``snapshot`` figure (tickets still open at the end of the period). The
digest shows the month, the month before, and a small trend line over the
school year so far, and a picture of a few figures month by month
(``CHARTED_FIGURES``, the same in ``!bilan``). Only counts: never who did what.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from bot.toolkit.calendar import is_school_day, school_year_start
from bot.toolkit.charts import Chart, Series
from bot.toolkit.dates import MONTH_NAMES
from storage import lettre as letters
from storage.periods import Period

if TYPE_CHECKING:
    import sqlite_utils

    from bot.core.config import Establishment
    from bot.core.render import Message, Renderer

log = logging.getLogger(__name__)

SPARK_BARS = "▁▂▃▄▅▆▇█"

# The figures drawn month by month, in this order: a picture with every figure
# would show none of them. The digest and the year's report draw the same ones.
CHARTED_FIGURES = ("permanences", "besoins", "pannes", "veille")
# How far a letter looks ahead: the seven days after it (Saturday to Friday for a Friday letter).
AHEAD_DAYS = 7


# -- newsletter ------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """What a newsletter section looks at.

    ``now``: the instant the letter's content is taken at (its scheduled time);
    ``since``: that instant for the previous letter, None before the first one;
    ``ahead_start``..``ahead_end`` (inclusive): the days the letter looks forward to.
    """

    now: datetime
    since: datetime | None
    ahead_start: date
    ahead_end: date
    lookup: Callable[[str], frozenset[int]] = field(repr=False, compare=False)

    def already_included(self, kind: str) -> frozenset[int]:
        """The ids of ``kind`` that an earlier letter already showed."""
        return self.lookup(kind)


@dataclass(frozen=True)
class SectionData:
    """What one section shows in a letter.

    ``template``: a Markdown template under templates/ (it gets ``window``,
    ``establishment``, ``prefix`` and ``values``); ``items``: the ids it shows,
    by kind, recorded when the letter is sent; ``news``: False for a standing
    reminder that alone does not make a letter worth sending.
    """

    template: str
    values: Mapping[str, Any] = field(default_factory=dict)
    items: Mapping[str, Iterable[int]] = field(default_factory=dict)
    news: bool = True


SectionProvider = Callable[["sqlite_utils.Database", "Establishment", Window], SectionData | None]


@dataclass(frozen=True)
class NewsletterSection:
    """A declared newsletter section; calling it calls the provider."""

    name: str
    order: int
    provider: SectionProvider

    def __call__(self, db, establishment, window) -> SectionData | None:
        return self.provider(db, establishment, window)


def newsletter_section(name: str, *, order: int = 100) -> Callable[[SectionProvider], Any]:
    """Declare a newsletter section; sections appear by increasing ``order``."""

    def decorate(provider: SectionProvider) -> NewsletterSection:
        return NewsletterSection(name, order, provider)

    return decorate


@dataclass(frozen=True)
class Letter:
    """A composed newsletter, ready to send or to preview."""

    markdown: Markup  # what a preview quotes
    window: Window
    sections: tuple[str, ...]
    items: dict[str, tuple[int, ...]]
    renderer: Renderer = field(repr=False, compare=False)

    @cached_property
    def message(self) -> Message:
        """The letter as sent, made when it is: a preview quotes only the Markdown."""
        return self.renderer.from_markdown(str(self.markdown))


def letter_window(db: sqlite_utils.Database, establishment: Establishment, at: datetime) -> Window:
    """The window of a letter whose content is taken at ``at``."""
    day = at.date()
    return Window(
        now=at,
        since=letters.last_letter_at(db, establishment.id, before=at),
        ahead_start=day + timedelta(days=1),
        ahead_end=day + timedelta(days=AHEAD_DAYS),
        lookup=lambda kind: letters.included_items(db, establishment.id, kind),
    )


def compose_letter(
    db: sqlite_utils.Database,
    establishment: Establishment,
    sections: Iterable[NewsletterSection],
    renderer: Renderer,
    *,
    at: datetime,
    prefix: str,
) -> Letter | None:
    """The letter as it stands at ``at``, or None when no section has anything new.

    Reads only: sending it is ``record_letter`` plus posting the message.
    """
    window = letter_window(db, establishment, at)
    common = {"establishment": establishment, "now": at, "prefix": prefix, "window": window}
    parts: list[Markup] = []
    names: list[str] = []
    items: dict[str, tuple[int, ...]] = {}
    news = False
    for section in sorted(sections, key=lambda s: (s.order, s.name)):
        try:
            data = section(db, establishment, window)
            if data is None:
                continue
            text = renderer.env.get_template(f"{data.template}.md.j2").render(
                **common, **data.values
            )
        except Exception:
            # One family's bug must not silence the others; its items stay unannounced.
            log.exception("newsletter section %s failed for %s", section.name, establishment.id)
            continue
        parts.append(Markup(text.strip()))
        names.append(section.name)
        news = news or data.news
        for kind, ids in data.items.items():
            items[kind] = tuple(dict.fromkeys((*items.get(kind, ()), *ids)))
    if not news:
        return None
    text = renderer.env.get_template("lettre/lettre.md.j2").render(sections=parts, **common)
    return Letter(Markup(text), window, tuple(names), items, renderer)


def record_letter(
    db: sqlite_utils.Database,
    establishment: Establishment,
    letter: Letter,
    period: str,
    now: datetime,
) -> None:
    """Record a letter as sent, with what it showed (call in the sending transaction)."""
    letters.record_letter(
        db, establishment.id, period, as_of=letter.window.now, items=letter.items, now=now
    )


# -- digest ------------------------------------------------------------------------

FigureValue = int | Mapping[str, int]
# (db, establishment, periods) -> one value per period, in order.
FigureProvider = Callable[
    ["sqlite_utils.Database", "Establishment", Sequence[Period]], Sequence[FigureValue]
]


@dataclass(frozen=True)
class DigestFigure:
    """A declared digest figure: its provider counts any number of periods at once.

    Most figures count what happened during a period, so a year is the sum of its
    months. A ``snapshot`` figure is a level at each period's end (tickets still
    open): a year is its last month.
    """

    name: str
    label: str
    order: int
    provider: FigureProvider
    snapshot: bool = False

    def over(self, db, establishment, periods: Sequence[Period]) -> list[FigureValue]:
        """The figure for each of ``periods``, in order."""
        values = list(self.provider(db, establishment, periods))
        if len(values) != len(periods):
            raise ValueError(f"figure {self.name}: {len(values)} values for {len(periods)} periods")
        return values

    def __call__(self, db, establishment, start, end) -> FigureValue:
        """The figure over ``[start, end)``."""
        return self.over(db, establishment, [(start, end)])[0]

    def combine(self, values: Sequence[FigureValue]) -> FigureValue:
        """The figure over consecutive periods, from its value in each of them, in order."""
        if self.snapshot:
            return values[-1] if values else 0
        if all(isinstance(v, int) for v in values):
            return sum(values)
        combined: dict[str, int] = {}
        for value in values:
            for key, count in () if isinstance(value, int) else value.items():
                combined[key] = combined.get(key, 0) + count
        # Most first, as a provider gives them.
        return dict(sorted(combined.items(), key=lambda item: (-item[1], item[0])))


def digest_figure(
    name: str, *, label: str, order: int = 100, snapshot: bool = False
) -> Callable[[FigureProvider], Any]:
    """Declare a digest figure: ``label`` is its French name, figures appear by ``order``;
    ``snapshot`` for a level at the end of each period rather than a count during it."""

    def decorate(provider: FigureProvider) -> DigestFigure:
        return DigestFigure(name, label, order, provider, snapshot)

    return decorate


@dataclass(frozen=True)
class FigureLine:
    """One figure as the digest shows it."""

    label: str
    current: int
    previous: int
    trend: str
    # (theme, this month, previous month) for figures given by theme.
    parts: tuple[tuple[str, int, int], ...] = ()
    name: str = ""
    series: tuple[int, ...] = ()  # each month of the school year so far


@dataclass(frozen=True)
class Digest:
    """A month's figures, the month before beside them, and their trend."""

    month: date
    month_label: str
    previous_label: str
    until: datetime | None  # set when the month is still running: counted up to then
    lines: tuple[FigureLine, ...]
    months: tuple[str, ...] = ()  # the school year's months so far, for ``series``


def months_chart(
    title: str, months: Sequence[str], series: Mapping[str, tuple[str, Sequence[int]]]
) -> Chart:
    """Columns month by month of the ``CHARTED_FIGURES`` in ``series`` (name: label, values)."""
    return Chart(
        title,
        tuple(months),
        tuple(Series(series[n][0], tuple(series[n][1])) for n in CHARTED_FIGURES if n in series),
    )


def digest_chart(digest: Digest) -> Chart:
    """The digest's picture: the school year so far, month by month."""
    return months_chart(
        f"L'année scolaire jusqu'à {digest.month_label}",
        digest.months,
        {line.name: (line.label, line.series) for line in digest.lines},
    )


def month_start(day: date, months: int = 0) -> date:
    """The first day of ``day``'s month, moved by ``months``."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_label(month: date) -> str:
    """« octobre 2026 »."""
    return f"{MONTH_NAMES[month.month - 1]} {month.year}"


@lru_cache(maxsize=64)  # every report of a day asks for the same months
def months_between(start: datetime, end: datetime) -> tuple[tuple[str, datetime, datetime], ...]:
    """(« octobre 2026 », first instant, end) for each month from ``start`` until ``end``."""
    months, month = [], start.date()
    while (first := datetime(month.year, month.month, 1, tzinfo=start.tzinfo)) < end:
        following = month_start(month, 1)
        last = datetime(following.year, following.month, 1, tzinfo=start.tzinfo)
        months.append((month_label(month), first, min(end, last)))
        month = following
    return tuple(months)


def sparkline(values: Iterable[int]) -> str:
    """A trend line in eight Unicode steps, scaled from 0 to the highest value."""
    values = list(values)
    top = max(values, default=0)
    if top <= 0:
        return SPARK_BARS[0] * len(values)
    steps = len(SPARK_BARS) - 1
    return "".join(SPARK_BARS[round(max(v, 0) / top * steps)] for v in values)


def compose_digest(
    db: sqlite_utils.Database,
    establishment: Establishment,
    figures: Iterable[DigestFigure],
    month: date,
    until: datetime | None = None,
) -> Digest:
    """The digest of ``month``; ``until`` cuts a month still running at that instant."""
    tz = establishment.tz
    first_month = school_year_start(month)
    months = []
    cursor = first_month
    while cursor <= month:
        months.append(cursor)
        cursor = month_start(cursor, 1)

    def bounds(m: date) -> tuple[datetime, datetime]:
        start = datetime(m.year, m.month, 1, tzinfo=tz)
        nxt = month_start(m, 1)
        end = datetime(nxt.year, nxt.month, 1, tzinfo=tz)
        return start, min(end, until) if until is not None else end

    # The month before is in the series, except in September.
    previous_month = month_start(month, -1)
    asked = months if previous_month in months else [previous_month, *months]
    periods = [bounds(m) for m in asked]
    lines = []
    for figure in sorted(figures, key=lambda f: (f.order, f.name)):
        try:
            found = figure.over(db, establishment, periods)
            values = dict(zip(asked, found, strict=True))
            series, previous = [values[m] for m in months], values[previous_month]
        except Exception:
            log.exception("digest figure %s failed for %s", figure.name, establishment.id)
            continue
        lines.append(_line(figure.name, figure.label, series, previous))
    return Digest(
        month=month,
        month_label=month_label(month),
        previous_label=month_label(month_start(month, -1)),
        until=until,
        lines=tuple(lines),
        months=tuple(month_label(m) for m in months),
    )


def figure_total(value: FigureValue) -> int:
    """A figure's value as one number (the sum of its parts when given by theme)."""
    # isinstance(int) first: a check against the Mapping ABC cost more than the sum.
    return value if isinstance(value, int) else sum(value.values())


def _line(name: str, label: str, series: list[FigureValue], previous: FigureValue) -> FigureLine:
    current = series[-1]
    parts: tuple[tuple[str, int, int], ...] = ()
    if isinstance(current, Mapping) or isinstance(previous, Mapping):
        now_by = dict(current) if isinstance(current, Mapping) else {}
        before_by = dict(previous) if isinstance(previous, Mapping) else {}
        themes = sorted(set(now_by) | set(before_by), key=lambda k: (-now_by.get(k, 0), k))
        parts = tuple((k, now_by.get(k, 0), before_by.get(k, 0)) for k in themes)
    return FigureLine(
        label=label,
        current=figure_total(current),
        previous=figure_total(previous),
        trend=sparkline(figure_total(v) for v in series),
        parts=parts,
        name=name,
        series=tuple(figure_total(v) for v in series),
    )


def month_has_school_day(month: date, zone: str) -> bool:
    """Whether pupils of ``zone`` have at least one day of classes in ``month``."""
    day, end = month, month_start(month, 1)
    while day < end:
        if is_school_day(day, zone):
            return True
        day += timedelta(days=1)
    return False


def render_digest(
    renderer: Renderer, establishment: Establishment, digest: Digest, prefix: str
) -> Message:
    """The digest as a message (aggregates only)."""
    return renderer.render(
        "digest/synthese",
        establishment=establishment,
        digest=digest,
        prefix=prefix,
        now=digest.until,
    )
