"""Golden outputs: what principals, referents and a teacher see, per establishment, pinned.

``python -m bench.golden [--count N] [--write | --check] [--dump DIR]`` takes a
fresh copy of the seeded académie (bench/seed.py) and, for every establishment,
types the commands of ``OUTPUTS`` and runs the two letters' jobs at fixed
instants (``NOW``, ``DIGEST_AT``, ``YEAR_OVER``): the monthly digest, the
activity report with its two files (the year so far, and the whole year), the
weekly letter (preview and the one the job sends), and the listings referents
read. Everything a person would see is captured: each message's plain body,
HTML and mentions, each file's name, type and bytes, and what the command or
job queued in the outbox (direct messages, files, letters). Each output is
written out as one text (``shown_text``) and stored as its sha256 in
``bench/golden-<N>.json``, so that a refactor can prove it changed none of them:

- ``--write`` writes the fixture (one line per establishment and output);
- ``--check`` (the default) compares and names what differs; exit status 1;
- ``--dump DIR`` also writes every text to ``DIR/<establishment>/<output>.txt``:
  dump before and after a change, then ``diff -r before after``;
- ``--cache-dir DIR``: where the seeded file is built and kept (bench/.cache).

Only ``open_bot`` below knows the bot's modules (context, dispatcher, renderer,
scheduler, outbox): when they move, it is the one function to update.

Outputs are deterministic: the clock is injected, nothing is random, event ids
are numbered in order, and the working directory's path is replaced by
``<workdir>`` should it ever appear. Changing the seeded data (bench/seed.py),
the commands below or what the bot answers changes the fixtures: regenerate
them with ``--write`` (``--count 6`` for the one tests/unit/test_golden.py checks)
and read the diff of a ``--dump`` before committing them.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import hashlib
import itertools
import json
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bench.seed import (
    CACHE_DIR,
    ESTABLISHMENTS,
    NOW,
    PARIS,
    SERVER,
    academy_config,
    establishment_id,
    fresh_copy,
    principal_of,
    referent_of,
    seeded_database,
)

HERE = Path(__file__).resolve().parent
# The monthly digest job's run for May: 1 June at 8:00, before NOW.
DIGEST_AT = datetime(2027, 6, 1, 8, 0, tzinfo=PARIS)
# The school year over: its activity report is complete (to 31 August).
YEAR_OVER = datetime(2027, 9, 1, 9, 0, tzinfo=PARIS)


@dataclass(frozen=True)
class Shown:
    """One thing a person sees: a message (body, HTML, mentions), a file or a raw event."""

    kind: str  # "reply", "message", "file", "event", "queued message", "queued file"
    room: str  # a room id, or the user whose direct room it goes to
    body: str = ""
    html: str = ""
    mentions: tuple[str, ...] = ()
    filename: str | None = None
    mimetype: str | None = None
    data: bytes | None = None


@dataclass
class Seen:
    """What one command or job run showed: its outcome and everything sent or queued."""

    outcome: str
    shown: list[Shown] = field(default_factory=list)


@dataclass
class Bot:
    """The bot on a database, driven without Matrix; made by ``open_bot``."""

    # (establishment id, sender, line typed, now) -> what the command showed
    command: Callable[[str, str, str, datetime], Awaitable[Seen]]
    # (job name, establishment id, scheduled time, also its now) -> what the job queued
    job: Callable[[str, str, datetime], Awaitable[Seen]]
    close: Callable[[], None]


def open_bot(database: Path, count: int, *, draw: bool = False) -> Bot:
    """The bot's real dispatcher and scheduler on ``database``: the only use of its internals.

    Commands go through ``Dispatcher.handle`` with a ``Context`` as the Matrix
    side builds it, the sender's role from the configuration, and a messenger
    that records instead of sending; jobs go through ``Scheduler.run``. After
    each, the messages queued in the outbox are read (file bytes included) and
    marked sent, so that each run shows only its own. Pictures are pinned by
    their figures unless ``draw`` (the README's screenshots want them drawn).
    """
    from bot.core.charts import ChartDrawer
    from bot.core.context import Context
    from bot.core.dispatcher import Dispatcher
    from bot.core.render import Renderer
    from bot.core.roles import role_of
    from bot.core.scheduler import Scheduler
    from commands import load_registry
    from storage import open_database
    from storage.outbox import file_data, mark_sent, unsent_messages

    class ChartsAsFigures(ChartDrawer):
        """Pictures pinned by what they show (title, months or domains, figures), not
        by their pixels: another matplotlib must not change the fixtures, and the
        words under each picture are pinned with the rest. Nothing is drawn."""

        async def draw(self, chart):
            if chart.empty:
                return None
            return json.dumps(dataclasses.asdict(chart), ensure_ascii=False).encode()

    config = academy_config(count, database=database)
    establishments = {e.id: e for e in config.establishments}
    if config.academy is not None:  # the academy's room answers as a place of its own
        establishments[config.academy.place.id] = config.academy.place
    db = open_database(database)
    registry = load_registry()
    renderer = Renderer(charts=None if draw else ChartsAsFigures())
    dispatcher = Dispatcher(registry)
    jobs = {item.name: item for item in registry.jobs}
    events = itertools.count(1)  # event ids in typing order: transaction ids follow them
    recorded: list[Shown] = []

    class Messenger:
        async def send_message(self, room_id, message, *, reply_to=None, txn_id=None, alert=False):
            kind = "reply" if reply_to else "message"
            recorded.append(Shown(kind, room_id, message.body, message.html, message.mentions))
            return f"$golden-sent-{len(recorded)}"

        async def send_file(self, room_id, filename, data, mimetype, *, reply_to=None, txn_id=None):
            recorded.append(Shown("file", room_id, filename=filename, mimetype=mimetype, data=data))
            return f"$golden-sent-{len(recorded)}"

        async def send_event(self, room_id, event_type, content, *, txn_id=None):
            data = json.dumps(content, ensure_ascii=False, sort_keys=True, indent=1).encode()
            recorded.append(Shown("event", room_id, filename=event_type, data=data))
            return f"$golden-sent-{len(recorded)}"

        async def direct_room(self, user_id):
            return f"!dm-{user_id}"

    messenger = Messenger()

    def queued(now: datetime) -> list[Shown]:
        shown = []
        while batch := unsent_messages(db):
            for m in batch:
                to = m.dm_user or m.room_id or "(the establishment's room)"
                if m.filename:
                    data = file_data(db, m.id)
                    shown.append(Shown("queued file", to, m.body, m.html, m.mentions,
                                       m.filename, m.mimetype, data))  # fmt: skip
                else:
                    shown.append(Shown("queued message", to, m.body, m.html, m.mentions))
                mark_sent(db, m.id, f"$golden-queued-{m.id}", now)
        return shown

    async def command(eid: str, sender: str, line: str, now: datetime) -> Seen:
        establishment = establishments[eid]
        ctx = Context(
            sender=sender,
            role=role_of(establishment, config, sender, db),
            establishment=establishment,
            room_id=establishment.room,
            event_id=f"$golden-{next(events)}",
            now=now,
            db=db,
            config=config,
            renderer=renderer,
            messenger=messenger,
            registry=registry,
        )
        recorded.clear()
        outcome = await dispatcher.handle(ctx, line)
        return Seen(str(outcome.value), [*recorded, *queued(now)])

    async def job(name: str, eid: str, at: datetime) -> Seen:
        item = jobs[name]
        scheduler = Scheduler([item], config, db, renderer, lambda: at, registry=registry)
        posted = await scheduler.run(item, establishments[eid], scheduled_for=at)
        return Seen(f"{posted} queued", queued(at))

    queued(NOW)  # none in the seeded file; were there any, they would belong to no output
    return Bot(command, job, db.close)


# -- what is captured ----------------------------------------------------------------


@dataclass(frozen=True)
class Output:
    """A command typed by someone of ``who`` at ``at``, or a job run scheduled at ``at``."""

    name: str
    line: str | None = None
    who: str = "referent"  # "referent", "principal" or "teacher"
    job: str | None = None
    at: datetime = NOW

    def describe(self) -> str:
        what = f"job {self.job}" if self.job else f"{self.line} ({self.who})"
        return f"{what} at {self.at.isoformat()}"


# Read-only commands first; then the jobs, which record what they send.
OUTPUTS = (
    Output("aide", "!aide"),
    Output("statut", "!statut"),
    Output("lettre", "!lettre"),
    Output("lettre-apercu", "!lettre aperçu"),
    Output("synthese", "!synthese", who="principal"),  # the month so far, by direct message
    Output("bilan", "!bilan"),  # the year so far, in two files
    Output("bilan-complet", "!bilan 2026-2027", at=YEAR_OVER),  # the whole year, in September
    Output("enquete", "!enquete"),
    Output("enquete-etat", "!enquete état", who="principal"),
    Output("objectifs", "!objectifs", who="principal"),
    Output("objectifs-indicateurs", "!objectifs indicateurs"),
    Output("panne", "!panne"),  # every open breakdown, for a referent
    Output("panne-salle", "!panne salle B12", who="teacher"),
    Output("panne-visite", "!panne visite"),  # the technician's list, and its two files
    Output("formation", "!formation"),
    Output("permanence", "!permanence"),
    Output("permanence-ics", "!permanence ics"),
    Output("veille", "!veille"),
    Output("veille-cherche", "!veille cherche numérique"),
    Output("fiche", "!fiche", who="teacher"),
    Output("fiche-cherche", "!fiche cherche video projecteur", who="teacher"),
    Output("fiche-lire", "!fiche VPI connexion", who="teacher"),  # or what a search finds
    Output("projet", "!projet", who="teacher"),
    Output("mes-donnees", "!mes-donnees", who="teacher"),  # the export, by direct message
    Output("job-synthese", job="synthese", at=DIGEST_AT),  # May's digest to the principal
    Output("job-lettre", job="lettre"),  # the letter the job owes at NOW, to the room
    # Today's 17:00 permanence: its referent's recap, by direct message.
    Output("job-permanence-preparation", job="permanence-preparation"),
)


def sender(who: str, eid: str) -> str:
    if who == "referent":
        return referent_of(eid)
    if who == "principal":
        return principal_of(eid)
    number = int(eid.rsplit("-", 1)[1])
    return f"@prof-{number:03d}-01:{SERVER}"


def shown_text(eid: str, output: Output, seen: Seen, workdir: Path) -> str:
    """Everything ``seen`` shows, as one text: what is hashed and what ``--dump`` writes."""
    lines = [f"{eid} {output.name}: {output.describe()}", f"outcome: {seen.outcome}"]
    for number, item in enumerate(seen.shown, 1):
        lines.append(f"\n=== {number}/{len(seen.shown)} {item.kind} to {item.room}")
        if item.filename is not None:
            size = len(item.data or b"")
            lines.append(f"file: {item.filename} ({item.mimetype}, {size} bytes)")
        if item.mentions:
            lines.append(f"mentions: {', '.join(item.mentions)}")
        if item.body or item.html:
            lines += ["--- body", item.body, "--- html", item.html]
        if item.data is not None:
            try:
                lines += ["--- content", item.data.decode()]
            except UnicodeDecodeError:
                lines.append(f"--- content: binary, sha256 {hashlib.sha256(item.data).hexdigest()}")
    text = "\n".join(lines) + "\n"
    for path in {str(workdir), str(workdir.resolve())}:
        text = text.replace(path, "<workdir>")
    return text


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# -- running -------------------------------------------------------------------------


@dataclass
class Run:
    """The texts of every output of every establishment, and how long it took."""

    count: int
    texts: dict[str, str] = field(default_factory=dict)  # "etab-001/bilan" -> text
    outcomes: Counter = field(default_factory=Counter)
    seed_seconds: float = 0.0
    run_seconds: float = 0.0
    seconds_per_output: Counter = field(default_factory=Counter)

    def hashes(self) -> dict[str, str]:
        return {key: digest(text) for key, text in self.texts.items()}


async def _run(database: Path, workdir: Path, count: int, run: Run) -> None:
    bot = open_bot(database, count)
    try:
        for index in range(1, count + 1):
            eid = establishment_id(index)
            for output in OUTPUTS:
                started = time.perf_counter()
                if output.job:
                    seen = await bot.job(output.job, eid, output.at)
                else:
                    seen = await bot.command(eid, sender(output.who, eid), output.line, output.at)
                run.seconds_per_output[output.name] += time.perf_counter() - started
                run.outcomes[seen.outcome] += 1
                run.texts[f"{eid}/{output.name}"] = shown_text(eid, output, seen, workdir)
    finally:
        bot.close()


def compute(count: int = ESTABLISHMENTS, cache_dir: Path = CACHE_DIR) -> Run:
    """Every output of ``count`` establishments, on a fresh copy of the seeded file."""
    run = Run(count)
    started = time.perf_counter()
    seeded, _ = seeded_database(count, cache_dir)
    run.seed_seconds = time.perf_counter() - started
    with tempfile.TemporaryDirectory(prefix="rupn-golden-") as work:
        workdir = Path(work)
        database = fresh_copy(seeded, workdir / "golden.db")
        started = time.perf_counter()
        asyncio.run(_run(database, workdir, count, run))
        run.run_seconds = time.perf_counter() - started
    return run


def fixture_path(count: int) -> Path:
    return HERE / f"golden-{count}.json"


def fixture(run: Run) -> dict:
    return {
        "count": run.count,
        "outputs": {output.name: output.describe() for output in OUTPUTS},
        "sha256": run.hashes(),
    }


def write_fixture(run: Run, path: Path) -> None:
    text = json.dumps(fixture(run), ensure_ascii=False, indent=1, sort_keys=True)
    path.write_text(text + "\n", encoding="utf-8")


def differences(expected: dict, run: Run) -> list[str]:
    """What differs from a fixture, one line each: the outputs asked, then each hash."""
    problems = []
    actual = fixture(run)
    for key in ("count", "outputs"):
        if expected.get(key) != actual[key]:
            problems.append(f"{key}: fixture has {expected.get(key)!r}, now {actual[key]!r}")
    old, new = expected.get("sha256", {}), actual["sha256"]
    for key in sorted(old.keys() | new.keys(), key=_order):
        if key not in new:
            problems.append(f"{key}: no longer produced")
        elif key not in old:
            problems.append(f"{key}: not in the fixture")
        elif old[key] != new[key]:
            problems.append(f"{key}: differs")
    return problems


def _order(key: str) -> tuple[str, int]:
    eid, _, name = key.partition("/")
    names = [output.name for output in OUTPUTS]
    return eid, names.index(name) if name in names else len(names)


def dump(run: Run, directory: Path) -> None:
    for key, text in run.texts.items():
        path = directory / f"{key}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")


def summarise(problems: Iterable[str], shown: int = 40) -> list[str]:
    """The first problems, then how many establishments differ per output."""
    problems = list(problems)
    lines = problems[:shown]
    if len(problems) > shown:
        lines.append(f"… and {len(problems) - shown} more")
    per_output = Counter(p.split(":")[0].partition("/")[2] for p in problems if "/" in p)
    if per_output:
        lines.append(
            "establishments differing per output: "
            + ", ".join(f"{name} {n}" for name, n in sorted(per_output.items(), key=_by_output))
        )
    return lines


def _by_output(item: tuple[str, int]) -> int:
    names = [output.name for output in OUTPUTS]
    return names.index(item[0]) if item[0] in names else len(names)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.golden", description=__doc__.split("\n")[0])
    p.add_argument("--count", type=int, default=ESTABLISHMENTS, help="establishments (%(default)s)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="write bench/golden-<count>.json")
    mode.add_argument("--check", action="store_true", help="compare with it (the default)")
    p.add_argument("--dump", type=Path, metavar="DIR", help="write every output's text under DIR")
    p.add_argument(
        "--cache-dir", type=Path, default=CACHE_DIR, help="where the seeded file is kept"
    )
    args = p.parse_args(argv)

    path = fixture_path(args.count)
    if not args.write and not path.exists():
        print(f"{path.name} is missing: run with --write --count {args.count}", file=sys.stderr)
        return 2
    run = compute(args.count, args.cache_dir)
    per_output = ", ".join(
        f"{name} {seconds * 1000 / args.count:.1f}"
        for name, seconds in run.seconds_per_output.items()
    )
    print(
        f"{args.count} establishments × {len(OUTPUTS)} outputs: seeded file ready in"
        f" {run.seed_seconds:.1f} s, outputs in {run.run_seconds:.1f} s"
        f" (ms per establishment: {per_output})",
        file=sys.stderr,
    )
    unusual = {k: v for k, v in run.outcomes.items() if k != "done" and "queued" not in k}
    if unusual:  # an error answer would be pinned as if it were right
        print(f"warning: outcomes other than done: {dict(unusual)}", file=sys.stderr)
    if args.dump:
        dump(run, args.dump)
        print(f"texts written under {args.dump}", file=sys.stderr)
    if args.write:
        write_fixture(run, path)
        print(f"wrote {path.relative_to(HERE.parent)}", file=sys.stderr)
        return 0
    problems = differences(json.loads(path.read_text(encoding="utf-8")), run)
    if problems:
        for line in summarise(problems):
            print(line)
        print(
            f"{path.name}: {len(problems)} difference(s); to read them, run with --dump DIR"
            " before and after the change and compare with diff -r",
            file=sys.stderr,
        )
        return 1
    print(f"{path.name}: all {len(run.texts)} outputs unchanged", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
