"""Pictures: drawn off the event loop, the same figures in words, in the report and the digest.

The report's HTML page is opened in a real headless Chromium, as the principal
opens the file: it must load without error and show its pictures.
"""

from __future__ import annotations

import asyncio
import base64
import os
import re
import signal
import sys
from datetime import datetime
from pathlib import Path

from bench.browser import open_page
from bot.core.charts import ChartDrawer
from bot.core.scheduler import Scheduler
from bot.toolkit.charts import Chart, Series, chart_in_words, draw_png, png_size
from commands.lettre import monthly_digest
from storage.outbox import file_data
from tests.conftest import PARIS, PRINCIPAL, REFERENT
from tests.support.reading import as_read, queued_as_read
from tests.unit.test_bilan import ask_report, live_the_term
from tests.unit.test_letter_families import run as live_a_month

NEEDS = Chart(
    "Besoins de formation par domaine du CRCN",
    ("Informations et données", "Création de contenus"),
    (Series("Besoins exprimés", (4, 1)), Series("Besoins traités", (2, 0))),
    kind="bars",
)


def test_a_chart_is_a_png_of_fixed_size_and_the_same_bytes_each_time():
    picture = draw_png(NEEDS)
    assert png_size(picture) == {"w": 800, "h": 420}
    assert draw_png(NEEDS) == picture


def test_a_chart_reads_in_french_words():
    assert as_read(chart_in_words(NEEDS)) == (
        "Besoins exprimés : Informations et données : 4 ; Création de contenus : 1."
        " Besoins traités : Informations et données : 2 ; Création de contenus : 0."
    )


async def test_a_drawing_lost_with_its_process_costs_that_picture_only():
    drawer = ChartDrawer()
    try:
        assert await drawer.draw(NEEDS) is not None
        assert await drawer.draw(Chart("Rien", ("septembre",), (Series("x", (0,)),))) is None
        (worker,) = drawer._pool._processes.values()
        os.kill(worker.pid, signal.SIGKILL)
        worker.join(10)
        # That one fails (the text goes without its picture); the next one draws again.
        assert await drawer.draw(NEEDS) is None
        assert await drawer.draw(NEEDS) is not None
    finally:
        drawer.close()


PROJECT = Path(__file__).resolve().parents[2]
# A program that draws once, writes down its chart process, then waits to be killed.
DRAWS_AND_WAITS = """
import asyncio, sys, time
from pathlib import Path
from bot.core.charts import ChartDrawer
from bot.toolkit.charts import Chart, Series

async def main():
    drawer = ChartDrawer()
    await drawer.draw(Chart("Besoins", ("septembre",), (Series("Besoins exprimés", (3,)),)))
    Path(sys.argv[1]).write_text(" ".join(map(str, drawer._pool._processes)))
    time.sleep(600)

if __name__ == "__main__":
    asyncio.run(main())
"""


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has ended
    except FileNotFoundError:
        return False


async def test_the_chart_process_ends_with_a_bot_killed_outright(tmp_path):
    # Killed by the OOM killer or kill -9, the bot closes nothing: its chart process must
    # not wait for drawings forever, one more at each restart.
    program, said = tmp_path / "bot_that_draws.py", tmp_path / "worker.pid"
    program.write_text(DRAWS_AND_WAITS, encoding="utf-8")
    bot = await asyncio.create_subprocess_exec(
        sys.executable,
        str(program),
        str(said),
        stdout=asyncio.subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(PROJECT)},
    )
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    try:
        while not said.exists() or not said.read_text():
            assert bot.returncode is None and loop.time() < deadline, "the program did not draw"
            await asyncio.sleep(0.05)
        worker = int(said.read_text())
        assert _running(worker)
    finally:
        bot.kill()
        await bot.wait()
    deadline = loop.time() + 20
    try:
        while _running(worker):
            assert loop.time() < deadline, "the chart process outlived the bot"
            await asyncio.sleep(0.05)
    finally:
        if _running(worker):
            os.kill(worker, signal.SIGKILL)


async def test_the_event_loop_answers_while_a_chart_is_drawn():
    drawer = ChartDrawer()
    try:
        await drawer.draw(NEEDS)  # the worker is up
        drawing = asyncio.ensure_future(drawer.draw(NEEDS))
        ticks = 0
        while not drawing.done():
            ticks += 1
            await asyncio.sleep(0)
        assert await drawing is not None and ticks > 1
    finally:
        drawer.close()


async def test_the_report_page_shows_its_pictures_in_a_browser_with_their_words(chat):
    await live_the_term(chat)
    _, files = await ask_report(chat)
    page = files[1][1]
    seen = open_page(page)
    assert seen.errors == ()
    assert [p.alt.split(". ")[0] for p in seen.pictures] == [
        "L'année mois par mois",
        "Besoins de formation par domaine du CRCN",
    ]
    assert all(p.shown and p.width > 300 for p in seen.pictures)
    # The figures in words, under each picture, for screen readers and printed copies.
    captions = re.findall(r"<summary>Les chiffres du graphique</summary><p>(.*?)</p>", page)
    assert captions[0].startswith("Permanences numériques tenues : septembre 2026 : 3 ;")
    assert "Besoins exprimés : Communication et collaboration : 1 ;" in captions[1]
    # Before the first section, after the introduction.
    assert page.index("<figure>") < page.index("<h2>1. Diffuser")


async def test_the_visit_page_loads_in_a_browser(chat):
    await chat.say(REFERENT, "!panne le TBI de la salle B12 est HS")
    before = len(chat.messenger.sent)
    await chat.say(REFERENT, "!panne visite")
    (page,) = [
        s.data.decode()
        for s in chat.messenger.sent[before:]
        if s.filename == ("visite-pannes-clg-test-2026-11-23.html")
    ]
    seen = open_page(page)
    assert seen.errors == () and "Salle B12" in seen.dom


async def test_each_principal_gets_the_digest_and_its_picture_once(chat):
    await live_a_month(chat)

    class Clock:
        now = datetime(2026, 12, 1, 8, tzinfo=PARIS)

        def __call__(self):
            return self.now

    scheduler = Scheduler(
        [monthly_digest], chat.config, chat.db, chat.renderer, Clock(), registry=chat.registry
    )
    assert await scheduler.run(monthly_digest, chat.config.establishments[0]) == 2
    assert await scheduler.run(monthly_digest, chat.config.establishments[0]) == 0
    text, picture = queued_as_read(chat.db)
    assert text.dm_user == picture.dm_user == PRINCIPAL
    assert "Synthèse mensuelle du collège Test : novembre 2026" in text.body
    assert picture.filename == "synthese-2026-11.png"
    assert png_size(file_data(chat.db, picture.id)) == {"w": 800, "h": 420}
    assert base64.b64encode(file_data(chat.db, picture.id))[:8] == b"iVBORw0K"
