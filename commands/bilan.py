"""``!bilan``: the school year's activity report (compte-rendu d'activités), from the data.

The referent gives it to the principal at the end of the year; the academy's
June survey asks for the same things, so its sections follow the survey: spreading
information, training needs, accompaniment, steering (the year's objectives),
assistance; then the classes' projects with digital tools, to showcase. It is
uploaded to the room as two files with the same text: Markdown (to paste into a
document) and a self-contained HTML page (to open in a browser or print). Numbers
and the establishment's own texts only: no Matrix ID and no display name is ever
passed to the templates (names in an objective's or a project's text are masked),
so none can reach the files.

A report is a document, not a message: it is rendered in the renderer's
``document`` environment, where every value is escaped for a table cell, then
put in an HTML page (``html`` environment, autoescaped) around the Markdown
turned into HTML by ``bot.core.render.markdown_to_html``, which never passes raw
HTML through. Both have the formatters every template has.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from bot.core.charts import ChartDrawer, PageFigure
from bot.core.context import Context
from bot.core.converters import SchoolYear
from bot.core.declarations import command
from bot.core.digest import figure_total, months_between, months_chart
from bot.core.indicators import PeriodCounts, Reading, readings_of
from bot.core.render import Renderer
from bot.toolkit.calendar import (
    current_school_year,
    last_counted_day,
    school_year_label,
    school_year_range,
)
from bot.toolkit.charts import Chart, Series
from bot.toolkit.masking import name_masker
from storage import bilan as store
from storage.establishments import display_names
from storage.objectifs import Objective, objectives_of_year
from storage.projet import ClassProject, projects_between

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FigureTotal:
    """A digest figure over the whole period, with its parts when given by theme."""

    label: str
    total: int
    parts: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class Report:
    """Everything the report shows: counts, and the objectives (the referent's own text)."""

    year: str
    start: datetime
    end: datetime  # exclusive; ``now`` while the year runs
    complete: bool
    totals: Mapping[str, FigureTotal]  # the digest figures, by name
    newsletters: int
    needs: store.NeedsSummary
    seats_offered: int
    attendance: store.AttendanceSummary
    assistance: store.AssistanceSummary
    objectives: tuple[Objective, ...]
    readings: Mapping[int, Reading]
    notes: tuple[tuple[int, date, str], ...]  # (objective n°, day, text), oldest first
    # The classes' projects with digital tools, to showcase: oldest first, without authors.
    projects: tuple[ClassProject, ...]
    month_columns: tuple[str, ...]
    months: tuple[tuple[str, tuple[int, ...]], ...]

    @property
    def last_day(self) -> date:
        """The last day counted: 31 August, or today while the year runs."""
        return last_counted_day(self.end, self.complete)


def _figure_total(value, label: str = "", mask: Callable[[str], str] = str) -> FigureTotal:
    if not isinstance(value, int):
        return FigureTotal(
            label, sum(value.values()), tuple((mask(k), v) for k, v in value.items())
        )
    return FigureTotal(label, int(value))


# The digest figure the reply's summary opens with.
HELD_FIGURE = "permanences"


@dataclass(frozen=True)
class ReportOpening:
    """The school year's bounds and what the reply says at once, gathered first.

    The whole report takes a few milliseconds more than its summary: the reply
    does not wait for it, and the report reuses what was gathered here (its
    counts over the year, the objectives and projects as stored).
    """

    year: str
    start: datetime
    end: datetime  # exclusive; ``now`` while the year runs
    complete: bool
    counts: PeriodCounts
    permanences: int
    needs: store.NeedsSummary
    assistance: store.AssistanceSummary
    objectives: tuple[Objective, ...]
    projects: tuple[ClassProject, ...]


def open_report(ctx: Context, start_year: int) -> ReportOpening:
    """The opening of the report of a school year as it stands at ``ctx.now``."""
    db, establishment = ctx.db, ctx.establishment
    start, end, complete = school_year_range(start_year, ctx.now)
    counts = PeriodCounts(db, establishment, start, end)
    held = next((f for f in ctx.registry.figures if f.name == HELD_FIGURE), None)
    return ReportOpening(
        year=school_year_label(start_year),
        start=start,
        end=end,
        complete=complete,
        counts=counts,
        permanences=counts.figure(held) if held else 0,
        needs=counts.query(store.needs_summary),
        assistance=counts.query(store.assistance_summary),
        objectives=tuple(objectives_of_year(db, establishment.id, start_year)),
        projects=tuple(projects_between(db, establishment.id, start, end)),
    )


def build_report(ctx: Context, start_year: int, opening: ReportOpening | None = None) -> Report:
    """Gather the report of a school year as it stands at ``ctx.now`` (from its
    ``opening`` when the reply has already been given)."""
    db, establishment = ctx.db, ctx.establishment
    opening = opening or open_report(ctx, start_year)
    start, end, counts = opening.start, opening.end, opening.counts
    mask = name_masker(display_names(db, establishment.id).values())
    months = months_between(start, end)
    totals: dict[str, FigureTotal] = {}
    columns, series = [], []
    periods = [(first, end) for _, first, end in months]
    for figure in sorted(ctx.registry.figures, key=lambda f: (f.order, f.name)):
        try:
            by_month = figure.over(db, establishment, periods)
            year = figure.combine(by_month)
        except Exception:
            # One family's bug must not cost the referent the whole report.
            log.exception("report figure %s failed for %s", figure.name, establishment.id)
            continue
        totals[figure.name] = _figure_total(year, figure.label, mask)
        counts.figures[figure.name] = totals[figure.name].total
        columns.append(figure.label)
        series.append([figure_total(value) for value in by_month])
    objectives = opening.objectives
    return Report(
        year=opening.year,
        start=start,
        end=end,
        complete=opening.complete,
        totals=totals,
        newsletters=counts.query(store.newsletters_sent),
        needs=opening.needs,
        seats_offered=counts.query(store.seats_offered),
        attendance=_masked_topics(counts.query(store.attendance_summary), mask),
        assistance=opening.assistance,
        objectives=tuple(dataclasses.replace(o, text=mask(o.text), notes=()) for o in objectives),
        readings=readings_of(ctx, objectives, counts),
        notes=tuple(
            (o.number, n.created_at.astimezone(ctx.now.tzinfo).date(), mask(n.text))
            for o in objectives
            for n in o.notes
            if n.text
        ),
        projects=tuple(
            dataclasses.replace(p, text=mask(p.text), author="") for p in opening.projects
        ),
        month_columns=tuple(columns),
        months=tuple(
            (label, tuple(values[i] for values in series)) for i, (label, *_) in enumerate(months)
        ),
    )


def _masked_topics(summary: store.AttendanceSummary, mask) -> store.AttendanceSummary:
    """The topics as the referents wrote them, with any name the bot knows masked."""
    return dataclasses.replace(summary, topics=tuple((mask(t), n) for t, n in summary.topics))


# --- pictures -----------------------------------------------------------------------


def report_charts(report: Report) -> list[Chart]:
    """The report's pictures: the year month by month, and the needs by CRCN domain."""
    columns = {label: i for i, label in enumerate(report.month_columns)}
    series = {
        name: (total.label, tuple(values[columns[total.label]] for _, values in report.months))
        for name, total in report.totals.items()
        if total.label in columns
    }
    charts = [months_chart("L'année mois par mois", [m for m, _ in report.months], series)]
    themes = report.needs.themes
    if themes:
        charts.append(
            Chart(
                "Besoins de formation par domaine du CRCN",
                tuple(t.theme for t in themes),
                (
                    Series("Besoins exprimés", tuple(t.received for t in themes)),
                    Series("Besoins traités", tuple(t.handled for t in themes)),
                ),
                kind="bars",
            )
        )
    return charts


async def draw_report_charts(charts: ChartDrawer, report: Report) -> list[PageFigure]:
    """The report's pictures, drawn off the event loop; those that fail are left out."""
    return await charts.draw_for_page(report_charts(report))


# --- rendering ----------------------------------------------------------------------


def render_report(
    renderer: Renderer,
    report: Report,
    establishment,
    now: datetime,
    figures: list[PageFigure] = (),
) -> tuple[str, str]:
    """The report as (Markdown, HTML page with ``figures`` after its introduction)."""
    text = renderer.document(
        "bilan/bilan.md.j2", report=report, establishment=establishment, now=now
    )
    title = f"Compte-rendu d'activités {report.year} : {establishment.name}"
    return text, renderer.document_page(title, text, figures)


# --- command ------------------------------------------------------------------------


@command(
    "bilan",
    role=("referent", "principal"),
    aliases=("compte-rendu", "cr"),
    help="Le compte-rendu d'activités de l'année scolaire, en deux fichiers (un texte à"
    " reprendre et une page web), établi d'après ce que j'ai enregistré : des totaux, aucun nom.",
    examples=("bilan", "bilan 2025-2026"),
)
async def activity_report(ctx: Context, year: SchoolYear | None = None) -> None:
    start_year = current_school_year(ctx.now) if year is None else year
    # Said at once: the rest of the report, its pictures and its files follow.
    opening = open_report(ctx, start_year)
    await ctx.reply("bilan/envoye", report=opening)
    report = build_report(ctx, start_year, opening)
    figures = await draw_report_charts(ctx.renderer.charts, report)
    markdown, html = render_report(ctx.renderer, report, ctx.establishment, ctx.now, figures)
    name = f"bilan-{report.year}-{ctx.establishment.id}"
    await ctx.send_file(f"{name}.md", markdown.encode(), "text/markdown")
    await ctx.send_file(f"{name}.html", html.encode(), "text/html")
