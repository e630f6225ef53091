"""Tables as CSV files a French spreadsheet opens as they are.

Semicolons (the comma is the French decimal mark), UTF-8 with its byte-order
mark (without it, Excel reads accents as Windows-1252), and any cell that a
spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``…) starts with an
apostrophe: typed text must never become a formula on the principal's machine.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: object) -> str:
    """``value`` as a cell's text, defused if a spreadsheet would read it as a formula."""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def spreadsheet_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """The table as CSV bytes: ``header``, then ``rows``."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    # Numbers stay numbers: only text can be mistaken for a formula.
    writer.writerows(
        [v if isinstance(v, int | float) else spreadsheet_cell(v) for v in row] for row in rows
    )
    return out.getvalue().encode("utf-8-sig")
