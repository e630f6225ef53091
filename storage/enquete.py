"""Surveys with a deadline, who said they answered, and who still has to.

Every question that a scheduled reminder asks takes an ``at`` instant: the
answer is the one that held at that instant, so a reminder caught up late
after a restart mentions exactly the people it would have mentioned on time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import sqlite_utils

from storage.numbers import next_number
from storage.periods import Period, select_per_period
from storage.stamps import from_stamp, to_stamp

AUDIENCES = ("members", "referents")


@dataclass(frozen=True)
class Survey:
    """A survey of one establishment."""

    id: int
    establishment_id: str
    number: int
    title: str | None  # None: untitled, shown by its number
    url: str
    audience: str
    opens_at: datetime
    deadline: date
    academy: bool
    closed_at: datetime | None

    @classmethod
    def from_row(cls, row: tuple) -> Survey:
        """Build from a ``SELECT {COLUMNS}`` row."""
        return cls(
            id=row[0],
            establishment_id=row[1],
            number=row[2],
            title=row[3],
            url=row[4],
            audience=row[5],
            opens_at=from_stamp(row[6]),
            deadline=date.fromisoformat(row[7]),
            academy=row[8] is not None,
            closed_at=from_stamp(row[9]) if row[9] else None,
        )


COLUMNS = (
    "id, establishment_id, number, title, url, audience, opens_at, deadline, academy_key, closed_at"
)


@dataclass(frozen=True)
class AcademySurvey:
    """A survey the academy sets in the config for every establishment, as plain values."""

    key: str
    title: str
    url: str
    audience: str
    opens_at: datetime
    deadline: date


@dataclass(frozen=True)
class Person:
    """Someone a reminder mentions."""

    user_id: str
    display_name: str | None


def open_survey(
    db: sqlite_utils.Database,
    establishment_id: str,
    *,
    title: str | None,
    url: str,
    deadline: date,
    opened_by: str,
    now: datetime,
) -> Survey:
    """Open a survey for everyone known in the establishment, from ``now`` to ``deadline``."""
    with db.atomic():
        cursor = db.execute(
            "INSERT INTO surveys (establishment_id, number, title, url, audience, opens_at,"
            " deadline, opened_by) VALUES (?, ?, ?, ?, 'members', ?, ?, ?)",
            (
                establishment_id,
                next_number(db, "surveys", establishment_id),
                title,
                url,
                to_stamp(now),
                deadline.isoformat(),
                opened_by,
            ),
        )
        return get_survey(db, cursor.lastrowid)


def sync_academy_surveys(
    db: sqlite_utils.Database,
    establishment_id: str,
    surveys: Iterable[AcademySurvey],
    now: datetime,
) -> None:
    """Make the establishment's copy of each academy survey match the config.

    A survey keeps its number and its answers when its title or dates change;
    one removed from the config is closed (its answers stay for the digest).
    """
    keys = []
    with db.atomic():
        for s in surveys:
            keys.append(s.key)
            values = (s.title, s.url, s.audience, to_stamp(s.opens_at), s.deadline.isoformat())
            updated = db.execute(
                "UPDATE surveys SET title = ?, url = ?, audience = ?, opens_at = ?, deadline = ?,"
                " closed_at = NULL WHERE establishment_id = ? AND academy_key = ?",
                (*values, establishment_id, s.key),
            )
            if updated.rowcount == 0:
                number = next_number(db, "surveys", establishment_id)
                db.execute(
                    "INSERT INTO surveys (establishment_id, number, title, url, audience,"
                    " opens_at, deadline, academy_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (establishment_id, number, *values, s.key),
                )
        # Not "NOT IN (NULL)", which matches nothing: no key left closes them all.
        placeholders = ",".join("?" * len(keys)) or "''"
        db.execute(
            "UPDATE surveys SET closed_at = ? WHERE establishment_id = ?"
            " AND academy_key IS NOT NULL AND closed_at IS NULL"
            f" AND academy_key NOT IN ({placeholders})",
            (to_stamp(now), establishment_id, *keys),
        )


def get_survey(db: sqlite_utils.Database, survey_id: int) -> Survey:
    """One survey by its id."""
    row = db.execute(f"SELECT {COLUMNS} FROM surveys WHERE id = ?", (survey_id,)).fetchone()
    return Survey.from_row(row)


def survey_by_number(
    db: sqlite_utils.Database, establishment_id: str, number: int
) -> Survey | None:
    """The establishment's survey n° ``number``, open or not."""
    row = db.execute(
        f"SELECT {COLUMNS} FROM surveys WHERE establishment_id = ? AND number = ?",
        (establishment_id, number),
    ).fetchone()
    return Survey.from_row(row) if row else None


def open_surveys(db: sqlite_utils.Database, establishment_id: str, at: datetime) -> list[Survey]:
    """Surveys open at ``at``: opened, not closed, and the deadline day not over.

    The deadline is compared with the day of ``at`` in ``at``'s time zone, which
    callers give in the establishment's zone.
    """
    rows = db.execute(
        f"SELECT {COLUMNS} FROM surveys WHERE establishment_id = ? AND opens_at <= ?"
        " AND deadline >= ? AND (closed_at IS NULL OR closed_at > ?) ORDER BY deadline, number",
        (establishment_id, to_stamp(at), at.date().isoformat(), to_stamp(at)),
    ).fetchall()
    return [Survey.from_row(row) for row in rows]


def close_survey(db: sqlite_utils.Database, survey_id: int, now: datetime) -> None:
    """Close a survey before its deadline: no more reminders."""
    db.execute("UPDATE surveys SET closed_at = ? WHERE id = ?", (to_stamp(now), survey_id))


def mark_answered(db: sqlite_utils.Database, survey_id: int, user_id: str, now: datetime) -> bool:
    """Note that someone answered; False if they had said so already."""
    return _note_once(db, "survey_answers", "answered_at", survey_id, user_id, now)


# What a person says of a survey, once: that they answered (survey_answers) or that
# they want no more reminders (survey_reminder_stops). Table names are ours, not input.
def _note_once(db, table: str, stamp_column: str, survey_id: int, user_id: str, now) -> bool:
    cursor = db.execute(
        f"INSERT OR IGNORE INTO {table} (survey_id, user_id, {stamp_column}) VALUES (?, ?, ?)",
        (survey_id, user_id, to_stamp(now)),
    )
    return cursor.rowcount == 1


def _noted_by(db, table: str, stamp_column: str, survey: Survey, at: datetime) -> set[str]:
    rows = db.execute(
        f"SELECT user_id FROM {table} WHERE survey_id = ? AND {stamp_column} <= ?",
        (survey.id, to_stamp(at)),
    ).fetchall()
    return {user_id for (user_id,) in rows}


def has_answered(db: sqlite_utils.Database, survey_id: int, user_id: str) -> bool:
    """Whether someone said they answered the survey."""
    row = db.execute(
        "SELECT 1 FROM survey_answers WHERE survey_id = ? AND user_id = ?", (survey_id, user_id)
    ).fetchone()
    return row is not None


def audience(db: sqlite_utils.Database, survey: Survey, at: datetime) -> list[Person]:
    """Who the survey is for: the room's joined members (everyone), or the referents.

    The room's members are those the bot last read (``room_members``), whenever
    they joined: a colleague who never typed a command is asked all the same.
    Until they have been read (a room the bot has not joined yet), and for a
    survey of the referents, it is the people known at ``at``.
    """
    if survey.audience == "members":
        joined = db.execute(
            "SELECT r.user_id, m.display_name FROM room_members r LEFT JOIN members m"
            " ON m.establishment_id = r.establishment_id AND m.user_id = r.user_id"
            " WHERE r.establishment_id = ? ORDER BY r.user_id",
            (survey.establishment_id,),
        ).fetchall()
        if joined:
            return [Person(u, name) for u, name in joined]
    sql = "SELECT user_id, display_name FROM members WHERE establishment_id = ? AND first_seen <= ?"
    params = [survey.establishment_id, to_stamp(at)]
    if survey.audience == "referents":
        sql += " AND role = 'referent'"
    rows = db.execute(sql + " ORDER BY user_id", params).fetchall()
    return [Person(u, name) for u, name in rows]


def still_to_answer(db: sqlite_utils.Database, survey: Survey, at: datetime) -> list[Person]:
    """The audience at ``at`` minus those who had said they answered by then."""
    answered = _noted_by(db, "survey_answers", "answered_at", survey, at)
    return [p for p in audience(db, survey, at) if p.user_id not in answered]


def stop_reminders(db: sqlite_utils.Database, survey_id: int, user_id: str, now: datetime) -> bool:
    """Note that someone wants no more reminders of a survey; False if they had asked already."""
    return _note_once(db, "survey_reminder_stops", "stopped_at", survey_id, user_id, now)


def to_remind(db: sqlite_utils.Database, survey: Survey, at: datetime) -> list[Person]:
    """Those still to answer at ``at``, minus those who had asked for no more reminders."""
    stopped = _noted_by(db, "survey_reminder_stops", "stopped_at", survey, at)
    return [p for p in still_to_answer(db, survey, at) if p.user_id not in stopped]


def answer_count(db: sqlite_utils.Database, survey: Survey, at: datetime) -> int:
    """How many of the survey's audience at ``at`` said they answered.

    Someone outside the audience (a teacher, for a survey of the referents)
    does not count, even if their answer was noted before they were kept out.
    """
    people = {p.user_id for p in audience(db, survey, at)}
    answered = db.execute(
        "SELECT user_id FROM survey_answers WHERE survey_id = ?", (survey.id,)
    ).fetchall()
    return sum(1 for (user_id,) in answered if user_id in people)


def answers_per_period(
    db: sqlite_utils.Database, establishment_id: str, periods: Sequence[Period]
) -> list[list[tuple[int, str | None, int]]]:
    """For each period, (number, title, answers declared in it) of the surveys open then."""
    rows = select_per_period(
        db,
        periods,
        "SELECT p.n, s.number, s.title,"
        " (SELECT count(*) FROM survey_answers a WHERE a.survey_id = s.id"
        " AND a.answered_at >= p.lo AND a.answered_at < p.hi"
        # A survey of the referents counts their answers only.
        " AND (s.audience = 'members' OR EXISTS (SELECT 1 FROM members m"
        " WHERE m.establishment_id = s.establishment_id AND m.user_id = a.user_id"
        " AND m.role = 'referent')))"
        " FROM periods p JOIN surveys s ON s.establishment_id = ?"
        " AND s.opens_at < p.hi AND s.deadline >= p.lo_day ORDER BY p.n, s.number",
        [establishment_id],
    )
    answers: list[list[tuple[int, str | None, int]]] = [[] for _ in periods]
    for n, number, title, count in rows:
        answers[n].append((number, title, count))
    return answers
