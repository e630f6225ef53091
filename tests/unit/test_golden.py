"""The golden outputs of a small seeded académie are those pinned in bench/golden-6.json.

``python -m bench.golden --check`` does the same for the 430 establishments of
the benchmark (``make golden``). When a change is meant to alter what people
see, regenerate both fixtures with ``--write`` (and ``--count 6``), after
reading the differences in a ``--dump`` taken before and after.

The check runs as ``make golden`` runs it, in a process of its own: importing
bench/ here would put its many string literals into the constants Hypothesis
draws from (it collects them from every project module loaded), and so change
the inputs the other tests of this session generate.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.toolkit.typography import ordinary_spaces_before_signs

ROOT = Path(__file__).resolve().parents[2]
COUNT = 6
OUTPUTS_PER_ESTABLISHMENT = 27
# « 12:30 », « 12h30 »: the one time format is « 12 h 30 ».
OTHER_TIME_FORMATS = re.compile(r"\b\d{1,2}(?::|h)\d{2}\b")


@pytest.fixture(scope="module")
def checked(tmp_path_factory):
    """The check's exit status and output, and the directory of the texts it dumped."""
    work = tmp_path_factory.mktemp("golden")
    command = [sys.executable, "-m", "bench.golden", "--count", str(COUNT), "--check"]
    done = subprocess.run(
        [*command, "--cache-dir", str(work / "cache"), "--dump", str(work / "texts")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return done, work / "texts"


def test_every_output_of_the_small_academy_is_unchanged(checked):
    done, _ = checked
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_pinned_outputs_are_answers_not_errors(checked):
    _, texts = checked
    files = sorted(texts.glob("*/*.txt"))
    assert len(files) == COUNT * OUTPUTS_PER_ESTABLISHMENT
    outcomes = {f.read_text(encoding="utf-8").splitlines()[1] for f in files}
    # A job queues its message, and the digest its picture as well.
    assert outcomes <= {"outcome: done", "outcome: 1 queued", "outcome: 2 queued"}, outcomes


def test_the_texts_hold_no_path_of_the_machine(checked, tmp_path_factory):
    _, texts = checked
    base = str(tmp_path_factory.getbasetemp())
    for path in texts.glob("*/*.txt"):
        text = path.read_text(encoding="utf-8")
        assert "/tmp/" not in text and base not in text and str(ROOT) not in text, path


def test_the_texts_keep_french_typography_and_one_time_format(checked):
    """What a whole seeded académie reads: no sign after an ordinary space, times as « 12 h 30 »."""
    _, texts = checked
    faults = []
    for path in sorted(texts.glob("*/*.txt")):
        if path.name.endswith("-ics.txt"):
            continue  # a calendar file, read by calendar applications
        # The first line says which command ran and when, for the reader of the dump;
        # a JSON export is data for programs, not a text for people.
        shown = path.read_text(encoding="utf-8").split("\n", 1)[1]
        shown = re.sub(r"application/json.*?(?=^=== |\Z)", "", shown, flags=re.DOTALL | re.M)
        for found in ordinary_spaces_before_signs(shown):
            faults.append(f"{path.parent.name}/{path.name}: {found!r}")
        for line in shown.splitlines():
            if OTHER_TIME_FORMATS.search(re.sub(r"`[^`]*`|<code>.*?</code>", "", line)):
                faults.append(f"{path.parent.name}/{path.name}: {line!r}")
    assert faults == []
