"""Exit codes of ``rupn-bot``: one meaning each, for scripts, systemd and monitoring."""

from __future__ import annotations

OK = 0
CONFIG = 1  # the configuration file is missing or wrong
MATRIX = 2  # homeserver unreachable, token refused, account expired or deactivated
ROOMS = 3  # a configured room is not joined (or its alias does not resolve)
DATA = 4  # database unreadable or newer than this version, data in use, restore refused

MEANINGS = (
    (OK, "healthy (check) or done"),
    (CONFIG, "configuration problem"),
    (MATRIX, "Matrix: homeserver unreachable, access token refused, account expired"),
    (ROOMS, "a configured room is not joined by the bot"),
    (DATA, "data: database unreadable or too new, data in use by another bot, restore refused"),
)


def epilog() -> str:
    """The exit codes as the end of ``rupn-bot --help`` shows them."""
    lines = [f"  {code}  {meaning}" for code, meaning in MEANINGS]
    return "exit codes:\n" + "\n".join(lines) + "\nseveral problems: the smallest code."


def worst(codes: list[int]) -> int:
    """The code to exit with when several checks failed: the smallest non-zero one."""
    failed = [code for code in codes if code != OK]
    return min(failed) if failed else OK
