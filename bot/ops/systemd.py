"""Tell systemd how the bot is doing: the sd_notify protocol, without libsystemd.

systemd passes a unix datagram socket in ``$NOTIFY_SOCKET`` to services of
``Type=notify``; each datagram holds newline-separated ``KEY=value`` lines.
``READY=1`` ends the start-up (``systemctl start`` returns, units ordered after
the bot start), ``WATCHDOG=1`` proves the sync loop is alive (``WatchdogSec=``)
and ``STOPPING=1`` says a stop is on purpose. Without the variable (a terminal,
the tests, another supervisor) every call does nothing.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping

log = logging.getLogger(__name__)


class Notifier:
    """Sends sd_notify datagrams to one socket; a no-op when there is none."""

    def __init__(self, address: str | None = None) -> None:
        self.address = _socket_address(address)
        self._socket: socket.socket | None = None
        self._failing = False

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> Notifier:
        """The notifier systemd asked for through ``$NOTIFY_SOCKET``, if any."""
        return cls(environ.get("NOTIFY_SOCKET"))

    @property
    def enabled(self) -> bool:
        """Whether a service manager listens."""
        return self.address is not None

    def ready(self, status: str) -> None:
        """Start-up is over: the bot serves its rooms."""
        self.send("READY=1", f"STATUS={status}")

    def watchdog(self) -> None:
        """The sync loop went round once more."""
        self.send("WATCHDOG=1")

    def stopping(self, status: str = "stopping") -> None:
        """The bot is stopping on purpose; what follows is not a crash."""
        self.send("STOPPING=1", f"STATUS={status}")

    def send(self, *lines: str) -> bool:
        """Send one datagram of ``KEY=value`` lines; False if it could not go.

        Never blocks and never raises: the bot must keep serving its rooms
        whatever happens to the service manager's socket. A failure is logged
        once, not at every sync.
        """
        if self.address is None:
            return False
        try:
            if self._socket is None:
                self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                self._socket.setblocking(False)
            self._socket.sendto("\n".join(lines).encode(), self.address)
        except OSError as error:
            if not self._failing:
                log.warning("could not notify systemd at %s: %s", self.address, error)
            self._failing = True
            return False
        if self._failing:
            log.info("notifying systemd works again")
        self._failing = False
        return True

    def close(self) -> None:
        """Close the socket (a later send opens it again)."""
        if self._socket is not None:
            self._socket.close()
            self._socket = None


def _socket_address(value: str | None) -> str | bytes | None:
    """The address to send to: a path, or an abstract name when it starts with '@'."""
    if not value:
        return None
    if value.startswith("@"):
        return b"\0" + value[1:].encode()
    if value.startswith("/"):
        return value
    # Newer systemd may pass vsock: addresses (virtual machines): not ours to serve.
    log.warning("NOTIFY_SOCKET=%s is not a unix socket path: systemd not notified", value)
    return None
