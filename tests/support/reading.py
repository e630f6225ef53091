"""Messages as a test reads them: the French no-break spaces read as spaces.

What a message says is asserted in every family's tests; where its spaces must
not break is asserted once, in ``tests/unit/test_typography.py``. Without this,
every expected sentence would carry its own U+00A0 and U+202F.
"""

from __future__ import annotations

_AS_SPACE = str.maketrans({"\u00a0": " ", "\u202f": " "})


def as_read(text: str | None) -> str | None:
    """``text`` with no-break spaces as ordinary ones."""
    return None if text is None else text.translate(_AS_SPACE)


def queued_as_read(db) -> list:
    """The outbox's waiting messages (``storage.outbox.unsent_messages``), read as above."""
    from dataclasses import replace

    from storage.outbox import unsent_messages

    return [replace(m, body=as_read(m.body), html=as_read(m.html)) for m in unsent_messages(db)]
