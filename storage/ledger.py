"""The job ledger: which scheduled run was done for which establishment and period.

A job claims its period in the transaction that performs its effect, so the
ledger row and the effect commit or vanish together: each run happens once.
"""

from __future__ import annotations

from datetime import datetime

import sqlite_utils

from storage.stamps import to_stamp


def claim_run(
    db: sqlite_utils.Database, job: str, establishment_id: str, period: str, now: datetime
) -> bool:
    """Record that ``job`` runs for ``period``; False if it already ran.

    Call it inside the transaction that performs the run's effect, so the
    ledger row and the effect commit or vanish together.
    """
    cursor = db.execute(
        "INSERT OR IGNORE INTO job_runs (job, establishment_id, period, ran_at)"
        " VALUES (?, ?, ?, ?)",
        (job, establishment_id, period, to_stamp(now)),
    )
    return cursor.rowcount == 1


def has_run(db: sqlite_utils.Database, job: str, establishment_id: str, period: str) -> bool:
    """Whether ``job`` already ran for that establishment and period."""
    row = db.execute(
        "SELECT 1 FROM job_runs WHERE job = ? AND establishment_id = ? AND period = ?",
        (job, establishment_id, period),
    ).fetchone()
    return row is not None


def runs(db: sqlite_utils.Database, job: str, establishment_id: str) -> list[str]:
    """The periods a job ran for, in order."""
    rows = db.execute(
        "SELECT period FROM job_runs WHERE job = ? AND establishment_id = ?"
        " ORDER BY ran_at, period",
        (job, establishment_id),
    ).fetchall()
    return [row[0] for row in rows]
