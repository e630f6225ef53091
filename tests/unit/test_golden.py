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

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COUNT = 6
OUTPUTS_PER_ESTABLISHMENT = 20


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
    assert outcomes <= {"outcome: done", "outcome: 1 queued"}, outcomes


def test_the_texts_hold_no_path_of_the_machine(checked, tmp_path_factory):
    _, texts = checked
    base = str(tmp_path_factory.getbasetemp())
    for path in texts.glob("*/*.txt"):
        text = path.read_text(encoding="utf-8")
        assert "/tmp/" not in text and base not in text and str(ROOT) not in text, path
