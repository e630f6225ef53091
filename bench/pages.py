"""The README's screenshots: the HTML files the bot sends, opened in headless Chromium.

``python -m bench.pages [--out bench/pages]`` types the commands that send a page
(``!bilan`` and ``!panne visite`` for the first establishment of a seeded
académie of six, ``!academie bilan`` in its academy's room), at the seed's
``NOW``, with the charts really drawn, checks that each page loads without
error and shows its pictures, and writes a screenshot of its top to
``<out>/<name>.png``.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from bench.browser import open_page, screenshot
from bench.golden import open_bot
from bench.seed import CACHE_DIR, NOW, fresh_copy, referent_of, seeded_database
from bench.seed.academy import ACADEMY_ADMIN
from bot.core.config import ACADEMY_ID

ESTABLISHMENT = "etab-001"
PAGES = {  # screenshot name: (where, who, line typed, the file's name starts with)
    "bilan": (ESTABLISHMENT, referent_of(ESTABLISHMENT), "!bilan", "bilan-"),
    "visite": (ESTABLISHMENT, referent_of(ESTABLISHMENT), "!panne visite", "visite-pannes-"),
    "academie": (ACADEMY_ID, ACADEMY_ADMIN, "!academie bilan", "bilan-academie-"),
}
OUT = Path(__file__).parent / "pages"


async def _pages(database: Path) -> dict[str, str]:
    bot = open_bot(database, 6, draw=True)
    pages = {}
    try:
        for name, (where, who, line, start) in PAGES.items():
            seen = await bot.command(where, who, line, NOW)
            (page,) = [
                s.data.decode()
                for s in seen.shown
                if s.filename and s.filename.startswith(start) and s.filename.endswith(".html")
            ]
            pages[name] = page
    finally:
        bot.close()
    return pages


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    seeded, _ = seeded_database(6, CACHE_DIR)
    with tempfile.TemporaryDirectory(prefix="rupn-pages-") as work:
        pages = asyncio.run(_pages(fresh_copy(seeded, Path(work) / "pages.db")))
    args.out.mkdir(parents=True, exist_ok=True)
    for name, page in pages.items():
        seen = open_page(page)
        if seen.errors or not all(p.shown for p in seen.pictures):
            raise SystemExit(f"{name}: {seen.errors or 'a picture is not shown'}")
        screenshot(page, args.out / f"{name}.png")
        print(f"{args.out / name}.png: {len(seen.pictures)} picture(s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
