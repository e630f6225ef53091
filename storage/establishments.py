"""Establishments and their members, kept in step with the configuration."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlite_utils

from storage.stamps import to_stamp


@dataclass(frozen=True)
class EstablishmentRow:
    """What the configuration says about one establishment, as plain values."""

    id: str
    name: str
    room: str
    zone: str
    timezone: str
    referents: tuple[str, ...]
    principals: tuple[str, ...]
    # As the academy knows it: the official code, the bassin (the area whose
    # establishments share a training), the local authority in charge of equipment.
    uai: str | None = None
    bassin: str | None = None
    collectivite: str | None = None


def sync_establishments(
    db: sqlite_utils.Database, establishments: Iterable[EstablishmentRow], now: datetime
) -> None:
    """Upsert every configured establishment and its referents and principals.

    Someone removed from the config as referent or principal becomes a plain
    teacher again rather than being deleted: their bookings and votes stay theirs,
    unless a role given by command (``storage/roles.py``) still makes them one.
    """
    stamp = to_stamp(now)
    with db.atomic():
        for e in establishments:
            db.execute(
                "INSERT INTO establishments (id, name, room, zone, timezone, uai, bassin,"
                " collectivite) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(id) DO UPDATE SET name = excluded.name, room = excluded.room,"
                " zone = excluded.zone, timezone = excluded.timezone, uai = excluded.uai,"
                " bassin = excluded.bassin, collectivite = excluded.collectivite,"
                # A room pinned for another alias is forgotten: the new one is resolved.
                " room_id = CASE WHEN room = excluded.room THEN room_id END",
                (e.id, e.name, e.room, e.zone, e.timezone, e.uai, e.bassin, e.collectivite),
            )
            configured = {u: "referent" for u in e.referents}
            configured.update({u: "principal" for u in e.principals if u not in configured})
            db.execute(
                "UPDATE members SET role = 'teacher'"
                " WHERE establishment_id = ? AND role != 'teacher'"
                f" AND user_id NOT IN ({','.join('?' * len(configured)) or 'NULL'})"
                " AND NOT EXISTS (SELECT 1 FROM role_grants g"
                " WHERE g.establishment_id = members.establishment_id"
                " AND g.user_id = members.user_id AND g.revoked_at IS NULL)",
                (e.id, *configured),
            )
            for user_id, role in configured.items():
                _upsert_member(db, e.id, user_id, role, stamp)


def set_room_id(db: sqlite_utils.Database, establishment_id: str, room_id: str) -> None:
    """Pin the room id the configured room (an alias, say) resolved to."""
    db.execute("UPDATE establishments SET room_id = ? WHERE id = ?", (room_id, establishment_id))


def pinned_room_id(db: sqlite_utils.Database, establishment_id: str, room: str) -> str | None:
    """The room id pinned for ``room`` as configured, if it is still the configured one."""
    row = db.execute(
        "SELECT room_id FROM establishments WHERE id = ? AND room = ?", (establishment_id, room)
    ).fetchone()
    return row[0] if row else None


def record_member(
    db: sqlite_utils.Database,
    establishment_id: str,
    user_id: str,
    role: str,
    now: datetime,
    display_name: str | None = None,
) -> None:
    """Note that someone used the bot in an establishment (first time only)."""
    _upsert_member(db, establishment_id, user_id, role, to_stamp(now), display_name)


def _upsert_member(db, establishment_id, user_id, role, stamp, display_name=None) -> None:
    db.execute(
        "INSERT INTO members (establishment_id, user_id, role, display_name, first_seen)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT(establishment_id, user_id) DO UPDATE SET"
        " role = excluded.role, display_name = coalesce(excluded.display_name, display_name)",
        (establishment_id, user_id, role, display_name, stamp),
    )


def members(db: sqlite_utils.Database, establishment_id: str, role: str | None = None) -> list[str]:
    """User ids known in an establishment, optionally only those with ``role``."""
    sql = "SELECT user_id FROM members WHERE establishment_id = ?"
    params: list[str] = [establishment_id]
    if role:
        sql += " AND role = ?"
        params.append(role)
    return [row[0] for row in db.execute(sql + " ORDER BY user_id", params).fetchall()]


def display_names(db: sqlite_utils.Database, establishment_id: str) -> dict[str, str]:
    """Known display names of an establishment's members, for mention pills."""
    rows = db.execute(
        "SELECT user_id, display_name FROM members WHERE establishment_id = ?"
        " AND display_name IS NOT NULL",
        (establishment_id,),
    ).fetchall()
    return dict(rows)


def replace_room_members(
    db: sqlite_utils.Database, establishment_id: str, user_ids: Iterable[str], now: datetime
) -> None:
    """Set the room's joined members to ``user_ids``, as the homeserver listed them.

    Those already there keep the instant they were first seen; those gone are removed.
    """
    joined = sorted(set(user_ids))
    with db.atomic():
        db.execute(
            "DELETE FROM room_members WHERE establishment_id = ?"
            f" AND user_id NOT IN ({','.join('?' * len(joined)) or 'NULL'})",
            (establishment_id, *joined),
        )
        db.conn.executemany(
            "INSERT OR IGNORE INTO room_members (establishment_id, user_id, joined_at)"
            " VALUES (?, ?, ?)",
            [(establishment_id, user_id, to_stamp(now)) for user_id in joined],
        )


def note_room_membership(
    db: sqlite_utils.Database, establishment_id: str, user_id: str, joined: bool, now: datetime
) -> None:
    """Follow one join (``joined``) or departure (a leave, a kick, a ban) in the room."""
    if joined:
        db.execute(
            "INSERT OR IGNORE INTO room_members (establishment_id, user_id, joined_at)"
            " VALUES (?, ?, ?)",
            (establishment_id, user_id, to_stamp(now)),
        )
    else:
        db.execute(
            "DELETE FROM room_members WHERE establishment_id = ? AND user_id = ?",
            (establishment_id, user_id),
        )


def room_members(db: sqlite_utils.Database, establishment_id: str) -> list[str]:
    """The user ids of the room's joined members (the bot left out), as last read."""
    rows = db.execute(
        "SELECT user_id FROM room_members WHERE establishment_id = ? ORDER BY user_id",
        (establishment_id,),
    ).fetchall()
    return [user_id for (user_id,) in rows]
