"""The golden outputs of a small seeded académie are those pinned in bench/golden-6.json.

``python -m bench.golden --check`` does the same for the 430 establishments of
the benchmark (``make golden``). When a change is meant to alter what people
see, regenerate both fixtures with ``--write`` (and ``--count 6``), after
reading the differences in a ``--dump`` taken before and after.
"""

from __future__ import annotations

import json

import pytest

from bench import golden

COUNT = 6


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    # A cache of its own: a file of 6 establishments builds in a fraction of a second.
    return golden.compute(COUNT, cache_dir=tmp_path_factory.mktemp("seeded"))


def test_every_output_of_the_small_academy_is_unchanged(run):
    expected = json.loads(golden.fixture_path(COUNT).read_text(encoding="utf-8"))
    assert golden.differences(expected, run) == [], (
        "outputs changed; compare `python -m bench.golden --count 6 --dump DIR`"
        " before and after the change"
    )


def test_the_pinned_outputs_are_answers_not_errors(run):
    assert len(run.texts) == COUNT * len(golden.OUTPUTS)
    assert set(run.outcomes) <= {"done", "1 queued"}, run.outcomes


def test_the_texts_hold_no_path_of_the_machine(run, tmp_path_factory):
    base = str(tmp_path_factory.getbasetemp())
    assert not [key for key, text in run.texts.items() if "/tmp/" in text or base in text]
