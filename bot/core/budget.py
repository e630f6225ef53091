"""Each person's command budget: one person cannot keep the bot busy for everyone.

Someone may send ``per_minute`` commands in any minute, in each establishment.
Beyond it the bot says once that it pauses, then stays silent until the oldest
of those commands is a minute old. Time is given by the caller (the message's
handling time), never read here.

Memory stays bounded whatever people send: people are kept in the order they
were last seen, those idle for a minute are forgotten as others come, and at
most ``max_people`` are kept (the longest idle go first).
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum

WINDOW = timedelta(minutes=1)
# Far more people than type commands in one minute in an académie.
MAX_PEOPLE = 20_000


class Verdict(Enum):
    """What to do with one more command of someone."""

    ANSWER = "answer"
    WARN = "warn"  # the first command over the budget: say once that the bot pauses
    SILENCE = "silence"  # over the budget and already told


@dataclass
class _Person:
    times: deque[datetime]  # when their answered commands of the last minute came
    seen: datetime  # their latest command, answered or not
    warned: bool = False


@dataclass(eq=False)
class CommandBudget:
    """Commands a minute per person and establishment; who has gone over."""

    per_minute: int
    max_people: int = MAX_PEOPLE
    _people: OrderedDict[tuple[str, str], _Person] = field(init=False, default_factory=OrderedDict)

    def take(self, establishment_id: str, sender: str, now: datetime) -> Verdict:
        """Count one command of ``sender`` at ``now``; whether to answer, warn or keep silent."""
        key = (establishment_id, sender)
        person = self._people.pop(key, None)
        if person is None:
            person = _Person(deque(maxlen=self.per_minute), now)
        self._people[key] = person  # the most recently seen last
        person.seen = max(person.seen, now)
        while person.times and person.times[0] <= now - WINDOW:
            person.times.popleft()
        self._forget_idle(now)
        if len(person.times) < self.per_minute:
            person.times.append(now)
            person.warned = False
            return Verdict.ANSWER
        if person.warned:
            return Verdict.SILENCE
        person.warned = True
        return Verdict.WARN

    def _forget_idle(self, now: datetime) -> None:
        # The oldest seen come first: stop at the first one still active.
        while self._people:
            key, person = next(iter(self._people.items()))
            if person.seen > now - WINDOW and len(self._people) <= self.max_people:
                break
            del self._people[key]

    def __len__(self) -> int:
        """How many people are remembered."""
        return len(self._people)
