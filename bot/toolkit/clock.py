"""The real clock, in UTC; tests, benchmarks and the simulated start inject another."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    """The real clock; tests and benchmarks inject another."""
    return datetime.now(UTC)
