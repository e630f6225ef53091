"""Pages opened in a real headless Chromium, as a principal opens the files the bot sends.

The tests check with ``open_page`` that each HTML file loads and shows its
pictures; ``python -m bench.pages`` takes the README's screenshots with ``screenshot``.

The page gets a small probe before ``</body>``: once loaded, it writes on the
body whether each picture decoded and every error the page raised (a script
error, a resource that failed). ``--dump-dom`` prints the page after its load
event, probe results included. Chromium comes from the system (``make``
installs Debian's when it is missing); the flags keep it off the network and
out of the user's profile.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)
PROBE = """<script>
(() => {
  const errors = [];
  window.addEventListener("error", e => errors.push(
    e.message || ("resource " + (e.target.src || e.target.href))), true);
  window.addEventListener("load", () => {
    document.body.dataset.pictures = JSON.stringify(
      [...document.images].map(i => ({alt: i.alt, shown: i.complete && i.naturalWidth > 0,
                                      width: i.getBoundingClientRect().width})));
    document.body.dataset.errors = JSON.stringify(errors);
  });
})();
</script>"""


@dataclass(frozen=True)
class Picture:
    alt: str
    shown: bool  # decoded and laid out
    width: float


@dataclass(frozen=True)
class PageSeen:
    """What Chromium made of a page."""

    pictures: tuple[Picture, ...]
    errors: tuple[str, ...]
    dom: str


def chromium() -> str:
    """The Chromium executable; the test fails with the remedy when there is none."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if found := shutil.which(name):
            return found
    raise AssertionError("Chromium is missing: `make test` installs it (apt-get install chromium)")


def _run(args: list[str], workdir: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [chromium(), *FLAGS, f"--user-data-dir={workdir / 'profile'}", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def open_page(page: str) -> PageSeen:
    """Load ``page`` (an HTML document) from a file, as a downloaded file is opened."""
    with tempfile.TemporaryDirectory(prefix="rupn-page-") as work:
        workdir = Path(work)
        path = workdir / "page.html"
        path.write_text(page.replace("</body>", PROBE + "\n</body>", 1), encoding="utf-8")
        dom = _run(["--virtual-time-budget=5000", "--dump-dom", path.as_uri()], workdir).stdout
    found = {
        name: json.loads(html.unescape(value))
        for name, value in re.findall(r'data-(pictures|errors)="([^"]*)"', dom)
    }
    if "pictures" not in found:
        raise AssertionError(f"the page never finished loading:\n{dom[:2000]}")
    return PageSeen(
        pictures=tuple(Picture(**p) for p in found["pictures"]),
        errors=tuple(found.get("errors", ())),
        dom=dom,
    )


def screenshot(page: str, target: Path, width: int = 1000, height: int = 1400) -> None:
    """A PNG of the page's top ``height`` pixels at ``width``, as a browser window shows it."""
    with tempfile.TemporaryDirectory(prefix="rupn-page-") as work:
        workdir = Path(work)
        path = workdir / "page.html"
        path.write_text(page, encoding="utf-8")
        _run([f"--window-size={width},{height}", f"--screenshot={target}", path.as_uri()], workdir)
