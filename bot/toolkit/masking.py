"""Names taken out of free text before it goes into a document people pass on.

The activity report and the technician's visit list name nobody: the free text
in them (an objective, a breakdown's description) is someone's, and may still
name a colleague. Matrix IDs and the members' display names become ``NAME_MASK``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache

from bot.toolkit.text import fold

__all__ = ["NAME_MASK", "name_masker"]

# Matrix IDs anywhere in free text; display names are matched as whole words.
_MATRIX_ID = re.compile(r"@[\w.=/+\-]+:[\w.\-]+(?::\d+)?")
_WORD = re.compile(r"\w+")
_NOT_WORD = re.compile(r"\W+")
NAME_MASK = "[nom masqué]"


def name_masker(names: Iterable[str]) -> Callable[[str], str]:
    """A function masking Matrix IDs and these display names (whole words, any case).

    A report names nobody: the free text in it (objectives, progress notes,
    survey titles, breakdowns) is someone's, and may still name a colleague.
    """
    words = sorted({n.strip() for n in names if len(n.strip()) >= 3}, key=len, reverse=True)
    # A name can only be in a text that has its first word: most texts (themes,
    # survey titles) have none, and are let through after one look at their words.
    by_first_word: dict[str, list[tuple[str, str]]] = {}
    for word in words:
        key = _folded(word)
        first = _WORD.match(key)
        by_first_word.setdefault(first.group() if first else "", []).append((word, key))

    def mask(text: str) -> str:
        text = _MATRIX_ID.sub(NAME_MASK, text)
        folded = _folded(text)
        candidates = [*by_first_word.get("", ())]
        for found in set(_WORD.findall(folded)) & by_first_word.keys():
            candidates += by_first_word[found]
        # One pattern of every member's name took 3 to 6 ms to compile, for texts
        # that mostly name nobody: only the names the text contains go into it.
        present = [word for word, key in candidates if key in folded]
        if not present:
            return text
        # The longest name first: « Anne Marie » before « Anne ».
        present.sort(key=len, reverse=True)
        alternatives = [rf"(?<!\w){re.escape(w)}(?!\w)" for w in present]
        return re.sub("|".join(alternatives), NAME_MASK, text, flags=re.IGNORECASE)

    return mask


# Most texts are the same labels in every report (themes, categories): folded once.
@lru_cache(maxsize=1024)
def _folded(text: str) -> str:
    """The text as the masker looks for names in it: folded, every run of non-word
    characters a space. A name the pattern matches in a text (whole words, any
    case) is always found in its folded form: the look only lets texts through."""
    return fold(_NOT_WORD.sub(" ", text))
