"""Command line: ``rupn-bot run|check --config FILE``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from bot.config import Config, ConfigError, load_config
from bot.logs import formatter
from bot.matrix import FatalMatrixError

EXIT_CONFIG, EXIT_MATRIX = 1, 2


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
        raise SystemExit(EXIT_CONFIG) from None


async def check(config: Config) -> int:
    """Validate, log in (reusing the stored device) and report the rooms the bot is in."""
    from bot.app import build_bot

    bot = build_bot(config)
    try:
        client = await bot.login()
        await bot.resolve_rooms()
        joined = await client.joined_rooms()
        joined_ids = set(getattr(joined, "rooms", []))
        print(f"configuration OK; logged in as {client.user_id} (device {client.device_id})")
        missing = 0
        for e in config.establishments:
            room_id = next((r for r, est in bot.rooms.items() if est is e), None)
            state = "joined" if room_id in joined_ids else "NOT joined (invite the bot)"
            missing += room_id not in joined_ids
            print(f"  {e.id:<24} {e.room:<40} {state}")
        return 0 if not missing else EXIT_MATRIX
    finally:
        await bot.close()
        bot.db.close()


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``rupn-bot`` console script."""
    parser = argparse.ArgumentParser(prog="rupn-bot", description="Bot du référent numérique")
    sub = parser.add_subparsers(dest="action", required=True)
    for name, text in (
        ("run", "run the bot"),
        ("check", "validate config and log in"),
        ("backup", "copy the database consistently, even while the bot runs"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("--config", required=True, help="TOML configuration file")
        if name == "backup":
            p.add_argument("--to", required=True, help="file to write the copy to")
    args = parser.parse_args(argv)
    config = _load(args.config)
    setup_logging(config.bot.log_level, config.bot.log_format)
    if args.action == "backup":
        from storage.db import backup

        pages = backup(config.bot.database, args.to)
        print(f"backup of {config.bot.database} written to {args.to} ({pages} pages)")
        return 0
    try:
        if args.action == "check":
            return asyncio.run(check(config))
        from bot.app import run_bot

        asyncio.run(run_bot(config))
        return 0
    except FatalMatrixError as error:
        logging.getLogger("bot").error("stopped: %s", error)
        return EXIT_MATRIX


if __name__ == "__main__":
    raise SystemExit(main())
