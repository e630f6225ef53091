"""Full-text search over an FTS5 index: the words of a search, and the query they make.

The watch (``veille``) and the answer sheets (``fiche``) index their texts with
``unicode61 remove_diacritics 2``, one column holding the establishment. Their
searches read the words the same way here: accents and case ignored, every word
required, three letters or more matching as a prefix.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from bot.toolkit.text import fold

# Search words beyond this are ignored: a long paste is not a better query.
MAX_SEARCH_TERMS = 20
MIN_PREFIX = 3  # shorter search words match whole words only
_TOKEN = re.compile(r"[^\W_]+")  # what the unicode61 tokenizer keeps: letters and digits


def search_terms(text: str) -> list[str]:
    """The words of a search, as the index sees them: letters and digits, accents folded.

    Empty when the text holds no letter or digit (nothing can match it).
    """
    return _TOKEN.findall(fold(text))[:MAX_SEARCH_TERMS]


def fts_query(
    terms: Sequence[str], columns: Iterable[str], establishment_id: str | None = None
) -> str:
    """An FTS5 query matching rows whose ``columns`` contain every term.

    Terms of ``MIN_PREFIX`` characters or more match as word prefixes, shorter ones
    as whole words. Two neighbouring terms also match written as one word: people
    type « video projecteur » for « vidéoprojecteur » and « e mail » for « email ».
    Terms come from ``search_terms`` (letters and digits only) and are quoted all
    the same, so words such as ``OR``, ``NOT`` or ``NEAR`` are searched, not
    obeyed. With ``establishment_id`` the index itself keeps that establishment's
    rows (its column must be named ``establishment_id``).
    """
    terms = list(terms)
    # A prefix of one or two letters matches a good part of the académie's
    # vocabulary (« e* »: 16 ms); such short words are matched whole (« ia »).
    readings = [terms] + [
        [*terms[:i], terms[i] + terms[i + 1], *terms[i + 2 :]] for i in range(len(terms) - 1)
    ]
    words = " OR ".join(f"({' '.join(_phrase(term) for term in reading)})" for reading in readings)
    query = f"{{{' '.join(columns)}}} : ({words})"
    if establishment_id is None:
        return query
    return f"establishment_id : {quoted(establishment_id)} AND {query}"


def any_word_query(
    phrases: Iterable[str], columns: Iterable[str], establishment_id: str | None = None
) -> str | None:
    """An FTS5 query matching rows whose ``columns`` contain at least one of ``phrases``.

    A phrase of several words matches them in a row; its last word of five letters
    or more matches as a prefix (« projecteur » finds « projecteurs »), a shorter
    one whole (« ent » does not find « entrée »). None when no phrase has a word.
    """
    parts = []
    for phrase in phrases:
        words = search_terms(phrase)
        if words:
            star = "*" if len(words[-1]) >= 5 else ""
            parts.append(quoted(" ".join(words)) + star)
    if not parts:
        return None
    query = f"{{{' '.join(columns)}}} : ({' OR '.join(dict.fromkeys(parts))})"
    if establishment_id is None:
        return query
    return f"establishment_id : {quoted(establishment_id)} AND {query}"


def _phrase(term: str) -> str:
    return quoted(term) + ("*" if len(term) >= MIN_PREFIX else "")


def quoted(text: str) -> str:
    """``text`` as one FTS5 string: in double quotes, its own quotes doubled."""
    return '"' + text.replace('"', '""') + '"'
