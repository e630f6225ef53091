"""Date polls posted for a need (m.poll.start) and the answers people gave."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlite_utils

from bot.toolkit.polls import valid_selections
from storage.formation.needs import TrainingNeed
from storage.stamps import from_stamp, to_stamp


@dataclass(frozen=True)
class PollOption:
    """One proposed date of a poll; ``id`` is the answer id sent in the Matrix event."""

    id: str
    starts_at: datetime


@dataclass(frozen=True)
class TrainingPoll:
    """A date poll posted for a need; ``max_selections`` is 1 for the single-choice ones."""

    event_id: str
    need_id: int
    room_id: str
    options: tuple[PollOption, ...]
    closed: bool
    max_selections: int = 1


@dataclass(frozen=True)
class DateTally:
    """One proposed date and how many people can make it."""

    option: PollOption
    count: int


@dataclass(frozen=True)
class PollResult:
    """Who chose each option: the last answer of each person counts, for every date in it."""

    poll: TrainingPoll
    voters_by_option: dict[str, tuple[str, ...]]

    @property
    def voters(self) -> tuple[str, ...]:
        """Everyone who chose at least one date, each once."""
        return tuple(dict.fromkeys(v for vs in self.voters_by_option.values() for v in vs))

    @property
    def tally(self) -> tuple[DateTally, ...]:
        """Each proposed date, in the poll's order, with how many people can make it."""
        return tuple(
            DateTally(o, len(self.voters_by_option.get(o.id, ()))) for o in self.poll.options
        )

    @property
    def winner_count(self) -> int:
        """How many people can make the winning date (0 if nobody answered)."""
        best = self.winner
        return len(self.voters_by_option.get(best.id, ())) if best is not None else 0

    @property
    def winner(self) -> PollOption | None:
        """The most chosen date (the earliest one on a tie); None if nobody chose."""
        best = max(
            self.poll.options,
            key=lambda o: (len(self.voters_by_option.get(o.id, ())), -o.starts_at.timestamp()),
        )
        return best if self.voters_by_option.get(best.id) else None


def attach_poll(
    db: sqlite_utils.Database,
    need: TrainingNeed,
    event_id: str,
    room_id: str,
    options: Sequence[PollOption],
    created_by: str,
    now: datetime,
    max_selections: int = 1,
) -> None:
    """Remember a poll posted for a need; a newer poll replaces the need's previous one.

    ``max_selections`` is how many dates a person may choose (posted in the poll).
    """
    encoded = json.dumps([{"id": o.id, "starts_at": to_stamp(o.starts_at)} for o in options])
    with db.atomic():
        db.execute(
            "INSERT INTO training_polls (event_id, need_id, room_id, options, created_by,"
            " created_at, max_selections) VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (event_id) DO NOTHING",
            (event_id, need.id, room_id, encoded, created_by, to_stamp(now), max_selections),
        )
        if need.poll_event_id and need.poll_event_id != event_id:
            db.execute(
                "UPDATE training_polls SET closed_at = ? WHERE event_id = ? AND closed_at IS NULL",
                (to_stamp(now), need.poll_event_id),
            )
        db.execute("UPDATE training_needs SET poll_event_id = ? WHERE id = ?", (event_id, need.id))


def find_poll(db: sqlite_utils.Database, event_id: str) -> TrainingPoll | None:
    """The poll posted as this event, or None."""
    row = db.execute(
        "SELECT event_id, need_id, room_id, options, closed_at, max_selections"
        " FROM training_polls WHERE event_id = ?",
        (event_id,),
    ).fetchone()
    return None if row is None else _poll_of(row)


def _poll_of(row) -> TrainingPoll:
    options = tuple(PollOption(o["id"], from_stamp(o["starts_at"])) for o in json.loads(row[3]))
    return TrainingPoll(row[0], row[1], row[2], options, row[4] is not None, row[5])


def record_poll_response(
    db: sqlite_utils.Database,
    poll_event_id: str,
    voter: str,
    response_event_id: str,
    answers: Sequence[str],
    origin_ts: int,
) -> None:
    """Keep a person's latest answer to a poll; older or repeated events change nothing.

    The latest answer replaces the previous one whole (every date chosen in it
    counts; none withdraws the person's choice). Replaying the same event (a
    restart, a back-filled sync) is a no-op, and an older answer delivered late
    never overwrites a newer one.
    """
    db.execute(
        "INSERT INTO training_poll_responses"
        " (poll_event_id, voter, response_event_id, answers, origin_ts) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (poll_event_id, voter) DO UPDATE SET"
        " response_event_id = excluded.response_event_id, answers = excluded.answers,"
        " origin_ts = excluded.origin_ts"
        " WHERE excluded.origin_ts > training_poll_responses.origin_ts"
        " OR (excluded.origin_ts = training_poll_responses.origin_ts"
        " AND excluded.response_event_id > training_poll_responses.response_event_id)",
        (poll_event_id, voter, response_event_id, json.dumps(list(answers)), origin_ts),
    )


def poll_result(db: sqlite_utils.Database, poll: TrainingPoll) -> PollResult:
    """Who chose which date: every known date of a person's answer counts for them.

    An answer naming no known option is a spoiled vote; a single-choice poll
    counts only the first date of an answer, as it always did.
    """
    rows = db.execute(
        "SELECT voter, answers FROM training_poll_responses WHERE poll_event_id = ?"
        " ORDER BY origin_ts, voter",
        (poll.event_id,),
    ).fetchall()
    return _result_of(poll, rows)


def open_poll_results(db: sqlite_utils.Database, establishment_id: str) -> dict[int, PollResult]:
    """The tally of every open poll of an establishment's open needs, by need id."""
    polls = [
        _poll_of(row)
        for row in db.execute(
            "SELECT p.event_id, p.need_id, p.room_id, p.options, p.closed_at, p.max_selections"
            " FROM training_needs n JOIN training_polls p ON p.event_id = n.poll_event_id"
            " WHERE n.establishment_id = ? AND n.status = 'open' AND p.closed_at IS NULL",
            (establishment_id,),
        )
    ]
    if not polls:
        return {}
    responses: dict[str, list[tuple[str, str]]] = {p.event_id: [] for p in polls}
    marks = ", ".join("?" * len(polls))
    for poll_event_id, voter, answers in db.execute(
        "SELECT poll_event_id, voter, answers FROM training_poll_responses"
        f" WHERE poll_event_id IN ({marks}) ORDER BY origin_ts, voter",
        [p.event_id for p in polls],
    ):
        responses[poll_event_id].append((voter, answers))
    return {p.need_id: _result_of(p, responses[p.event_id]) for p in polls}


def _result_of(poll: TrainingPoll, rows) -> PollResult:
    known = [o.id for o in poll.options]
    chosen: dict[str, list[str]] = {}
    for voter, answers in rows:
        for answer in valid_selections(json.loads(answers), known, poll.max_selections):
            chosen.setdefault(answer, []).append(voter)
    return PollResult(poll, {k: tuple(v) for k, v in chosen.items()})
