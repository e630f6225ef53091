"""Numbers written the French way: a decimal comma, percentages with a space."""

from __future__ import annotations

__all__ = ["french_number", "french_percent"]


def french_number(value: float, decimals: int = 1) -> str:
    """``2.0`` → ``2``, ``1.5`` → ``1,5`` (French decimal comma)."""
    rounded = round(float(value), decimals)
    if rounded == int(rounded):
        return str(int(rounded))
    return f"{rounded:.{decimals}f}".rstrip("0").replace(".", ",")


def french_percent(part: int, whole: int) -> str:
    """« 67 % », « – » when there is nothing to divide by."""
    return f"{french_number(100 * part / whole, 0)} %" if whole else "–"
