"""The bot's Matrix device: its credentials, kept beside the crypto store, owner-only."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.core.config import MatrixConfig


@dataclass(frozen=True)
class Credentials:
    """What a login gives and every later start reuses."""

    homeserver: str
    user_id: str
    device_id: str
    access_token: str


def credentials_path(matrix: MatrixConfig) -> Path:
    """Where the device's credentials are kept, beside its crypto store."""
    return matrix.store_path / "credentials.json"


def load_credentials(path: Path) -> Credentials | None:
    """The stored credentials, or None if the bot never logged in."""
    try:
        return Credentials(**json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None


def save_credentials(path: Path, credentials: Credentials) -> None:
    """Write the credentials readable by the owner only (0600), atomically."""
    write_private_json(path, credentials.__dict__)


def write_private_json(path: Path, value: object) -> None:
    """Write JSON readable by the owner only (0600, folder 0700), atomically.

    For what holds access tokens: a reader never sees a half-written file, and
    the file is never readable by others, not even for a moment.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(value, out)
    os.chmod(tmp, 0o600)  # an existing .tmp keeps its mode through O_TRUNC
    os.replace(tmp, path)
