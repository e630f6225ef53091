"""A throw-away local Synapse and scripted chat users, for the tests, the demo and the benchmarks.

Synapse is started from the installed ``matrix-synapse`` package on a free
loopback port in a directory of its own; users are registered through the
shared-secret admin API (no login rate limit, and it hands back a device and
token that ``ChatUser`` reuses so a user keeps one device across clients).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import yaml
from nio import (
    AsyncClient,
    AsyncClientConfig,
    JoinResponse,
    MegolmEvent,
    RoomMessageNotice,
    RoomMessageText,
    RoomSendResponse,
)

from bot.matrix.session import exchange_keys
from tests.support.reading import as_read

RELAXED = {"per_second": 1000, "burst_count": 1000}
REPOSITORY = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_process(
    process: subprocess.Popen | None, sig: int = signal.SIGTERM, timeout: float = 15
) -> int | None:
    """Signal a child process, kill it if it lingers, wait for it; its exit code."""
    if process is None or process.poll() is not None:
        return None
    process.send_signal(sig)
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


def port_is_free(port: int) -> bool:
    """Whether nothing listens on this loopback port."""
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@dataclass(frozen=True)
class Account:
    """A registered user with its own device."""

    user_id: str
    password: str
    access_token: str
    device_id: str


class LocalSynapse:
    """A Synapse homeserver in ``workdir``, listening on 127.0.0.1."""

    def __init__(
        self,
        workdir: Path,
        *,
        relaxed_rate_limits: bool = True,
        port: int | None = None,
        overrides: dict | None = None,
    ):
        """``overrides`` sets homeserver.yaml keys last; a ``None`` value removes the key so
        Synapse's built-in default applies (the benchmarks keep the default message rate
        with ``{"rc_message": None}`` while raising the rest)."""
        self.workdir = Path(workdir)
        self.relaxed = relaxed_rate_limits
        self.port = port or free_port()
        self.overrides = dict(overrides or {})
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def config_path(self) -> Path:
        return self.workdir / "homeserver.yaml"

    def generate(self) -> None:
        """Write a config for server name ``localhost`` (once per directory)."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        if not self.config_path.exists():
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "synapse.app.homeserver",
                    "--server-name",
                    "localhost",
                    "--config-path",
                    str(self.config_path),
                    "--generate-config",
                    "--report-stats=no",
                    "-H",
                    "localhost",
                    "--data-directory",
                    str(self.workdir),
                ],
                cwd=self.workdir,
                check=True,
                capture_output=True,
            )
        config = yaml.safe_load(self.config_path.read_text())
        config["listeners"] = [
            {
                "port": self.port,
                "bind_addresses": ["127.0.0.1"],
                "type": "http",
                "tls": False,
                "x_forwarded": False,
                "resources": [{"names": ["client"], "compress": False}],
            }
        ]
        config["trusted_key_servers"] = []
        config["suppress_key_server_warning"] = True
        config["presence"] = {"enabled": False}
        config["enable_registration"] = False
        config["url_preview_enabled"] = False
        config.setdefault("registration_shared_secret", os.urandom(16).hex())
        if self.relaxed:
            for key in (
                "rc_message",
                "rc_registration",
                "rc_joins_per_room",
                "rc_3pid_validation",
                "rc_invites_per_issuer",
                "rc_room_creation",
                "rc_key_requests",
                "rc_delayed_event_mgmt",
            ):
                config[key] = RELAXED
            config["rc_login"] = {k: RELAXED for k in ("address", "account", "failed_attempts")}
            config["rc_joins"] = {"local": RELAXED, "remote": RELAXED}
            config["rc_invites"] = {"per_room": RELAXED, "per_user": RELAXED, "per_issuer": RELAXED}
        for key, value in self.overrides.items():
            if value is None:
                config.pop(key, None)
            else:
                config[key] = value
        self.config_path.write_text(yaml.safe_dump(config))
        self._quiet_logging()

    def _quiet_logging(self) -> None:
        log_config = self.workdir / "localhost.log.config"
        if log_config.exists():
            text = log_config.read_text().replace("level: INFO", "level: WARNING")
            log_config.write_text(text)

    def start(self, timeout: float = 60) -> None:
        """Start Synapse and wait until its client API answers."""
        if not self.config_path.exists() or self.process is None:
            self.generate()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "synapse.app.homeserver", "-c", str(self.config_path)],
            cwd=self.workdir,
            stdout=subprocess.DEVNULL,
            stderr=open(self.workdir / "stderr.log", "ab"),  # noqa: SIM115
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Synapse exited; see {self.workdir / 'stderr.log'}")
            try:
                urllib.request.urlopen(f"{self.url}/_matrix/client/versions", timeout=1)
                return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.1)
        raise RuntimeError("Synapse did not answer in time")

    def stop(self) -> None:
        """Stop Synapse (SIGTERM, then SIGKILL) and wait for it."""
        stop_process(self.process)
        self.process = None

    def remove(self) -> None:
        """Stop and delete everything."""
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    # -- admin API, synchronous (set-up code runs before any event loop) -------

    def api(self, method: str, path: str, body: dict | None = None, token: str | None = None):
        """Call the client-server API and return the decoded JSON."""
        request = urllib.request.Request(
            self.url + path,
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={
                "Content-Type": "application/json",
                **({"Authorization": f"Bearer {token}"} if token else {}),
            },
        )
        for _ in range(50):
            try:
                with urllib.request.urlopen(request, timeout=30) as resp:
                    return json.loads(resp.read() or b"{}")
            except urllib.error.HTTPError as error:
                if error.code != 429:
                    raise RuntimeError(f"{method} {path}: {error.code} {error.read()!r}") from None
                wait = json.loads(error.read() or b"{}").get("retry_after_ms", 500)
                time.sleep(wait / 1000)
        raise RuntimeError(f"{method} {path}: still rate limited")

    def register(self, localpart: str, password: str | None = None, admin: bool = False) -> Account:
        """Create a user with the shared secret; returns its first device."""
        config = yaml.safe_load(self.config_path.read_text())
        secret = config["registration_shared_secret"].encode()
        password = password or f"{localpart}-{os.urandom(6).hex()}"
        nonce = self.api("GET", "/_synapse/admin/v1/register")["nonce"]
        mac = hmac.new(secret, digestmod=hashlib.sha1)
        mac.update(
            b"\x00".join(
                [
                    nonce.encode(),
                    localpart.encode(),
                    password.encode(),
                    b"admin" if admin else b"notadmin",
                ]
            )
        )
        reply = self.api(
            "POST",
            "/_synapse/admin/v1/register",
            {
                "nonce": nonce,
                "username": localpart,
                "password": password,
                "admin": admin,
                "mac": mac.hexdigest(),
            },
        )
        return Account(reply["user_id"], password, reply["access_token"], reply["device_id"])

    def create_room(
        self, owner: Account, name: str, invite=(), encrypted: bool = False, public: bool = False
    ) -> str:
        """Create a room (optionally encrypted) and invite people.

        A private room by default; a ``public`` one anyone on the homeserver may
        join without an invitation (the benchmarks create hundreds).
        """
        state = []
        if encrypted:
            state.append(
                {
                    "type": "m.room.encryption",
                    "state_key": "",
                    "content": {"algorithm": "m.megolm.v1.aes-sha2"},
                }
            )
        reply = self.api(
            "POST",
            "/_matrix/client/v3/createRoom",
            {
                "name": name,
                "preset": "public_chat" if public else "private_chat",
                "invite": list(invite),
                "initial_state": state,
            },
            token=owner.access_token,
        )
        return reply["room_id"]

    def join(self, account: Account, room_id: str) -> None:
        """Join a room the account was invited to."""
        self.api("POST", f"/_matrix/client/v3/join/{room_id}", {}, token=account.access_token)

    def invite(self, inviter: Account, user_id: str, room_id: str) -> None:
        """``inviter`` invites ``user_id`` to the room."""
        self.api(
            "POST",
            f"/_matrix/client/v3/rooms/{room_id}/invite",
            {"user_id": user_id},
            token=inviter.access_token,
        )

    def bring_in(self, inviter: Account, account: Account, room_id: str) -> None:
        """``account`` invited by ``inviter``, then joined: a member of the room."""
        self.invite(inviter, account.user_id, room_id)
        self.join(account, room_id)


@dataclass
class Reply:
    """A bot answer as a user's client sees it."""

    event_id: str
    body: str
    html: str | None
    sender: str
    was_encrypted: bool
    content: dict


class ChatUser:
    """A real matrix-nio client acting as a person: types commands, reads answers."""

    def __init__(self, homeserver: str, account: Account, store_dir: Path):
        store_dir.mkdir(parents=True, exist_ok=True)
        self.account = account
        self.client = AsyncClient(
            homeserver,
            account.user_id,
            device_id=account.device_id,
            store_path=str(store_dir),
            config=AsyncClientConfig(encryption_enabled=True, store_sync_tokens=True),
        )
        self.client.restore_login(account.user_id, account.device_id, account.access_token)
        self.notices: list[Reply] = []
        self.events: list = []

    async def start(self) -> None:
        """First sync (history ignored) and key exchange."""
        await self.client.sync(
            timeout=0, full_state=True, sync_filter={"room": {"timeline": {"limit": 1}}}
        )
        self.notices.clear()
        await self._keys()

    async def close(self) -> None:
        await self.client.close()

    async def _keys(self) -> None:
        await exchange_keys(self.client)

    async def sync_once(self, timeout_ms: int = 500) -> None:
        """One sync; notices and other events are collected."""
        resp = await self.client.sync(
            timeout=timeout_ms,
            since=self.client.next_batch,
            sync_filter={"room": {"timeline": {"limit": 100}}},
        )
        await self._keys()
        for room_id, info in getattr(getattr(resp, "rooms", None), "join", {}).items():
            for event in info.timeline.events:
                _read_as_a_test_reads(event)
                self.events.append((room_id, event))
                if isinstance(event, RoomMessageNotice | MegolmEvent) or _is_alert(event):
                    self.notices.append(_reply_of(event))

    def notifications(self) -> list[dict]:
        """What the homeserver's push rules notified this person of (``/notifications``)."""
        url = self.client.homeserver + "/_matrix/client/v3/notifications"
        request = urllib.request.Request(
            url, headers={"Authorization": f"Bearer {self.account.access_token}"}
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read())["notifications"]

    async def wait_notified(self, event_id: str, timeout: float = 30) -> dict:
        """Poll ``/notifications`` until the event is among them (push rules run after sending)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            found = [n for n in self.notifications() if n["event"]["event_id"] == event_id]
            if found:
                return found[0]
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"{event_id} never notified {self.account.user_id}")
            await self.sync_once()

    async def accept_invites(self) -> list[str]:
        """Join every room this user is invited to (a direct room the bot opened, say)."""
        joined = []
        for room_id in list(self.client.invited_rooms):
            if isinstance(await self.client.join(room_id), JoinResponse):
                joined.append(room_id)
        return joined

    async def say(self, room_id: str, text: str) -> str:
        """Send a text message (encrypted in encrypted rooms); returns its event id."""
        resp = await self.client.room_send(
            room_id,
            "m.room.message",
            {"msgtype": "m.text", "body": text},
            ignore_unverified_devices=True,
        )
        if not isinstance(resp, RoomSendResponse):
            raise RuntimeError(f"send failed: {resp}")
        return resp.event_id

    async def wait_reply(self, to_event: str, timeout: float = 30) -> Reply:
        """Poll until the answer to ``to_event`` arrives (deadline, no fixed sleep)."""
        replies = await self.wait_replies(to_event, 1, timeout)
        return replies[0]

    async def wait_replies(self, to_event: str, count: int, timeout: float = 30) -> list[Reply]:
        """Poll until ``count`` answers to ``to_event`` arrived."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            found = [
                n
                for n in self.notices
                if n.content.get("m.relates_to", {}).get("m.in_reply_to", {}).get("event_id")
                == to_event
            ]
            if len(found) >= count:
                return found
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"no reply to {to_event} within {timeout} s")
            await self.sync_once()

    async def wait_notice(self, predicate, timeout: float = 30) -> Reply:
        """Poll until a notice matching ``predicate`` arrives (reminders, announcements)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            found = [n for n in self.notices if predicate(n)]
            if found:
                return found[0]
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"no matching notice within {timeout} s")
            await self.sync_once()

    async def ask(self, room_id: str, text: str, timeout: float = 30) -> Reply:
        """Send a command and wait for the bot's answer to it."""
        return await self.wait_reply(await self.say(room_id, text), timeout)

    def replies_to(self, event_id: str) -> list[Reply]:
        """Answers to an event seen so far."""
        return [
            n
            for n in self.notices
            if n.content.get("m.relates_to", {}).get("m.in_reply_to", {}).get("event_id")
            == event_id
        ]


def _read_as_a_test_reads(event) -> None:
    """No-break spaces read as spaces in the event's text (see tests/support/reading.py)."""
    if isinstance(getattr(event, "body", None), str):
        event.body = as_read(event.body)
    source = getattr(event, "source", None)
    if isinstance(source, dict) and isinstance(source.get("content"), dict):
        source["content"] = json.loads(as_read(json.dumps(source["content"], ensure_ascii=False)))


def _is_alert(event) -> bool:
    """A message of the bot's that rings: an ``m.text`` with its explicit mentions.

    People's own commands are ``m.text`` too, but carry no ``m.mentions``.
    """
    return isinstance(event, RoomMessageText) and "m.mentions" in event.source.get("content", {})


def _reply_of(event) -> Reply:
    if isinstance(event, MegolmEvent):
        return Reply(event.event_id, "[non déchiffré]", None, event.sender, True, {})
    content = event.source.get("content", {})
    return Reply(
        event.event_id,
        as_read(event.body),
        as_read(content.get("formatted_body")),
        event.sender,
        bool(getattr(event, "decrypted", False)),
        content,
    )


class BotProcess:
    """``rupn-bot run`` as a real child process, so tests can stop, kill and restart it."""

    def __init__(
        self,
        config_path: Path,
        log_path: Path,
        env: dict | None = None,
        executable: list[str] | None = None,
        cwd: Path = REPOSITORY,
    ):
        """``executable`` runs another ``rupn-bot`` (an installed wheel's) from ``cwd``."""
        self.config_path = config_path
        self.log_path = log_path
        self.env = env
        self.executable = executable or [sys.executable, "-m", "bot.cli"]
        self.cwd = cwd
        self.process: subprocess.Popen | None = None

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def start(self, timeout: float = 60) -> None:
        """Start the bot and wait for its "ready" log line (after its first sync)."""
        already = self.log_text().count("ready: serving")
        self.process = subprocess.Popen(
            [*self.executable, "run", "--config", str(self.config_path)],
            stdout=subprocess.DEVNULL,
            stderr=open(self.log_path, "ab"),  # noqa: SIM115
            env={**os.environ, **(self.env or {})},
            start_new_session=True,
            cwd=self.cwd,
        )
        deadline = time.monotonic() + timeout
        while self.log_text().count("ready: serving") <= already:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"bot exited ({self.process.returncode}):\n{self.log_text()[-3000:]}"
                )
            if time.monotonic() > deadline:
                raise RuntimeError(f"bot not ready in time:\n{self.log_text()[-3000:]}")
            time.sleep(0.05)

    def stop(self, sig: int = signal.SIGTERM) -> int | None:
        """Stop the bot (SIGTERM by default, SIGKILL for a crash) and wait for it."""
        return stop_process(self.process, sig, timeout=20)


def establishment_toml(
    eid: str, name: str, room: str, referent: str, principal: str, bassin: str | None = None
) -> str:
    """One ``[[establishment]]`` table of zone B, as the demo and the e2e world write it."""
    bassin_line = f'bassin = "{bassin}"\n' if bassin else ""
    return f'''
[[establishment]]
id = "{eid}"
name = "{name}"
room = "{room}"
zone = "B"
timezone = "Europe/Paris"
referents = ["{referent}"]
principals = ["{principal}"]
ticket_url = "https://support.example.org/glpi"
{bassin_line}'''
