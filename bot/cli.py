"""Command line: ``rupn-bot run|check|backup|restore|identity --config FILE``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path

from bot.core.config import Config, ConfigError, load_config
from bot.matrix.cryptostore import CryptoStoreError
from bot.matrix.session import FatalMatrixError
from bot.ops import exitcodes
from bot.ops.archive import ArchiveError, restore_backup, write_backup
from bot.ops.health import check
from bot.ops.identity import identity
from bot.ops.instance import InstanceLocked, exclusive
from bot.ops.logs import formatter
from bot.toolkit.clock import utc_now


def setup_logging(level: str, log_format: str = "text") -> None:
    """Timestamped lines (or JSON lines) on stderr; library chatter only from WARNING up."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(log_format))
    logging.basicConfig(level=level, handlers=[handler])
    for noisy in ("nio", "peewee", "aiohttp", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _load(path: str) -> Config:
    try:
        return load_config(path)
    except ConfigError as error:
        print(f"{path}: {len(error.problems)} problem(s) in the configuration:", file=sys.stderr)
        for problem in error.problems:
            print(f"  - {problem}", file=sys.stderr)
        raise SystemExit(exitcodes.CONFIG) from None


def run(config: Config) -> int:
    """Run the bot while holding the data directory's lock; a second instance is refused."""
    # The runtime (commands, templates, scheduler) is loaded only to run.
    from bot.app import run_bot

    try:
        with exclusive(config.bot.database):
            asyncio.run(run_bot(config))
    except InstanceLocked as error:
        logging.getLogger("bot").error("not started: %s", error)
        return exitcodes.DATA
    except FatalMatrixError as error:
        logging.getLogger("bot").error("stopped: %s", error)
        return exitcodes.MATRIX
    except (CryptoStoreError, ConfigError) as error:
        # Found at start-up (the pickle key): a restart would not fix it.
        logging.getLogger("bot").error("not started: %s", error)
        return exitcodes.CONFIG
    return exitcodes.OK


def backup(config: Config, target: Path) -> int:
    """Write the backup archive; the bot may keep running meanwhile."""
    try:
        manifest = write_backup(config, target, utc_now())
    except ArchiveError as error:
        print(f"backup refused: {error}", file=sys.stderr)
        return exitcodes.DATA
    device = f", device {manifest.device_id}" if manifest.device_id else ", not logged in yet"
    print(f"backup written to {target} (schema {manifest.schema_version}{device})")
    return exitcodes.OK


def restore(config: Config, source: Path) -> int:
    """Put a backup back; refused while a bot runs on the same data."""
    try:
        done = restore_backup(config, source)
    except (InstanceLocked, ArchiveError) as error:
        hint = ": stop the bot first" if isinstance(error, InstanceLocked) else ""
        print(f"restore refused: {error}{hint}", file=sys.stderr)
        return exitcodes.DATA
    m = done.manifest
    print(f"database {config.bot.database} restored from {source} (backup of {m.created_at})")
    print("  sync token cleared: commands typed after the backup will not be answered")
    print(f"  crypto store and credentials removed ({done.removed_store_files} file(s))")
    retired = ", ".join(done.retired) or "none known"
    print(f"  next start logs in with a new device and logs out the old one(s): {retired}")
    return exitcodes.OK


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``rupn-bot`` console script."""
    parser = argparse.ArgumentParser(
        prog="rupn-bot",
        description="Bot du référent numérique",
        epilog=exitcodes.epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="action", required=True)
    for name, text in (
        ("run", "run the bot (one instance per data directory)"),
        ("check", "read-only health probe: config, database, homeserver, account, rooms"),
        ("backup", "write one archive (database, device credentials), even while the bot runs"),
        ("restore", "put a backup back (bot stopped); the next start uses a new device"),
        ("identity", "the bot's cross-signing identity: status, init, reset --yes"),
    ):
        p = sub.add_parser(
            name, help=text, epilog=exitcodes.epilog(), formatter_class=parser.formatter_class
        )
        p.add_argument("--config", required=True, help="TOML configuration file")
        if name == "backup":
            p.add_argument("--to", required=True, type=Path, help="archive to write (.tar.gz)")
        if name == "restore":
            p.add_argument("--from", dest="source", required=True, type=Path, help="archive")
        if name == "identity":
            p.add_argument("what", choices=("status", "init", "reset"), help="what to do")
            p.add_argument("--yes", action="store_true", help="reset: make a new identity")
    args = parser.parse_args(argv)
    # Everything the bot writes (database and its -wal/-shm, store, credentials,
    # archives) is readable by its own user only: it holds what people typed.
    os.umask(0o077)
    config = _load(args.config)
    setup_logging(config.bot.log_level, config.bot.log_format)
    if args.action == "check":
        return check(config)
    if args.action == "backup":
        return backup(config, args.to)
    if args.action == "restore":
        return restore(config, args.source)
    if args.action == "identity":
        return identity(config, args.what, yes=args.yes)
    return run(config)


if __name__ == "__main__":
    raise SystemExit(main())
