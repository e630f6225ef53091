"""The UAI, the official code of a French school (« 0860012A »), and its check letter.

Seven characters (three for the département, « 086 », « 620 » for Corse-du-Sud,
« 971 » for Guadeloupe, then four digits) and a letter: the remainder of the
seven digits divided by 23, in an alphabet of 23 letters without I, O and Q
(they would be read as 1 and 0).
"""

from __future__ import annotations

import re

__all__ = ["UAI", "check_letter", "uai_problem"]

UAI = re.compile(r"^\d{7}[A-Z]$")
# The département part: 001 to 095, Corsica as 620 and 720, overseas 971 to 989.
DEPARTEMENT_PART = re.compile(r"^(00[1-9]|0[1-8]\d|09[0-5]|[67]20|9[78]\d)")
CHECK_ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ"


def check_letter(digits: str) -> str:
    """The check letter of the seven digits of a UAI."""
    return CHECK_ALPHABET[int(digits) % len(CHECK_ALPHABET)]


def uai_problem(code: str) -> str | None:
    """What is wrong with a UAI (upper case expected), or None if it is well formed."""
    if not UAI.match(code):
        return f"expected seven digits and a letter like 0860012W, got {code!r}"
    if not DEPARTEMENT_PART.match(code):
        return f"{code}: {code[:3]} is not a département (001 to 095, 620, 720, 971 to 989)"
    expected = check_letter(code[:7])
    if code[7] != expected:
        return f"{code}: the check letter of {code[:7]} is {expected}, not {code[7]} (a typo?)"
    return None
