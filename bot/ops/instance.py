"""One bot per data directory: an exclusive lock beside the database.

Two processes on one database would both answer every command, and two on one
Olm store corrupt it. ``rupn-bot run`` holds ``<database>.lock`` (``flock``,
released by the kernel however the process ends, even ``kill -9``) and writes
its PID into it so that a refused second start can say who holds it.
``rupn-bot restore`` takes the same lock so that no bot starts while the data
is being put back.

The lock file is never deleted: removing it while another process waits on it
would let two processes each lock a different file of the same name.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path


class InstanceLocked(Exception):
    """Another process holds the data directory's lock."""

    def __init__(self, path: Path, pid: int | None):
        self.path = path
        self.pid = pid
        who = f"process {pid}" if pid else "another process"
        super().__init__(f"{who} already uses this data (lock {path})")


def lock_path(database: Path) -> Path:
    """The lock file that guards a database and the store that goes with it."""
    return database.with_name(database.name + ".lock")


def _read_pid(fd: int) -> int | None:
    os.lseek(fd, 0, os.SEEK_SET)
    text = os.read(fd, 32).decode("ascii", "replace").strip()
    return int(text) if text.isdigit() else None


@contextlib.contextmanager
def exclusive(database: Path) -> Iterator[Path]:
    """Hold the data directory's lock for the ``with`` block, or raise InstanceLocked at once.

    The holder's PID is written into the lock file once the lock is taken (never
    before: truncating first would erase the PID of the process that holds it).
    """
    path = lock_path(database)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InstanceLocked(path, _read_pid(fd)) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield path
    finally:
        # Closing the descriptor releases the lock.
        os.close(fd)


def holder(database: Path) -> int | None:
    """The PID of the process holding the lock, 0 if its PID is unknown, None if free.

    Only looks: the lock is taken for an instant and given back when free, and
    no lock file is created where there is none.
    """
    path = lock_path(database)
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            # A shared lock is enough to learn whether an exclusive one is held.
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_pid(fd) or 0
        return None
    finally:
        os.close(fd)
