"""The systemd unit in deploy/ is one systemd accepts, with the settings the bot relies on."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.core.config import load_config

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
UNIT = DEPLOY / "rupn-bot.service"
INSTALLED = "/opt/rupn-bot/bin/rupn-bot"


def settings(text: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.lstrip().startswith(("#", "[")):
            key, value = line.split("=", 1)
            found.setdefault(key.strip(), []).append(value.strip())
    return found


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_systemd_analyze_verify_accepts_the_unit(tmp_path):
    # verify checks that ExecStart's program exists: the venv's own rupn-bot stands in
    # for the one installed in /opt.
    program = shutil.which("rupn-bot", path=str(Path(sys.executable).parent)) or "/bin/true"
    text = UNIT.read_text()
    assert f"ExecStart={INSTALLED} " in text
    unit = tmp_path / UNIT.name
    unit.write_text(text.replace(f"ExecStart={INSTALLED} ", f"ExecStart={program} "))
    done = subprocess.run(
        ["systemd-analyze", "verify", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    # An unknown key or a bad value is only a warning (exit code 0): none may name the unit.
    complaints = [line for line in (done.stdout + done.stderr).splitlines() if UNIT.name in line]
    assert done.returncode == 0 and not complaints, done.stdout + done.stderr


def test_the_unit_keeps_what_the_bot_relies_on():
    unit = settings(UNIT.read_text())
    assert unit["Type"] == ["notify"] and unit["NotifyAccess"] == ["main"]
    assert unit["WatchdogSec"]  # the bot feeds it at every sync
    # A configuration error (exit code 1) is not fixed by restarting.
    assert "1" in unit["RestartPreventExitStatus"][0].split()
    assert unit["StateDirectory"] == ["rupn-bot"] and unit["UMask"] == ["0077"]
    assert unit["LoadCredential"] == [
        "rupn-password:/etc/rupn-bot/password",
        "rupn-pickle-key:/etc/rupn-bot/pickle-key",
    ]
    assert unit["CapabilityBoundingSet"] == [""]


def test_the_example_config_uses_the_state_directory_and_the_credential(monkeypatch):
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", "/run/credentials/rupn-bot.service")
    config = load_config(DEPLOY / "rupn.toml")
    assert config.bot.database == Path("/var/lib/rupn-bot/rupn.db")
    assert config.matrix.store_path == Path("/var/lib/rupn-bot/store")
    assert config.matrix.password_file == Path("/run/credentials/rupn-bot.service/rupn-password")
    assert config.matrix.pickle_key_file == Path(
        "/run/credentials/rupn-bot.service/rupn-pickle-key"
    )
