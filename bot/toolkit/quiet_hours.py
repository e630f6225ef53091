"""Quiet hours: when a scheduled message may make a phone ring.

An establishment's sending window is a span of each day (7:30 to 19:30 unless
configured), never on Sunday unless allowed. A message due outside it goes at
the window's last moment before: a reminder due at 6:00 for an 8:00 slot goes
at 19:30 the evening before, not in the middle of the night or at dawn.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

SUNDAY = 6


@dataclass(frozen=True)
class SendingWindow:
    """The part of each day scheduled messages may leave in, in the establishment's time."""

    opens: time = time(7, 30)
    closes: time = time(19, 30)
    sundays: bool = False

    def _open_day(self, day: date) -> bool:
        return self.sundays or day.weekday() != SUNDAY

    def contains(self, moment: datetime) -> bool:
        """Whether a message may leave at ``moment`` (an aware datetime)."""
        clock = moment.time().replace(tzinfo=None)
        return self._open_day(moment.date()) and self.opens <= clock <= self.closes

    def latest_before(self, due: datetime) -> datetime:
        """``due`` if inside the window, else the window's last moment before it."""
        if self.contains(due):
            return due
        day = due.date()
        if due.time().replace(tzinfo=None) < self.opens or not self._open_day(day):
            day -= timedelta(days=1)
        while not self._open_day(day):
            day -= timedelta(days=1)
        return datetime.combine(day, self.closes, tzinfo=due.tzinfo)

    def next_opening(self, moment: datetime) -> datetime:
        """``moment`` if inside the window, else when it next opens."""
        if self.contains(moment):
            return moment
        day = moment.date()
        if moment.time().replace(tzinfo=None) > self.closes:
            day += timedelta(days=1)
        while not self._open_day(day):
            day += timedelta(days=1)
        return datetime.combine(day, self.opens, tzinfo=moment.tzinfo)

    def sending_time(self, due: datetime, now: datetime) -> datetime:
        """When a message due at ``due`` leaves, seen at ``now``.

        Its time moved back into the window; if that is already past (booked
        late, or the bot was down), now, or when the window next opens.
        """
        moved = self.latest_before(due)
        return moved if moved > now else self.next_opening(now)
