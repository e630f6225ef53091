"""sd_notify datagrams on a real unix datagram socket, as systemd would receive them."""

from __future__ import annotations

import logging
import os
import socket
import tempfile
import time
from pathlib import Path

import pytest

from bot.ops.systemd import Notifier


@pytest.fixture
def short_dir():
    # A unix socket path must fit in 108 bytes; pytest's tmp_path may not.
    with tempfile.TemporaryDirectory(prefix="rupn-sd-") as path:
        yield Path(path)


@pytest.fixture
def manager(short_dir):
    """A bound datagram socket standing for systemd's notification socket."""
    path = short_dir / "notify"
    receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    receiver.bind(str(path))
    receiver.settimeout(5)
    yield receiver, path
    receiver.close()


def received(receiver: socket.socket) -> str:
    return receiver.recv(4096).decode()


def test_ready_watchdog_and_stopping_reach_the_socket_named_by_the_environment(
    manager, monkeypatch
):
    receiver, path = manager
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    notifier = Notifier.from_environment()
    assert notifier.enabled
    notifier.ready("serving 2 room(s)")
    notifier.watchdog()
    notifier.watchdog()
    notifier.stopping()
    assert received(receiver) == "READY=1\nSTATUS=serving 2 room(s)"
    assert received(receiver) == "WATCHDOG=1"
    assert received(receiver) == "WATCHDOG=1"
    assert received(receiver) == "STOPPING=1\nSTATUS=stopping"
    notifier.close()


def test_an_address_starting_with_at_is_in_the_abstract_namespace():
    name = f"rupn-bot-test-{os.getpid()}-{time.monotonic_ns()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as receiver:
        receiver.bind(b"\0" + name.encode())
        receiver.settimeout(5)
        notifier = Notifier.from_environment({"NOTIFY_SOCKET": f"@{name}"})
        assert notifier.send("READY=1")
        assert received(receiver) == "READY=1"
        notifier.close()


def test_without_notify_socket_nothing_is_sent_and_nothing_fails():
    notifier = Notifier.from_environment({})
    assert not notifier.enabled
    assert notifier.send("READY=1") is False
    notifier.ready("serving")
    notifier.watchdog()
    notifier.stopping()
    notifier.close()


def test_a_vanished_manager_is_logged_once_and_never_raises(manager, caplog):
    receiver, path = manager
    notifier = Notifier(str(path))
    receiver.close()
    path.unlink()
    with caplog.at_level(logging.INFO, logger="bot.ops.systemd"):
        assert [notifier.send("WATCHDOG=1") for _ in range(5)] == [False] * 5
        assert caplog.text.count("could not notify systemd") == 1
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as again:
            again.bind(str(path))
            assert notifier.send("WATCHDOG=1")
            assert "notifying systemd works again" in caplog.text
    notifier.close()


def test_a_manager_that_does_not_read_never_blocks_the_bot(manager):
    # The kernel queues few datagrams per unix socket (net.unix.max_dgram_qlen):
    # a blocking send would then hold the event loop until systemd reads.
    receiver, path = manager
    notifier = Notifier(str(path))
    started = time.monotonic()
    results = [notifier.send("WATCHDOG=1") for _ in range(2_000)]
    assert time.monotonic() - started < 5
    assert results[0] and not all(results)
    assert received(receiver) == "WATCHDOG=1"
    notifier.close()
