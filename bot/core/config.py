"""Load and validate the TOML configuration.

Every problem is collected and reported at once, each with its key path
(``establishment[2].zone: expected A, B or C``), so an admin fixes a file in
one pass instead of one error per restart.

Kept whole: the dataclasses and the checker that fills them are one schema.
The keys the checker reads are the keys the file may hold (an unknown key is
reported), so they stay side by side with the key paths the errors name.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.toolkit.names import ARTICLES
from bot.toolkit.quiet_hours import SendingWindow
from bot.toolkit.uai import uai_problem
from storage.establishments import EstablishmentRow

MATRIX_ID = re.compile(r"^@[^:\s]+:[^\s]+$")
# Room version 12 ids are "!<hash>" without a server part; older ones are "!x:server".
ROOM_REF = re.compile(r"^(![^\s:]+(:\S+)?|#[^:\s]+:\S+)$")
ESTABLISHMENT_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
# Quiet hours, from evening to morning: "19:30-07:30".
QUIET_HOURS = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
# Metropolitan France: 01 to 95, Corsica as 2A and 2B (there is no 20).
DEPARTEMENT = re.compile(r"^(0[1-9]|1\d|[3-8]\d|9[0-5]|2[1-9AB])$")
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
SURVEY_AUDIENCES = ("referents", "members")
LOG_FORMATS = ("text", "json")
# Beside the configuration file unless set: written with a random key on first start.
DEFAULT_PICKLE_KEY_FILE = "pickle-key"
DEFAULT_RECOVERY_KEY_FILE = "recovery-key"
# "trusted": devices their owners cross-signed, and every device of users with no identity.
SHARE_KEYS_WITH = ("trusted", "all")
# An academy survey without an opening date opens four weeks (four reminders) before its deadline.
SURVEY_DEFAULT_OPEN_DAYS = 28


class ConfigError(Exception):
    """The configuration has one or more problems; ``problems`` lists them all."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class MatrixConfig:
    """How the bot reaches its homeserver and where it keeps its device."""

    homeserver: str
    user_id: str
    store_path: Path
    password: str | None = None
    password_env: str | None = None
    password_file: Path | None = None
    access_token_env: str | None = None
    access_token_file: Path | None = None
    device_name: str = "rupn-bot"
    # The secret the crypto store is encrypted with: from this environment variable
    # when named, else from this file (written with a random key on first start).
    pickle_key_env: str | None = None
    pickle_key_file: Path | None = None
    # Where the recovery key of the account's secret storage is written (0600).
    recovery_key_file: Path | None = None
    # Room keys go to devices their owners cross-signed ("trusted"), or to all.
    share_keys_with: str = "trusted"

    def resolve_password(self) -> str | None:
        """The password, from its file or environment variable when one is named."""
        if self.password_file:
            return read_secret(self.password_file)
        if self.password_env:
            return os.environ.get(self.password_env)
        return self.password

    def resolve_access_token(self) -> str | None:
        """An access token given through a file or the environment, if any."""
        if self.access_token_file:
            return read_secret(self.access_token_file)
        return os.environ.get(self.access_token_env) if self.access_token_env else None

    def resolve_pickle_key(self) -> str | None:
        """The crypto store's pickle key from its variable or file, if given and present."""
        if self.pickle_key_env:
            return os.environ.get(self.pickle_key_env)
        if self.pickle_key_file and self.pickle_key_file.exists():
            return read_secret(self.pickle_key_file)
        return None


def read_secret(path: Path) -> str:
    """A secret kept in a file of its own (systemd ``LoadCredential``, container secrets).

    The trailing newline editors add is not part of it. Raises ConfigError, naming
    the file but never its content, when the file cannot be read.
    """
    try:
        return path.read_text(encoding="utf-8").rstrip("\r\n")
    except OSError as error:
        raise ConfigError([f"{path}: cannot read the secret ({error.strerror})"]) from None


@dataclass(frozen=True)
class BotConfig:
    """Process-wide settings."""

    database: Path
    prefix: str = "!"
    allowed_inviters: tuple[str, ...] = ()
    admins: tuple[str, ...] = ()
    log_level: str = "INFO"
    # "text": one readable line per event; "json": one object per line for a log collector.
    log_format: str = "text"
    # Tests serve pages from loopback; production must never reach internal hosts.
    allow_private_links: bool = False
    # Tests and demo only: the clock starts at this instant and runs at normal speed.
    simulated_start: datetime | None = None
    # How often due reminders are looked for.
    tick_seconds: float = 60.0
    # Personal data older than this is anonymised by the yearly purge (1 September).
    retention_months: int = 12
    # Commands one person may send in a minute in an establishment; 0: no limit.
    commands_per_minute: int = 20
    # Scheduled messages the bot sends a second at most (a command's answers go first).
    messages_per_second: float = 1.0


@dataclass(frozen=True)
class Establishment(EstablishmentRow):
    """One school and its room; the bot serves many at once.

    What storage keeps of it (id, name, room, zone, time zone, referents and
    principals) is its ``EstablishmentRow``; the rest tunes the bot's behaviour.
    """

    # Only 57, 67 and 68 change the calendar: their public holidays (local law).
    departement: str | None = None
    ticket_url: str | None = None
    # « le », « la », « l' » or « les » when the name's type word does not say it.
    article: str | None = None
    reminder_hours: float = 2.0
    newsletter_day: str = "vendredi"
    newsletter_time: str = "16:00"
    allow_teachers_veille: bool = False
    # Survey reminders: every week on this day, and the day before the deadline.
    survey_reminder_day: str = "lundi"
    survey_reminder_time: str = "09:00"
    # Scheduled messages leave only outside quiet hours (and, by default, not on Sunday).
    sending_window: SendingWindow = field(default_factory=SendingWindow)

    @property
    def tz(self) -> ZoneInfo:
        """The establishment's time zone."""
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class SurveyConfig:
    """A survey the academy sets for every establishment (``[[survey]]``)."""

    title: str
    url: str
    opens: date
    deadline: date
    audience: str = "referents"


# The academy's room is answered as a place of its own, under this id (never an
# establishment's: the parser refuses it for one).
ACADEMY_ID = "academie"


@dataclass(frozen=True)
class AcademyConfig:
    """The academy's room (``[academy]``), where ``bot.admins`` see every establishment."""

    room: str
    name: str = "Académie"  # « Académie de Rennes »: written « de l'académie de Rennes »
    timezone: str = "Europe/Paris"

    @cached_property
    def place(self) -> Establishment:
        """The academy as the context of its room's commands: nobody is its referent."""
        return Establishment(
            id=ACADEMY_ID,
            name=self.name,
            room=self.room,
            zone="",
            timezone=self.timezone,
            referents=(),
            principals=(),
        )


@dataclass(frozen=True)
class Config:
    """The whole validated configuration."""

    matrix: MatrixConfig
    bot: BotConfig
    establishments: tuple[Establishment, ...]
    source: Path | None = None
    surveys: tuple[SurveyConfig, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
    academy: AcademyConfig | None = None

    def establishment(self, establishment_id: str) -> Establishment | None:
        """The establishment with that id, or None."""
        return next((e for e in self.establishments if e.id == establishment_id), None)


class _Checker:
    """Reads typed values out of nested dicts while collecting every problem."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        # Every key a table is read for, by table path: the known settings are exactly
        # those the parser reads, so validation cannot drift from what is used.
        self.read: dict[str, set[str]] = {}

    def problem(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    def get(self, table: dict, key: str, path: str, kind: type, *, required=False, default=None):
        full = f"{path}.{key}" if path else key
        self.read.setdefault(path, set()).add(key)
        if key not in table:
            if required:
                self.problem(full, "missing")
            return default
        value = table[key]
        # bool is an int in Python; a float setting accepts integers too.
        ok = isinstance(value, kind) and not (kind in (int, float) and isinstance(value, bool))
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value, ok = float(value), True
        if not ok:
            self.problem(full, f"expected {_kind_name(kind)}, got {type(value).__name__}")
            return default
        return value

    def array_of_tables(self, raw: dict, key: str, read) -> list[tuple[int, Any]]:
        """Each ``[[key]]`` table read by ``read(checker, table, path)``, numbered from 1;
        a table that is not one, or that ``read`` rejects, is left out."""
        found = []
        for index, table in enumerate(self.get(raw, key, "", list, default=[]), 1):
            path = f"{key}[{index}]"
            if not isinstance(table, dict):
                self.problem(path, "expected a table")
            elif (value := read(self, table, path)) is not None:
                found.append((index, value))
        return found

    def matrix_ids(self, table: dict, key: str, path: str) -> tuple[str, ...]:
        values = self.get(table, key, path, list, default=[])
        full = f"{path}.{key}"
        good = []
        for i, value in enumerate(values):
            if isinstance(value, str) and MATRIX_ID.match(value):
                good.append(value)
            else:
                self.problem(
                    f"{full}[{i}]", f"expected a Matrix ID like @nom:serveur, got {value!r}"
                )
        return tuple(good)

    def weekday(self, table: dict, key: str, path: str, default: str) -> str:
        """A French weekday name (« vendredi »), lower-cased."""
        day = self.get(table, key, path, str, default=default).lower()
        if day not in WEEKDAYS:
            self.problem(f"{path}.{key}", f"expected one of {', '.join(WEEKDAYS)}")
        return day

    def clock_time(self, table: dict, key: str, path: str, default: str) -> str:
        """A time of day written HH:MM."""
        value = self.get(table, key, path, str, default=default)
        if not HHMM.match(value):
            self.problem(f"{path}.{key}", f"expected HH:MM (e.g. {default})")
        return value

    def unknown_keys(self, table: dict, path: str) -> None:
        """Report the keys of ``table`` that the parser never read."""
        for key in sorted(set(table) - self.read.get(path, set())):
            self.problem(f"{path}.{key}" if path else key, "unknown setting")


def _kind_name(kind: type) -> str:
    return {
        str: "a string",
        int: "an integer",
        float: "a number",
        bool: "true or false",
        list: "a list",
        dict: "a table",
    }.get(kind, kind.__name__)


def _resolve(base: Path, value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else (base / path)


def _secret_path(base: Path, value: str | None) -> Path | None:
    # "${CREDENTIALS_DIRECTORY}/rupn-password" names systemd's per-service credentials.
    return _resolve(base, os.path.expandvars(value)) if value else None


def _matrix(c: _Checker, table: dict, base: Path) -> MatrixConfig | None:
    p = "matrix"
    homeserver = c.get(table, "homeserver", p, str, required=True)
    if homeserver and not re.match(r"^https?://[^\s/]+", homeserver):
        c.problem(f"{p}.homeserver", f"expected an http(s) URL, got {homeserver!r}")
    user_id = c.get(table, "user_id", p, str, required=True)
    if user_id and not MATRIX_ID.match(user_id):
        c.problem(f"{p}.user_id", f"expected a Matrix ID like @bot:serveur, got {user_id!r}")
    password = c.get(table, "password", p, str)
    password_env = c.get(table, "password_env", p, str)
    password_file = c.get(table, "password_file", p, str)
    token_env = c.get(table, "access_token_env", p, str)
    token_file = c.get(table, "access_token_file", p, str)
    if not (password or password_env or password_file or token_env or token_file):
        c.problem(
            p,
            "one of password, password_env, password_file, access_token_env "
            "or access_token_file is required",
        )
    store = c.get(table, "store_path", p, str, default="data/store")
    device_name = c.get(table, "device_name", p, str, default="rupn-bot")
    pickle_key_env = c.get(table, "pickle_key_env", p, str)
    pickle_key_file = c.get(table, "pickle_key_file", p, str, default=DEFAULT_PICKLE_KEY_FILE)
    recovery_key_file = c.get(table, "recovery_key_file", p, str, default=DEFAULT_RECOVERY_KEY_FILE)
    share_keys_with = c.get(table, "share_keys_with", p, str, default=SHARE_KEYS_WITH[0])
    if share_keys_with not in SHARE_KEYS_WITH:
        c.problem(f"{p}.share_keys_with", f"expected one of {', '.join(SHARE_KEYS_WITH)}")
    c.unknown_keys(table, p)
    if not (homeserver and user_id):
        return None
    return MatrixConfig(
        homeserver=homeserver.rstrip("/"),
        user_id=user_id,
        store_path=_resolve(base, store),
        password=password,
        password_env=password_env,
        password_file=_secret_path(base, password_file),
        access_token_env=token_env,
        access_token_file=_secret_path(base, token_file),
        device_name=device_name,
        pickle_key_env=pickle_key_env,
        pickle_key_file=_secret_path(base, pickle_key_file),
        recovery_key_file=_secret_path(base, recovery_key_file),
        share_keys_with=share_keys_with,
    )


def _bot(c: _Checker, table: dict, base: Path) -> BotConfig:
    p = "bot"
    database = c.get(table, "database", p, str, default="data/rupn.db")
    prefix = c.get(table, "prefix", p, str, default="!")
    if not prefix or " " in prefix:
        c.problem(f"{p}.prefix", "expected a non-empty prefix without spaces")
        prefix = "!"
    inviters = c.get(table, "allowed_inviters", p, list, default=[])
    for i, pattern in enumerate(inviters):
        if not isinstance(pattern, str) or not pattern.startswith("@"):
            c.problem(f"{p}.allowed_inviters[{i}]", "expected a pattern like @*:serveur")
    admins = c.matrix_ids(table, "admins", p)
    level = c.get(table, "log_level", p, str, default="INFO").upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        c.problem(f"{p}.log_level", "expected DEBUG, INFO, WARNING or ERROR")
        level = "INFO"
    log_format = c.get(table, "log_format", p, str, default="text")
    if log_format not in LOG_FORMATS:
        c.problem(f"{p}.log_format", f"expected one of {', '.join(LOG_FORMATS)}")
        log_format = "text"
    allow_private = c.get(table, "allow_private_links", p, bool, default=False)
    simulated = c.get(table, "simulated_start", p, str)
    simulated_start = None
    if simulated is not None:
        try:
            simulated_start = datetime.fromisoformat(simulated)
            if simulated_start.tzinfo is None:
                raise ValueError
        except ValueError:
            c.problem(f"{p}.simulated_start", "expected an ISO date-time with offset")
            simulated_start = None
    retention = c.get(table, "retention_months", p, int, default=12)
    if not 1 <= retention <= 120:
        c.problem(f"{p}.retention_months", "expected a number of months between 1 and 120")
    tick = c.get(table, "tick_seconds", p, float, default=60.0)
    if not 0.1 <= tick <= 3600:
        c.problem(f"{p}.tick_seconds", "expected a number of seconds between 0.1 and 3600")
    per_minute = c.get(table, "commands_per_minute", p, int, default=20)
    if not 0 <= per_minute <= 10_000:
        c.problem(f"{p}.commands_per_minute", "expected a number between 0 (no limit) and 10000")
        per_minute = 20
    per_second = c.get(table, "messages_per_second", p, float, default=1.0)
    if not 0 < per_second < float("inf"):
        c.problem(f"{p}.messages_per_second", "expected a number of messages a second above 0")
        per_second = 1.0
    c.unknown_keys(table, p)
    return BotConfig(
        database=_resolve(base, database),
        prefix=prefix,
        allowed_inviters=tuple(x for x in inviters if isinstance(x, str)),
        admins=admins,
        log_level=level,
        log_format=log_format,
        allow_private_links=allow_private,
        simulated_start=simulated_start,
        tick_seconds=tick,
        retention_months=retention,
        commands_per_minute=per_minute,
        messages_per_second=per_second,
    )


def _establishment(c: _Checker, table: dict, p: str) -> Establishment | None:
    eid = c.get(table, "id", p, str, required=True)
    if eid and not ESTABLISHMENT_ID.match(eid):
        c.problem(f"{p}.id", "expected lower-case letters, digits, - or _ (e.g. clg-jean-moulin)")
    name = c.get(table, "name", p, str, required=True)
    room = c.get(table, "room", p, str, required=True)
    if room and not ROOM_REF.match(room):
        c.problem(
            f"{p}.room", f"expected a room id (!abc:serveur) or alias (#nom:serveur), got {room!r}"
        )
    zone = c.get(table, "zone", p, str, required=True)
    if zone is not None and zone not in ("A", "B", "C"):
        c.problem(f"{p}.zone", "expected A, B or C")
    departement = c.get(table, "departement", p, str)
    if departement is not None and not DEPARTEMENT.match(departement):
        c.problem(
            f"{p}.departement",
            f'expected a département of metropolitan France like "57", got {departement!r}',
        )
        departement = None
    timezone = c.get(table, "timezone", p, str, default="Europe/Paris")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        c.problem(f"{p}.timezone", f"unknown time zone {timezone!r} (e.g. Europe/Paris)")
    referents = c.matrix_ids(table, "referents", p)
    if not referents and "referents" not in table:
        c.problem(f"{p}.referents", "missing (at least one referent)")
    principals = c.matrix_ids(table, "principals", p)
    ticket_url = c.get(table, "ticket_url", p, str)
    if ticket_url and not re.match(r"^https?://\S+$", ticket_url):
        c.problem(f"{p}.ticket_url", "expected an http(s) URL")
    reminder = c.get(table, "reminder_hours", p, float, default=2.0)
    if not 0 < reminder <= 72:
        c.problem(f"{p}.reminder_hours", "expected a number of hours between 0 and 72")
    day = c.weekday(table, "newsletter_day", p, default="vendredi")
    letter_time = c.clock_time(table, "newsletter_time", p, default="16:00")
    veille = c.get(table, "allow_teachers_veille", p, bool, default=False)
    survey_day = c.weekday(table, "survey_reminder_day", p, default="lundi")
    survey_time = c.clock_time(table, "survey_reminder_time", p, default="09:00")
    article = c.get(table, "article", p, str)
    if article is not None and article not in ARTICLES:
        c.problem(f"{p}.article", "expected one of " + ", ".join(repr(a) for a in ARTICLES))
    window = _sending_window(c, table, p)
    uai = c.get(table, "uai", p, str)
    if uai is not None:
        uai = uai.strip().upper()
        if problem := uai_problem(uai):
            c.problem(f"{p}.uai", problem)
    bassin = _label(c, table, "bassin", p)
    collectivite = _label(c, table, "collectivite", p)
    for kind, at, weekday in (
        ("newsletter", letter_time, day),
        ("survey_reminder", survey_time, survey_day),
    ):
        _outside_quiet_hours(c, window, f"{p}.{kind}", at, weekday)
    c.unknown_keys(table, p)
    if not (eid and name and room and zone):
        return None
    return Establishment(
        id=eid,
        name=name,
        room=room,
        zone=zone,
        timezone=timezone,
        referents=referents,
        departement=departement,
        principals=principals,
        ticket_url=ticket_url,
        article=article,
        reminder_hours=reminder,
        newsletter_day=day,
        newsletter_time=letter_time,
        allow_teachers_veille=veille,
        survey_reminder_day=survey_day,
        survey_reminder_time=survey_time,
        sending_window=window,
        uai=uai,
        bassin=bassin,
        collectivite=collectivite,
    )


def _label(c: _Checker, table: dict, key: str, p: str) -> str | None:
    """A name shown as given (a bassin, a local authority): trimmed, never empty."""
    value = c.get(table, key, p, str)
    if value is not None and not value.strip():
        c.problem(f"{p}.{key}", "expected a name, got an empty string")
        return None
    return value.strip() if value else None


def _outside_quiet_hours(
    c: _Checker, window: SendingWindow, path: str, at: str, weekday: str
) -> None:
    """A scheduled time must fall in the sending window: it would be held otherwise."""
    if HHMM.match(at) and not window.opens <= time.fromisoformat(at) <= window.closes:
        c.problem(
            f"{path}_time",
            f"{at} is in quiet hours: expected a time between"
            f" {window.opens:%H:%M} and {window.closes:%H:%M}",
        )
    if weekday == "dimanche" and not window.sundays:
        c.problem(f"{path}_day", "Sunday is quiet (quiet_sunday = true): expected another day")


def _sending_window(c: _Checker, table: dict, p: str) -> SendingWindow:
    """``quiet_hours = "19:30-07:30"`` (evening to morning) and ``quiet_sunday``."""
    default = SendingWindow()
    quiet = c.get(table, "quiet_hours", p, str, default="19:30-07:30")
    sundays = not c.get(table, "quiet_sunday", p, bool, default=True)
    found = QUIET_HOURS.match(quiet)
    try:
        if found is None:
            raise ValueError
        start_h, start_m, end_h, end_m = (int(part) for part in found.groups())
        closes, opens = time(start_h, start_m), time(end_h, end_m)
    except ValueError:
        c.problem(f"{p}.quiet_hours", 'expected "HH:MM-HH:MM", evening to morning (19:30-07:30)')
        return default
    if not opens < closes:
        c.problem(
            f"{p}.quiet_hours",
            "expected quiet hours from the evening to the next morning (e.g. 19:30-07:30)",
        )
        return default
    return SendingWindow(opens=opens, closes=closes, sundays=sundays)


def _date(c: _Checker, table: dict, key: str, path: str, *, required=False) -> date | None:
    # TOML has dates (deadline = 2027-06-30); a quoted "2027-06-30" is accepted too.
    c.read.setdefault(path, set()).add(key)
    value = table.get(key)
    if value is None:
        if required:
            c.problem(f"{path}.{key}", "missing")
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    c.problem(f"{path}.{key}", f"expected a date like 2027-06-30, got {value!r}")
    return None


def _survey(c: _Checker, table: dict, p: str) -> SurveyConfig | None:
    title = c.get(table, "title", p, str, required=True)
    if title is not None and not title.strip():
        c.problem(f"{p}.title", "expected a non-empty title")
    url = c.get(table, "url", p, str, required=True)
    if url and not re.match(r"^https?://\S+$", url):
        c.problem(f"{p}.url", f"expected an http(s) URL, got {url!r}")
    deadline = _date(c, table, "deadline", p, required=True)
    opens = _date(c, table, "opens", p)
    if opens and deadline and opens > deadline:
        c.problem(f"{p}.opens", "must be on or before the deadline")
    audience = c.get(table, "audience", p, str, default="referents")
    if audience not in SURVEY_AUDIENCES:
        c.problem(f"{p}.audience", f"expected one of {', '.join(SURVEY_AUDIENCES)}")
    c.unknown_keys(table, p)
    if not (title and title.strip() and url and deadline):
        return None
    opens = opens or deadline - timedelta(days=SURVEY_DEFAULT_OPEN_DAYS)
    return SurveyConfig(title.strip(), url, opens, deadline, audience)


def parse_config(raw: dict[str, Any], base: Path) -> Config:
    """Validate a parsed TOML document; relative paths are taken from ``base``.

    Raises ConfigError listing every problem found.
    """
    c = _Checker()
    matrix = _matrix(c, c.get(raw, "matrix", "", dict, required=True, default={}), base)
    bot = _bot(c, c.get(raw, "bot", "", dict, default={}), base)
    if "establishment" not in raw:
        c.problem("establishment", "missing (at least one [[establishment]] table)")
    establishments = [e for _, e in c.array_of_tables(raw, "establishment", _establishment)]
    seen_ids: dict[str, int] = {}
    seen_rooms: dict[str, int] = {}
    seen_uai: dict[str, int] = {}
    for i, e in enumerate(establishments, 1):
        if e.uai and e.uai in seen_uai:
            c.problem(f"establishment[{i}].uai", f"same UAI as establishment[{seen_uai[e.uai]}]")
        seen_uai.setdefault(e.uai or "", i)
        if e.id in seen_ids:
            c.problem(f"establishment[{i}].id", f"duplicate of establishment[{seen_ids[e.id]}]")
        if e.room in seen_rooms:
            c.problem(
                f"establishment[{i}].room", f"same room as establishment[{seen_rooms[e.room]}]"
            )
        seen_ids.setdefault(e.id, i)
        seen_rooms.setdefault(e.room, i)
    academy = _academy(c, raw, establishments)
    numbered = c.array_of_tables(raw, "survey", _survey)
    seen_urls: dict[str, int] = {}
    for i, s in numbered:
        if s.url in seen_urls:
            c.problem(f"survey[{i}].url", f"same survey as survey[{seen_urls[s.url]}]")
        seen_urls.setdefault(s.url, i)
    surveys = [s for _, s in numbered]
    c.unknown_keys(raw, "")
    if c.problems:
        raise ConfigError(c.problems)
    assert matrix is not None
    extra = {k: raw[k] for k in raw if k not in c.read[""]}
    return Config(
        matrix=matrix,
        bot=bot,
        establishments=tuple(establishments),
        extra=extra,
        surveys=tuple(surveys),
        academy=academy,
    )


def _academy(c: _Checker, raw: dict, establishments: list[Establishment]) -> AcademyConfig | None:
    """``[academy]``: its room (not an establishment's), its name, its time zone."""
    p = "academy"
    table = c.get(raw, "academy", "", dict)
    if table is None:
        return None
    room = c.get(table, "room", p, str, required=True)
    if room and not ROOM_REF.match(room):
        c.problem(f"{p}.room", f"expected a room id (!abc:serveur) or alias, got {room!r}")
    if room and any(e.room == room for e in establishments):
        c.problem(f"{p}.room", "an establishment's room: the academy needs a room of its own")
    name = _label(c, table, "name", p) or AcademyConfig.name
    timezone = c.get(table, "timezone", p, str, default="Europe/Paris")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        c.problem(f"{p}.timezone", f"unknown time zone {timezone!r} (e.g. Europe/Paris)")
    c.unknown_keys(table, p)
    for i, e in enumerate(establishments, 1):
        if e.id == ACADEMY_ID:
            c.problem(f"establishment[{i}].id", f"{ACADEMY_ID!r} names the academy's room")
    return AcademyConfig(room, name, timezone) if room else None


def load_config(path: str | Path) -> Config:
    """Read, parse and validate a TOML configuration file."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError([f"{path}: file not found"]) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{path}: invalid TOML: {exc}"]) from exc
    return replace(parse_config(raw, path.resolve().parent), source=path.resolve())
