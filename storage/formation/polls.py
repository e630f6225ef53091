"""Date polls posted for a need (m.poll.start) and the answers people gave."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlite_utils

from storage.formation.needs import TrainingNeed
from storage.stamps import from_stamp, to_stamp


@dataclass(frozen=True)
class PollOption:
    """One proposed date of a poll; ``id`` is the answer id sent in the Matrix event."""

    id: str
    starts_at: datetime


@dataclass(frozen=True)
class TrainingPoll:
    """A date poll posted for a need."""

    event_id: str
    need_id: int
    room_id: str
    options: tuple[PollOption, ...]
    closed: bool


@dataclass(frozen=True)
class PollResult:
    """Who chose each option (the last answer of each person counts)."""

    poll: TrainingPoll
    voters_by_option: dict[str, tuple[str, ...]]

    @property
    def voters(self) -> tuple[str, ...]:
        """Everyone who chose a date, each once."""
        return tuple(dict.fromkeys(v for vs in self.voters_by_option.values() for v in vs))

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
) -> None:
    """Remember a poll posted for a need; a newer poll replaces the need's previous one."""
    encoded = json.dumps([{"id": o.id, "starts_at": to_stamp(o.starts_at)} for o in options])
    with db.atomic():
        db.execute(
            "INSERT INTO training_polls (event_id, need_id, room_id, options, created_by,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING",
            (event_id, need.id, room_id, encoded, created_by, to_stamp(now)),
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
        "SELECT event_id, need_id, room_id, options, closed_at FROM training_polls"
        " WHERE event_id = ?",
        (event_id,),
    ).fetchone()
    if row is None:
        return None
    options = tuple(PollOption(o["id"], from_stamp(o["starts_at"])) for o in json.loads(row[3]))
    return TrainingPoll(row[0], row[1], row[2], options, closed=row[4] is not None)


def record_poll_response(
    db: sqlite_utils.Database,
    poll_event_id: str,
    voter: str,
    response_event_id: str,
    answers: Sequence[str],
    origin_ts: int,
) -> None:
    """Keep a person's latest answer to a poll; older or repeated events change nothing.

    Replaying the same event (a restart, a back-filled sync) is a no-op, and an
    older answer delivered late never overwrites a newer one.
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
    """Who chose which date; an answer naming no known option is a spoiled vote."""
    known = {o.id for o in poll.options}
    chosen: dict[str, list[str]] = {}
    rows = db.execute(
        "SELECT voter, answers FROM training_poll_responses WHERE poll_event_id = ?"
        " ORDER BY origin_ts, voter",
        (poll.event_id,),
    ).fetchall()
    for voter, answers in rows:
        valid = [a for a in json.loads(answers) if a in known]
        if valid:
            chosen.setdefault(valid[0], []).append(voter)
    return PollResult(poll, {k: tuple(v) for k, v in chosen.items()})
