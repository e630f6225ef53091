"""Rendering hostile text: 100 kB of Markdown look-alikes through a listing and the conversions.

The renderer escapes every value and reads the plain body in one pass
(``bot.core.render``); a regex that backtracked once took a minute on 80
breakdowns full of ``[``. Here, 80 breakdown descriptions of 1.25 kB each
(100 kB in all) made of ``[``, ``](``, ``*``, ``_``, backslashes, ``<``,
``@room`` and line breaks go through the ``!panne`` listing (the longest
message is cut with its French mark), and the same 100 kB, unescaped, through
``plain_body`` and ``markdown_to_html`` on their own: the worst a template
could hand them.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.core.render import (
    TRUNCATION_MARK,
    Renderer,
    content_json_bytes,
    markdown_to_html,
    plain_body,
)
from storage.panne import Incident, category_label

DESCRIPTIONS = 80
TOTAL_CHARS = 100_000
PIECES = ("[", "](", "*", "_", "\\", "\\[", "](x", "[a](", "**", "__", "\n", "<b>", "@room", "`")


@dataclass(frozen=True)
class RenderTimes:
    """Milliseconds for each way the text was rendered (best of ``rounds``)."""

    listing_ms: float
    plain_ms: float
    html_ms: float
    chars: int
    cut: bool  # the listing was cut with its French mark to fit one event


def adversarial_text(chars: int, seed: int = 0) -> str:
    """Markdown look-alikes in a random (seeded) order, ``chars`` characters of them."""
    rng = random.Random(seed)
    parts, length = [], 0
    while length < chars:
        piece = rng.choice(PIECES)
        parts.append(piece)
        length += len(piece)
    return "".join(parts)[:chars]


def _best_ms(work, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        work()
        best = min(best, (time.perf_counter() - started) * 1000)
    return best


def measure(rounds: int = 5) -> RenderTimes:
    """Render the hostile listing and convert the hostile text; best time of ``rounds`` each."""
    renderer = Renderer()
    now = datetime(2027, 6, 11, 16, 0, tzinfo=ZoneInfo("Europe/Paris"))
    each = TOTAL_CHARS // DESCRIPTIONS
    incidents = [
        Incident(
            id=n,
            establishment_id="clg-bench",
            number=n,
            description=adversarial_text(each, seed=n),
            category="autre",
            reporter=f"@prof{n}:bench",
            reported_at=datetime(2027, 6, 1, 8, 0, tzinfo=UTC),
            ticket_ref=None,
            resolved_at=None,
        )
        for n in range(1, DESCRIPTIONS + 1)
    ]

    class School:
        name = "Collège du Banc d'essai"

    def listing():
        return renderer.render(
            "panne/liste",
            incidents=incidents,
            everyone=True,
            category_label=category_label,
            establishment=School,
            now=now,
            prefix="!",
            mention=None,
        )

    message = listing()
    text = adversarial_text(TOTAL_CHARS)
    return RenderTimes(
        listing_ms=_best_ms(listing, rounds),
        plain_ms=_best_ms(lambda: plain_body(text), rounds),
        html_ms=_best_ms(lambda: markdown_to_html(text), rounds),
        chars=sum(len(i.description) for i in incidents),
        cut=message.body.endswith(TRUNCATION_MARK.strip())
        and content_json_bytes(message.body, message.html) <= 40_000,
    )
