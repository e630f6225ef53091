"""Percentiles of a sample, linear between closest ranks (as numpy's default)."""

from __future__ import annotations

from dataclasses import dataclass


def percentile(values: list[float], p: float) -> float:
    """The ``p``-th percentile (0–100) of ``values``."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class Summary:
    count: int
    p50: float
    p95: float
    p99: float
    max: float


def summary(values: list[float]) -> Summary:
    """Count, median, p95, p99 and maximum."""
    return Summary(
        len(values),
        percentile(values, 50),
        percentile(values, 95),
        percentile(values, 99),
        max(values) if values else float("nan"),
    )
