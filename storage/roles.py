"""Roles given by command on top of the configuration, and their history.

A principal (for their establishment) or an admin makes someone a referent or
a member of the direction with ``!etablissement``: the role counts from the
next command, without a restart. Withdrawing it keeps the row with who did it
and when, so the rows are the establishment's history of its roles. The
``members`` table follows: its ``role`` is what the surveys and the academy's
counts read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlite_utils

from storage.establishments import record_member
from storage.stamps import from_stamp, to_stamp

GRANTABLE = ("referent", "principal")


@dataclass(frozen=True)
class RoleGrant:
    """A role given to someone in an establishment, and its withdrawal if any."""

    user_id: str
    role: str
    granted_by: str
    granted_at: datetime
    revoked_by: str | None = None
    revoked_at: datetime | None = None


@dataclass(frozen=True)
class RoleChange:
    """One line of the history: a role given (``granted``) or withdrawn, by whom, when."""

    at: datetime
    by: str
    user_id: str
    role: str
    granted: bool


_COLUMNS = "user_id, role, granted_by, granted_at, revoked_by, revoked_at"


def _grant(row) -> RoleGrant:
    user_id, role, granted_by, granted_at, revoked_by, revoked_at = row
    return RoleGrant(
        user_id,
        role,
        granted_by,
        from_stamp(granted_at),
        revoked_by,
        from_stamp(revoked_at) if revoked_at else None,
    )


def granted_role(db: sqlite_utils.Database, establishment_id: str, user_id: str) -> str | None:
    """The role given by command that ``user_id`` holds now in the establishment, if any.

    Read for every command: one lookup in the index of current grants.
    """
    row = db.conn.execute(
        "SELECT role FROM role_grants"
        " WHERE establishment_id = ? AND user_id = ? AND revoked_at IS NULL",
        (establishment_id, user_id),
    ).fetchone()
    return row[0] if row else None


def current_grant(
    db: sqlite_utils.Database, establishment_id: str, user_id: str
) -> RoleGrant | None:
    """The role given by command that ``user_id`` holds now, with who gave it and when."""
    row = db.execute(
        f"SELECT {_COLUMNS} FROM role_grants"
        " WHERE establishment_id = ? AND user_id = ? AND revoked_at IS NULL",
        (establishment_id, user_id),
    ).fetchone()
    return _grant(row) if row else None


def current_grants(db: sqlite_utils.Database, establishment_id: str) -> list[RoleGrant]:
    """Every role given by command and not withdrawn in the establishment, oldest first."""
    rows = db.execute(
        f"SELECT {_COLUMNS} FROM role_grants"
        " WHERE establishment_id = ? AND revoked_at IS NULL ORDER BY granted_at, id",
        (establishment_id,),
    ).fetchall()
    return [_grant(row) for row in rows]


def grant_role(
    db: sqlite_utils.Database,
    establishment_id: str,
    user_id: str,
    role: str,
    granted_by: str,
    now: datetime,
) -> RoleGrant:
    """Give ``role`` to ``user_id`` in the establishment; they must hold none given by command.

    The person is noted as a member with that role in the same transaction.
    """
    if role not in GRANTABLE:
        raise ValueError(f"not a role given by command: {role!r}")
    with db.atomic():
        db.execute(
            "INSERT INTO role_grants (establishment_id, user_id, role, granted_by, granted_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (establishment_id, user_id, role, granted_by, to_stamp(now)),
        )
        record_member(db, establishment_id, user_id, role, now)
    return RoleGrant(user_id, role, granted_by, now)


def revoke_role(
    db: sqlite_utils.Database,
    establishment_id: str,
    user_id: str,
    revoked_by: str,
    now: datetime,
    remaining: str = "teacher",
) -> RoleGrant | None:
    """Withdraw the role given to ``user_id`` by command; None if they held none.

    Their member row takes ``remaining``: the role the configuration still gives
    them, else teacher.
    """
    with db.atomic():
        grant = current_grant(db, establishment_id, user_id)
        if grant is None:
            return None
        db.execute(
            "UPDATE role_grants SET revoked_by = ?, revoked_at = ?"
            " WHERE establishment_id = ? AND user_id = ? AND revoked_at IS NULL",
            (revoked_by, to_stamp(now), establishment_id, user_id),
        )
        db.execute(
            "UPDATE members SET role = ? WHERE establishment_id = ? AND user_id = ?",
            (remaining, establishment_id, user_id),
        )
    return RoleGrant(grant.user_id, grant.role, grant.granted_by, grant.granted_at, revoked_by, now)


def role_history(
    db: sqlite_utils.Database, establishment_id: str, limit: int = 20
) -> tuple[list[RoleChange], int]:
    """The latest ``limit`` roles given and withdrawn in the establishment, newest first,
    and how many there are in all."""
    rows = db.execute(
        f"SELECT {_COLUMNS} FROM role_grants WHERE establishment_id = ?", (establishment_id,)
    ).fetchall()
    changes = []
    for grant in map(_grant, rows):
        changes.append(
            RoleChange(grant.granted_at, grant.granted_by, grant.user_id, grant.role, True)
        )
        if grant.revoked_at is not None:
            changes.append(
                RoleChange(grant.revoked_at, grant.revoked_by, grant.user_id, grant.role, False)
            )
    changes.sort(key=lambda change: (change.at, not change.granted), reverse=True)
    return changes[:limit], len(changes)
