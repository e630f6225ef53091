"""``rupn-bot check``: a read-only health probe, safe beside a running bot.

It creates, migrates and writes nothing. The database is opened read-only,
and only if it exists. The Matrix side uses a plain client without encryption
and without a store: two processes on one Olm store corrupt it. It reuses the
stored access token (or the configured one) and never logs in with the
password, which would create a device. Every request is bounded in time, so an
unreachable homeserver gives exit code 2 within seconds, not a retry loop.
Messages the homeserver refused for good are listed by establishment; they
leave the exit code as it is.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable

import aiohttp
from nio import (
    AsyncClient,
    AsyncClientConfig,
    JoinedRoomsResponse,
    RoomResolveAliasResponse,
    WhoamiResponse,
)

from bot.core.config import Config, ConfigError
from bot.matrix.cryptostore import (
    NIO_DEFAULT_KEY,
    StoreKey,
    read_pickle_key,
    store_database,
    store_key_state,
)
from bot.matrix.identity import REQUEST_TIMEOUT as IDENTITY_TIMEOUT
from bot.matrix.identity import Account, IdentityError, fingerprint
from bot.matrix.lifecycle import HANDLED_RETENTION
from bot.matrix.session import FATAL_ERRCODES, Credentials, credentials_path, load_credentials
from bot.ops import exitcodes
from bot.ops.instance import holder, lock_path
from storage import outbox as outbox_store
from storage.db import known_version, open_read_only, pending_migrations, schema_version

# The schema from which refused messages are kept (migration 0020).
FAILURES_SCHEMA = 20

REQUEST_TIMEOUT_S = 10.0
# Under the 30 s an admin or a monitoring probe is promised, whatever nio does.
MATRIX_DEADLINE_S = 25.0

Print = Callable[[str], None]


def check(config: Config, say: Print = print) -> int:
    """Report on the configuration, the data and the Matrix account; returns an exit code."""
    say(f"configuration OK ({config.source}, {len(config.establishments)} establishment(s))")
    codes = [check_database(config, say)]
    try:
        codes.append(asyncio.run(asyncio.wait_for(check_matrix(config, say), MATRIX_DEADLINE_S)))
    except TimeoutError:
        say(f"homeserver {config.matrix.homeserver}: no answer within {MATRIX_DEADLINE_S:.0f} s")
        codes.append(exitcodes.MATRIX)
    return exitcodes.worst(codes)


def check_database(config: Config, say: Print) -> int:
    """Schema version and pending migrations, read without creating or changing anything."""
    path = config.bot.database
    if not path.exists():
        say(f"database {path}: not created yet (created at first run)")
        return exitcodes.OK
    try:
        db = open_read_only(path)
        try:
            version, pending = schema_version(db), pending_migrations(db)
            refused = outbox_report(db) if version >= FAILURES_SCHEMA else []
        finally:
            db.close()
    except sqlite3.Error as error:
        say(f"database {path}: cannot be read ({error})")
        return exitcodes.DATA
    known = known_version()
    if version > known:
        say(
            f"database {path}: schema {version} is newer than this rupn-bot knows ({known}): "
            "run the newer version or restore an older backup"
        )
        return exitcodes.DATA
    if pending:
        say(
            f"database {path}: schema {version}; {len(pending)} migration(s) applied at next "
            f"start: {', '.join(pending)}"
        )
    else:
        say(f"database {path}: schema {version}, up to date")
    for line in refused:
        say(line)
    pid = holder(path)
    if pid is None:
        say("instance: no bot running on this data")
    else:
        say(f"instance: bot running (pid {pid or 'unknown'}, lock {lock_path(path)})")
    return exitcodes.OK


def outbox_report(db) -> list[str]:
    """What waits in the outbox, and what the homeserver refused for good, by establishment.

    A refused message is not a fault of the bot's: it says nothing about the
    exit code, which stays what the rest of the check gives.
    """
    refused = outbox_store.failures(db)
    total = sum(f.count for f in refused)
    lines = [
        f"outbox: {outbox_store.count_waiting(db)} message(s) waiting, {total} refused for good"
        f" in the last {HANDLED_RETENTION.days} days"
    ]
    for f in refused:
        where = f"room {f.room_id}" if f.room_id else "the establishment's room"
        if f.dm_user:
            where = "a direct room"
        lines.append(
            f"  {f.establishment_id or '-':<24} {f.count} refused, the last at"
            f" {f.last_at:%Y-%m-%d %H:%M} UTC to {where}: {f.last_code}: {f.last_reason}"
        )
    return lines


async def check_matrix(config: Config, say: Print) -> int:
    """The homeserver answers, the token is accepted, and every room is joined."""
    m = config.matrix
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)) as http,
            http.get(f"{m.homeserver}/_matrix/client/versions") as resp,
        ):
            resp.raise_for_status()
            versions = (await resp.json(content_type=None)).get("versions") or []
    except (aiohttp.ClientError, TimeoutError, ValueError) as error:
        say(f"homeserver {m.homeserver}: unreachable ({_reason(error)})")
        return exitcodes.MATRIX
    say(f"homeserver {m.homeserver}: answers (Matrix {versions[-1] if versions else '?'})")

    try:
        stored = load_credentials(credentials_path(m))
    except (OSError, ValueError, TypeError) as error:
        say(f"{credentials_path(m)}: cannot be read ({error})")
        return exitcodes.DATA
    if stored and (stored.user_id, stored.homeserver) != (m.user_id, m.homeserver):
        say("stored credentials are for another account: the next run logs in again")
        stored = None
    code = check_crypto_store(config, stored, say)
    if code != exitcodes.OK:
        return code
    token = stored.access_token if stored else m.resolve_access_token()
    if not token:
        say(f"account {m.user_id}: not logged in yet (the first run logs in and keeps a device)")
        _rooms(config, say, None)
        return exitcodes.OK

    client = AsyncClient(
        m.homeserver,
        m.user_id,
        config=AsyncClientConfig(
            encryption_enabled=False,
            request_timeout=REQUEST_TIMEOUT_S,
            max_timeouts=1,
            max_timeout_retry_wait_time=1,
            max_limit_exceeded=2,
        ),
    )
    # Not restore_login(): the token is enough, and no store may be opened.
    client.access_token = token
    try:
        return await _account_and_rooms(client, config, stored, say)
    except (aiohttp.ClientError, TimeoutError) as error:
        say(f"homeserver {m.homeserver}: unreachable ({_reason(error)})")
        return exitcodes.MATRIX
    finally:
        await client.close()


def check_crypto_store(config: Config, stored: Credentials | None, say: Print) -> int:
    """Whether the pickle key opens the device's crypto store (read-only; never the key)."""
    m = config.matrix
    source = f"variable {m.pickle_key_env}" if m.pickle_key_env else str(m.pickle_key_file)
    try:
        key = read_pickle_key(m)
    except ConfigError as error:
        say(f"crypto store: {error}")
        return exitcodes.CONFIG
    database = store_database(m, stored.device_id) if stored else None
    state = store_key_state(database, key or NIO_DEFAULT_KEY) if database else StoreKey.NEW
    if key is None and state is StoreKey.OPENS:
        state = StoreKey.NIO_DEFAULT
    if state is StoreKey.WRONG:
        why = "its pickle key is missing" if key is None else "it does not open with the pickle key"
        say(f"crypto store of device {stored.device_id}: {why} ({source})")
        return exitcodes.CONFIG
    if state is StoreKey.NIO_DEFAULT:
        say(f"crypto store: pickled with nio's default key, re-encrypted at next start ({source})")
    elif key is None:
        say(f"crypto store: no pickle key yet, {source} is written at first start")
    else:
        say(f"crypto store: pickle key from {source}, {state.value}")
    return exitcodes.OK


async def _account_and_rooms(
    client: AsyncClient, config: Config, stored: Credentials | None, say: Print
) -> int:
    m = config.matrix
    who = await client.whoami()
    if not isinstance(who, WhoamiResponse):
        why = FATAL_ERRCODES.get(who.status_code or "")
        creds = credentials_path(m)
        say(f"account {m.user_id}: {why.format(creds=creds) if why else who.message}")
        return exitcodes.MATRIX
    source = "stored credentials" if stored else "configured access token"
    say(f"account {who.user_id}: token accepted, device {who.device_id} ({source})")
    if who.user_id != m.user_id:
        say(f"  the token belongs to {who.user_id}, not to matrix.user_id {m.user_id}")
        return exitcodes.CONFIG
    await _identity(config, who.device_id, client.access_token, say)
    joined = await client.joined_rooms()
    if not isinstance(joined, JoinedRoomsResponse):
        say(f"account {m.user_id}: cannot list joined rooms ({joined.message})")
        return exitcodes.MATRIX
    resolved: dict[str, str | None] = {}
    for e in config.establishments:
        if e.room.startswith("#"):
            alias = await client.room_resolve_alias(e.room)
            resolved[e.id] = alias.room_id if isinstance(alias, RoomResolveAliasResponse) else None
        else:
            resolved[e.id] = e.room
    return _rooms(config, say, (set(joined.rooms), resolved))


async def _identity(config: Config, device_id: str, token: str, say: Print) -> None:
    """The cross-signing identity and whether this device is signed (the exit code stays)."""
    m = config.matrix
    async with aiohttp.ClientSession(timeout=IDENTITY_TIMEOUT) as http:
        try:
            published = await Account(http, m, device_id, token).published()
        except IdentityError as error:
            say(f"identity: {error}")
            return
    if published.master_key is None:
        say("identity: none yet (made at next start)")
        return
    master = fingerprint(published.master_key)
    if published.device_signed:
        say(f"identity: master key {master}, device {device_id} signed")
    else:
        say(
            f"identity: master key {master}, device {device_id} NOT signed: clients that hide "
            "unverified devices hide its messages (rupn-bot identity status)"
        )
    if not (m.recovery_key_file and m.recovery_key_file.exists()):
        say(f"  recovery key {m.recovery_key_file}: MISSING (rupn-bot identity status)")


def _rooms(config: Config, say: Print, found: tuple[set[str], dict[str, str | None]] | None) -> int:
    missing = 0
    for e in config.establishments:
        if found is None:
            state = "not checked (not logged in yet)"
        else:
            joined, resolved = found
            room_id = resolved[e.id]
            if room_id is None:
                state = "NOT joined (alias not found)"
            elif room_id in joined:
                state = "joined"
            else:
                state = "NOT joined (invite the bot)"
            missing += state != "joined"
        say(f"  {e.id:<24} {e.room:<40} {state}")
    return exitcodes.ROOMS if missing else exitcodes.OK


def _reason(error: BaseException) -> str:
    return str(error) or type(error).__name__
