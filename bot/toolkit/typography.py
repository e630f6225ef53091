"""French typography for what the bot writes: the spaces that must not break.

A French text puts a space before « : ; ! ? » and inside « », and keeps « n° 3 »,
« 45 min » or « 67 % » together. On a phone an ordinary space there lets « ? »
wrap alone to the next line, so every message goes through ``french_spacing``
once, after its template is rendered: 300 hand edits in templates would drift,
and values printed into them (a room's name, a date) would escape them.

Code spans and link targets are left as they are: a command to copy or a URL
must stay exactly what it is.
"""

from __future__ import annotations

import re

__all__ = ["NARROW_NBSP", "NBSP", "french_spacing", "ordinary_spaces_before_signs"]

NBSP = "\u00a0"  # before « : », in « n° 3 », between a number and its unit
NARROW_NBSP = "\u202f"  # before « ; ! ? » and inside « »

# What is left untouched: an inline code span (an unescaped backtick to the next),
# a Markdown link's target, a bare URL.
_PROTECTED = re.compile(r"(?<!\\)`[^`]*`|\]\([^)]*\)|https?://[^\s<>]+")

# A sign counts as punctuation when a space (or a line end, or closing markup)
# follows it: « tapez !aide » is a command, « Bravo ! » is an exclamation.
# User text reaches here escaped for Markdown, hence the optional backslash.
_AFTER_SIGN = r"(?=[\s*_)\]»\\]|$)"
_SPACE_BEFORE_HIGH_SIGN = re.compile(r"[ \t\u00a0\u202f]+(\\?[;!?])" + _AFTER_SIGN, re.MULTILINE)
_SPACE_BEFORE_COLON = re.compile(r"[ \t\u00a0\u202f]+(\\?:)" + _AFTER_SIGN, re.MULTILINE)
_OPENING_GUILLEMET = re.compile(r"«[ \t\u00a0\u202f]*")
_CLOSING_GUILLEMET = re.compile(r"[ \t\u00a0\u202f]*»")
_NUMERO = re.compile(r"\b([nN]°)[ \t]+(?=\S)")
_UNITS = (
    r"%|min|h|heures?|minutes?|secondes?|jours?|semaines?|mois|ans?|années?"
    r"|€|euros?|ko|Ko|Mo|Go|octets?|personnes?|collègues?|élèves?|fois"
)
_NUMBER_AND_UNIT = re.compile(r"(\d)[ \t]+(?=(?:" + _UNITS + r")(?![\w]))")
# « 12 h 30 »: the space after « h » holds too.
_HOUR_AND_MINUTES = re.compile(r"(\d\u00a0h)[ \t]+(?=\d\d\b)")


def french_spacing(text: str) -> str:
    """``text`` with French no-break spaces where they belong, code and URLs untouched."""
    pieces: list[str] = []
    position = 0
    for protected in _PROTECTED.finditer(text):
        pieces.append(_space(text[position : protected.start()]))
        pieces.append(protected.group(0))
        position = protected.end()
    pieces.append(_space(text[position:]))
    return "".join(pieces)


def _space(text: str) -> str:
    if not text:
        return text
    text = _SPACE_BEFORE_HIGH_SIGN.sub(NARROW_NBSP + r"\1", text)
    text = _SPACE_BEFORE_COLON.sub(NBSP + r"\1", text)
    if "«" in text:
        text = _OPENING_GUILLEMET.sub("«" + NARROW_NBSP, text)
    if "»" in text:
        text = _CLOSING_GUILLEMET.sub(NARROW_NBSP + "»", text)
    if "°" in text:
        text = _NUMERO.sub(r"\1" + NBSP, text)
    text = _NUMBER_AND_UNIT.sub(r"\1" + NBSP, text)
    return _HOUR_AND_MINUTES.sub(r"\1" + NBSP, text)


_ORDINARY_SPACE_BEFORE_SIGN = re.compile(r" \\?[:;!?]" + _AFTER_SIGN + r"|« | »", re.MULTILINE)


def ordinary_spaces_before_signs(text: str) -> list[str]:
    """The places where an ordinary space stands before « : ; ! ? » or inside « »,
    outside code and URLs, each with a few characters around (for a test's message)."""
    found = []
    for piece in _PROTECTED.split(text):
        for match in _ORDINARY_SPACE_BEFORE_SIGN.finditer(piece):
            found.append(piece[max(0, match.start() - 20) : match.end() + 5])
    return found
