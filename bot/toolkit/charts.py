"""Charts as PNG pictures, and the same figures in words.

A ``Chart`` is plain data (a title, category labels, one or more series of
counts), so it crosses to the drawing process as it is; ``draw_png`` runs
there. matplotlib is imported inside it: a process that never draws never
loads it (about 0.8 s and 50 MB). ``chart_in_words`` says what the picture
shows, for screen readers and for anyone whose client shows no image.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Literal

from bot.toolkit.typography import french_spacing

# The French state's blue, then colours that stay apart for colour-blind readers.
PALETTE = ("#000091", "#e1000f", "#18753c", "#b34000", "#6a6af4", "#716043")
WIDTH_INCHES, HEIGHT_INCHES, DPI = 8.0, 4.2, 100


@dataclass(frozen=True)
class Series:
    """One row of counts, one per category of the chart."""

    name: str
    values: tuple[int, ...]


@dataclass(frozen=True)
class Chart:
    """What to draw: ``columns`` (categories along the bottom: months) or ``bars``
    (categories down the side: names too long to write under a column)."""

    title: str
    categories: tuple[str, ...]
    series: tuple[Series, ...]
    kind: Literal["columns", "bars"] = "columns"

    @property
    def empty(self) -> bool:
        """Whether there is nothing to draw: no category, or only zeros."""
        return not self.categories or not any(v for s in self.series for v in s.values)


def chart_in_words(chart: Chart) -> str:
    """The chart's figures as one French sentence per series."""
    sentences = []
    for series in chart.series:
        parts = " ; ".join(
            f"{category} : {value}"
            for category, value in zip(chart.categories, series.values, strict=True)
        )
        name = series.name if len(chart.series) > 1 else chart.title
        sentences.append(f"{name} : {parts}.")
    return french_spacing(" ".join(sentences))


def draw_png(chart: Chart) -> bytes:
    """The chart as a PNG image (800 × 420 pixels), the same bytes for the same chart."""
    # The object interface, not pyplot: no global figure state, no display needed.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(WIDTH_INCHES, HEIGHT_INCHES), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    count = len(chart.series)
    width = 0.8 / max(count, 1)
    positions = range(len(chart.categories))
    for index, series in enumerate(chart.series):
        offsets = [p - 0.4 + width * (index + 0.5) for p in positions]
        colour = PALETTE[index % len(PALETTE)]
        if chart.kind == "bars":
            bars = axes.barh(offsets, series.values, height=width, color=colour, label=series.name)
        else:
            bars = axes.bar(offsets, series.values, width=width, color=colour, label=series.name)
        axes.bar_label(
            bars, labels=[str(v) if v else "" for v in series.values], fontsize=8, padding=2
        )
    counts, categories = (
        (axes.xaxis, axes.set_yticks) if chart.kind == "bars" else (axes.yaxis, axes.set_xticks)
    )
    categories(list(positions), list(chart.categories), fontsize=9)
    counts.set_major_locator(MaxNLocator(integer=True))
    if chart.kind == "bars":
        axes.invert_yaxis()  # the first category on top, as in the table beside it
    elif len(chart.categories) > 6:
        axes.tick_params(axis="x", labelrotation=35)
    axes.set_title(chart.title, fontsize=12, loc="left", color="#1e1e1e")
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="x" if chart.kind == "bars" else "y", color="#dddddd", linewidth=0.8)
    axes.set_axisbelow(True)
    if count > 1:
        # Below the chart: inside it, the legend would hide the tallest bars.
        columns = 2 if count > 2 else count
        figure.legend(loc="outside lower center", ncols=columns, frameon=False, fontsize=9)
    buffer = io.BytesIO()
    # No « Software » stamp: the same chart gives the same bytes whatever the version.
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()
