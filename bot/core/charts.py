"""Charts drawn in a separate process, so that no drawing ever holds the event loop.

A chart takes a few hundred milliseconds of pure Python and C under the GIL:
drawn in a thread, it would still slow every command answered meanwhile. One
worker process, started at the first drawing (a bot that never draws never
pays for it), draws them one after another; a handler awaits its picture as
it awaits the homeserver. A drawing that fails, or a worker that dies, costs
that picture only: the caller gets ``None`` and sends its text without it.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from bot.toolkit.charts import Chart, chart_in_words, draw_png, png_size

log = logging.getLogger(__name__)

# Beyond this many drawings waiting, a new one is skipped (its text still goes):
# a burst of reports cannot pile up work without bound.
MAX_DRAWINGS_WAITING = 16


def _leave_with_the_bot() -> None:
    """In the worker: exit as soon as the bot's process is gone, however it ended.

    A bot that stops closes its worker; one killed outright (a crash, the OOM
    killer, ``kill -9``) says nothing, and its worker would wait for drawings
    forever, one more at every restart.
    """
    bot = multiprocessing.parent_process()
    if bot is None:
        return

    def watch() -> None:
        bot.join()  # returns when the bot's process has ended
        os._exit(0)

    threading.Thread(target=watch, name="rupn-chart-bot-watch", daemon=True).start()


@dataclass(frozen=True)
class PageFigure:
    """A chart as a page shows it: its picture inline, and its figures in words."""

    title: str
    png_base64: str
    words: str
    width: int | None = None  # from the PNG's header: the page keeps its place while loading
    height: int | None = None


class ChartDrawer:
    """Draws ``Chart``\\ s as PNG in a worker process; ``close`` stops it."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._waiting = 0

    def _worker(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn: a fork would copy the bot's threads and open database mid-use. The
            # worker imports the program's main module again: rupn-bot's entry points
            # (the console script, python -m bot.cli) run nothing on import.
            self._pool = ProcessPoolExecutor(
                1, mp_context=multiprocessing.get_context("spawn"), initializer=_leave_with_the_bot
            )
        return self._pool

    async def draw(self, chart: Chart) -> bytes | None:
        """The chart as PNG bytes, or ``None`` if there is nothing to draw or it failed."""
        if chart.empty:
            return None
        if self._waiting >= MAX_DRAWINGS_WAITING:
            log.warning("%d charts already waiting: %r is left out", self._waiting, chart.title)
            return None
        self._waiting += 1
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._worker(), draw_png, chart)
        except BrokenProcessPool:
            log.error("the chart process stopped; the next chart starts a new one")
            self._pool = None
        except Exception:
            log.exception("chart %r could not be drawn", chart.title)
        finally:
            self._waiting -= 1
        return None

    async def draw_all(self, charts: list[Chart]) -> list[tuple[Chart, bytes]]:
        """Each chart with its picture, those that could be drawn, in order."""
        pictures = await asyncio.gather(*(self.draw(chart) for chart in charts))
        return [(c, p) for c, p in zip(charts, pictures, strict=True) if p is not None]

    async def draw_for_page(self, charts: list[Chart]) -> list[PageFigure]:
        """The charts that could be drawn, ready for an HTML page (a file sent alone,
        so its pictures are inline)."""
        return [
            PageFigure(
                chart.title,
                base64.b64encode(png).decode("ascii"),
                chart_in_words(chart),
                *png_size(png).values(),
            )
            for chart, png in await self.draw_all(charts)
        ]

    def close(self) -> None:
        """Stop the worker process, if one was started."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
