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
    """The chart as a PNG image 800 pixels wide (420 high, more for many bars), the
    same bytes for the same chart."""
    # The object interface, not pyplot: no global figure state, no display needed.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    bars, count = chart.kind == "bars", len(chart.series)
    height = HEIGHT_INCHES
    if bars:  # room for every bar, however many categories
        height = max(height, 1.6 + 0.2 * len(chart.categories) * count)
    figure = Figure(figsize=(WIDTH_INCHES, height), dpi=DPI)
    FigureCanvasAgg(figure)
    margins = _margins(chart, height * DPI)
    figure.subplots_adjust(**margins)
    axes = figure.add_subplot()
    width = 0.8 / max(count, 1)
    positions = range(len(chart.categories))
    for index, series in enumerate(chart.series):
        offsets = [p - 0.4 + width * (index + 0.5) for p in positions]
        colour = PALETTE[index % len(PALETTE)]
        if bars:
            drawn = axes.barh(offsets, series.values, height=width, color=colour, label=series.name)
        else:
            drawn = axes.bar(offsets, series.values, width=width, color=colour, label=series.name)
        if bars or len(chart.categories) * count <= 24:  # beyond, numbers would touch
            axes.bar_label(
                drawn, labels=[str(v) if v else "" for v in series.values], fontsize=8, padding=2
            )
    counts, categories = (axes.xaxis, axes.set_yticks) if bars else (axes.yaxis, axes.set_xticks)
    small = 7.5 if len(chart.categories) > 10 else 8
    categories(list(positions), _tick_labels(chart), fontsize=9 if bars else small)
    counts.set_major_locator(MaxNLocator(integer=True))
    if bars:
        axes.invert_yaxis()  # the first category on top, as in the table beside it
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="x" if bars else "y", color="#dddddd", linewidth=0.8)
    axes.set_axisbelow(True)
    pixel = 1 / (height * DPI)
    figure.text(0.01, 1 - 10 * pixel, chart.title, fontsize=12, va="top", color="#1e1e1e")
    if count > 1:
        # Above the chart, under the title: inside it, it would hide the tallest bars.
        figure.legend(
            loc="upper left",
            bbox_to_anchor=(margins["left"], 1 - 34 * pixel),
            ncols=2 if count > 2 else count,
            frameon=False,
            fontsize=9,
            borderaxespad=0,
        )
    buffer = io.BytesIO()
    # No « Software » stamp: the same chart gives the same bytes whatever the version.
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def _tick_labels(chart: Chart) -> list[str]:
    """Labels under columns on two lines (« septembre » over « 2026 »): twelve months
    side by side fit in 800 pixels without slanting."""
    if chart.kind == "bars":
        return list(chart.categories)
    return [label.replace(" ", "\n", 1) for label in chart.categories]


def _margins(chart: Chart, height_px: float) -> dict[str, float]:
    """Fixed margins, from the labels' lengths: a layout engine measuring every text
    took half the drawing time."""
    width_px = WIDTH_INCHES * DPI
    longest = max((len(c) for c in chart.categories), default=0)
    if chart.kind == "bars":
        left, bottom, right = 6.2 * longest + 22, 28, 34  # the counts after the longest bar
    else:
        left, bottom, right = 44, 44, 16
    legend_rows = -(-len(chart.series) // 2) if len(chart.series) > 2 else len(chart.series) > 1
    top = 40 + 18 * legend_rows
    return {
        "left": left / width_px,
        "right": 1 - right / width_px,
        "bottom": bottom / height_px,
        "top": 1 - top / height_px,
    }


def png_size(data: bytes) -> dict[str, int]:
    """``{"w": …, "h": …}`` read from a PNG's header; empty for anything else."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return {}
    return {"w": int.from_bytes(data[16:20], "big"), "h": int.from_bytes(data[20:24], "big")}
