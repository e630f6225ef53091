"""A stand-in for systemd's notification socket: records what the bot tells it."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Notification:
    """One datagram, and how long the bot's log was when it arrived."""

    text: str
    log_size: int

    @property
    def lines(self) -> list[str]:
        return self.text.split("\n")


class NotifyListener:
    """Binds a unix datagram socket and records every datagram on a thread of its own.

    Read continuously, as systemd does: a socket nobody reads fills up after a
    few datagrams (the bot then drops its notifications, by design).
    """

    def __init__(self, path: Path, log_path: Path):
        self.path = path
        self.log_path = log_path
        self.received: list[Notification] = []
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._socket.bind(str(path))
        self._socket.settimeout(0.2)
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    @property
    def env(self) -> dict[str, str]:
        """What systemd puts in the bot's environment."""
        return {"NOTIFY_SOCKET": str(self.path)}

    def _read(self) -> None:
        while not self._closed.is_set():
            try:
                data = self._socket.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            size = self.log_path.stat().st_size if self.log_path.exists() else 0
            self.received.append(Notification(data.decode(), size))

    def having(self, line: str) -> list[Notification]:
        """The datagrams received so far that hold this line (``READY=1``…)."""
        return [n for n in list(self.received) if line in n.lines]

    def wait_until(self, condition: Callable[[], bool], timeout: float = 30) -> None:
        """Poll until the condition holds; fail with what was received after the deadline."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"not received in {timeout} s: {self.received[-10:]}")
            time.sleep(0.05)

    def close(self) -> None:
        self._closed.set()
        self._thread.join(5)
        self._socket.close()
