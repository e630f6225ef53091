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
# a Markdown link's target, a bare URL. Each branch starts with its own character
# (the backtick's lookbehind comes after it), so the scan skips every other
# character at once: this runs on every message.
_PROTECTED = re.compile(r"`(?<!\\`)[^`]*`|\]\([^)]*\)|https?://[^\s<>]+")

_SPACE_CHARS = " \t\u00a0\u202f"
# The signs the rules turn on: rare in a text, so they are found first (a search for a
# set of characters runs in C) and each is looked at with its neighbours.
_SIGN = re.compile(r"[;!?:«»]")
# A sign counts as punctuation when a space (or a line end, or closing markup)
# follows it: « tapez !aide » is a command, « Bravo ! » is an exclamation.
_AFTER_SIGN = re.compile(r"[\s*_)\]»\\]|$")
_UNITS = (
    r"%|min|h|heures?|minutes?|secondes?|jours?|semaines?|mois|ans?|années?"
    r"|€|euros?|ko|Ko|Mo|Go|octets?|personnes?|collègues?|élèves?|fois"
)
_NUMBER_AND_UNIT = re.compile(r"(\d)[ \t]++(?=(?:" + _UNITS + r")(?!\w))")
# « 12 h 30 »: the space after « h » holds too.
_HOUR_AND_MINUTES = re.compile(r"(\d\u00a0h)[ \t]++(?=\d\d\b)")


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
    if _SIGN.search(text):
        text = _space_signs(text)
    if "°" in text:
        text = text.replace("n° ", "n°" + NBSP).replace("N° ", "N°" + NBSP)
    text = _NUMBER_AND_UNIT.sub(r"\1" + NBSP, text)
    # « 12 h 30 » has « 12 h » joined above: a long text without one is not read again.
    return _HOUR_AND_MINUTES.sub(r"\1" + NBSP, text) if NBSP + "h" in text else text


def _space_signs(text: str) -> str:
    """The spaces around « : ; ! ? » and inside « », in one pass over the signs."""
    out: list[str] = []
    position = 0
    for sign in _SIGN.finditer(text):
        at = sign.start()
        if at < position:
            continue  # inside the spaces after a « already taken
        char = sign.group()
        if char == "«":
            out.append(text[position : at + 1] + NARROW_NBSP)
            position = at + 1
            while position < len(text) and text[position] in _SPACE_CHARS:
                position += 1
            continue
        # User text reaches here escaped for Markdown: « \! » is a sign too.
        start = at - 1 if at and text[at - 1] == "\\" else at
        kept = start  # where the spaces before the sign begin
        while kept > position and text[kept - 1] in _SPACE_CHARS:
            kept -= 1
        if char == "»":
            out.append(text[position:kept] + NARROW_NBSP + text[start : at + 1])
        elif kept < start and _AFTER_SIGN.match(text, at + 1):
            out.append(text[position:kept] + (NBSP if char == ":" else NARROW_NBSP))
            out.append(text[start : at + 1])
        else:
            continue  # left as it is, copied with what follows
        position = at + 1
    out.append(text[position:])
    return "".join(out)


_ORDINARY_SPACE_BEFORE_SIGN = re.compile(r" \\?[:;!?](?=[\s*_)\]»\\]|$)|« | »", re.MULTILINE)


def ordinary_spaces_before_signs(text: str) -> list[str]:
    """The places where an ordinary space stands before « : ; ! ? » or inside « »,
    outside code and URLs, each with a few characters around (for a test's message)."""
    found = []
    for piece in _PROTECTED.split(text):
        for match in _ORDINARY_SPACE_BEFORE_SIGN.finditer(piece):
            found.append(piece[max(0, match.start() - 20) : match.end() + 5])
    return found
