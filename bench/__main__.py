"""``make bench``: speed and scale of rupn-bot, measured side by side in one run.

Parts (``--only`` runs some of them), in the order they run:

- ``handling``: time inside the bot per command family on a seeded académie,
  in-process (bench/handling.py);
- ``report``: ``!academie bilan`` on the seeded académie, and the commands typed
  while it runs against the same typed alone (bench/academy_report.py);
- ``render``: 100 kB of hostile Markdown look-alikes through a listing and the
  plain and HTML conversions (bench/render.py);
- ``scheduler``: every scheduled job for every establishment (bench/scheduler_scale.py);
- ``paced``: what the scheduler queued, sent at the bot's own pace, with `!aide`
  typed meanwhile (bench/paced.py); it runs while the main homeserver is being
  set up, since it waits on the pace, not on the processor;
- ``reply``: reply time of rupn-bot against a minimal echo bot, by a real client,
  plain and encrypted rooms (bench/reply_time.py);
- ``burst``: many clients typing at once, every command answered once (bench/burst.py);
  then the bot's resident memory and a restart timed to its first sync.

The table is printed (rows in the issue's order) and written to bench/results.md.
Timings depend on the machine and on what else runs on it: the load average at
the start is printed with them.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from bench import academy_report, burst, handling, paced, render, reply_time
from bench.report import Report, machine_info
from bench.scheduler_scale import run_every_job
from bench.seed import ESTABLISHMENTS, academy_config, fresh_copy, seeded_database
from bench.stats import summary
from bench.world import World, build_world, ram_directory, rss_kib

PARTS = ("handling", "report", "render", "scheduler", "paced", "reply", "burst")
HERE = Path(__file__).resolve().parent

REPLY_RATIO = 1.15
HANDLING_P99_MS = 5.0
RSS_MB = 120
STARTUP_S = 3.0
HOSTILE_RENDER_MS = 1000.0
ACADEMY_REPORT_S = 2.0


def arguments(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    p.add_argument("--only", default=",".join(PARTS), help=f"comma-separated among {PARTS}")
    p.add_argument("--quick", action="store_true", help="small sizes, to try the harness")
    p.add_argument("--establishments", type=int)
    p.add_argument("--rounds", type=int, help="reply-time samples per command and room")
    p.add_argument("--per-family", type=int, help="handling samples per family")
    p.add_argument("--commands", type=int, help="commands in the burst")
    p.add_argument("--clients", type=int, help="clients (and rooms) in the burst")
    p.add_argument("--paced-messages", type=int, help="size of the paced sample, in messages")
    p.add_argument("--keep", action="store_true", help="keep the working directories")
    p.add_argument("--out", type=Path, default=HERE / "results.md")
    args = p.parse_args(argv)
    quick = {"establishments": 40, "rounds": 20, "per_family": 200, "commands": 200}
    quick |= {"clients": 10, "paced_messages": 6}
    full = {"establishments": ESTABLISHMENTS, "rounds": 200, "per_family": 1000}
    full |= {"commands": 1000, "clients": 50, "paced_messages": 24}
    for key, value in (quick if args.quick else full).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    args.parts = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = set(args.parts) - set(PARTS)
    if unknown:
        p.error(f"unknown part(s): {', '.join(sorted(unknown))}")
    return args


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


class Run:
    """One run: its arguments, working directories, report and stopwatch."""

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.count = args.establishments
        self.report = Report(machine_info())
        self.started = time.monotonic()
        self.laps: list[str] = []
        self.workdir = Path(tempfile.mkdtemp(prefix="rupn-bench-"))
        self.ramdir = ram_directory(self.workdir / "ram")
        self.seeded: Path | None = None
        self.per_establishment = 1.0

    def lap(self, name: str, mark: float) -> None:
        self.laps.append(f"{name} {time.monotonic() - mark:.0f} s")

    def wants(self, *parts: str) -> bool:
        return any(p in self.args.parts for p in parts)

    async def main(self) -> Report:
        for line in self.report.machine:
            say(line)
        self.seeded, tables = seeded_database(self.count)
        say(f"seeded académie: {self.count} establishments ({self.elapsed():.1f} s)")
        self.report.notes.append(
            f"- seeded database: {self.count} establishments, a school year up to Friday"
            " 11 June 2027 16:00: " + ", ".join(f"{t} {n:,}" for t, n in tables.items() if n)
        )
        say(f"working directories: {self.workdir} (bots), {self.ramdir} (homeservers, clients)")
        try:
            if self.wants("handling"):
                await self.timed("handling", self.handling())
            if self.wants("report"):
                await self.timed("report", self.academy_report())
            if self.wants("render"):
                await self.timed("render", self.render())
            if self.wants("scheduler", "paced"):
                await self.timed("scheduler", self.scheduler())
            world = await self.homeservers()
            if world is not None:
                try:
                    await self.with_world(world)
                finally:
                    world.stop()
        finally:
            if self.args.keep:
                say(f"kept {self.workdir} and {self.ramdir}")
            else:
                shutil.rmtree(self.ramdir, ignore_errors=True)
                shutil.rmtree(self.workdir, ignore_errors=True)
        self.report.notes.append(f"- whole run: {self.elapsed():.0f} s ({', '.join(self.laps)})")
        return self.report

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    async def timed(self, name: str, work):
        mark = time.monotonic()
        try:
            return await work
        finally:
            self.lap(name, mark)

    # -- in-process parts ------------------------------------------------------------

    async def handling(self) -> None:
        say(f"handling: {self.args.per_family} commands per family…")
        results = await handling.measure(
            self.seeded, self.workdir, self.count, self.args.per_family
        )
        for family, times in results.items():
            s = summary([x / 1e6 for x in times.samples])
            # An unknown command or a bug measures the error path, not the family.
            wrong = {k: v for k, v in times.outcomes.items() if k in ("unknown", "failed")}
            self.report.add(
                2,
                f"handling `{family}`, {self.count} establishments (p50 / p99)",
                f"{s.p50:.2f} / {s.p99:.2f} ms"
                + "".join(f", {v} {k}!" for k, v in sorted(wrong.items())),
                f"p99 < {HANDLING_P99_MS:g} ms",
                s.p99 < HANDLING_P99_MS and not wrong,
            )
        self.report.notes.append(
            "- handling, per command (inbox write to reply send call; then to the"
            " handler's end, every message of the answer sent or queued):"
        )
        self.report.notes += ["  " + line for line in handling.describe(results)]

    async def academy_report(self) -> None:
        say("report: !academie bilan, and other commands typed meanwhile…")
        runs = 2 if self.args.quick else 5
        times = await academy_report.measure(self.seeded, self.workdir, self.count, runs)
        whole = summary([x / 1e9 for x in times.reports])
        alone = summary([x / 1e6 for x in times.alone])
        beside = summary([x / 1e6 for x in times.beside])
        self.report.add(
            2,
            f"`!academie bilan`, {self.count} establishments: counted, drawn, page and"
            " table sent (p50 / max)",
            f"{whole.p50:.2f} / {whole.max:.2f} s",
            f"< {ACADEMY_REPORT_S:g} s",
            whole.max < ACADEMY_REPORT_S,
        )
        self.report.add(
            2,
            "other commands typed while `!academie bilan` runs: p99 beside it / alone",
            f"{beside.p99:.2f} / {alone.p99:.2f} ms",
            f"p99 < {HANDLING_P99_MS:g} ms",
            beside.p99 < HANDLING_P99_MS,
        )
        self.report.notes.append(
            f"- `!academie bilan`: {whole.count} reports; {beside.count} lines typed beside"
            f" them (p50 {beside.p50:.2f} ms, p99 {beside.p99:.2f} ms, max {beside.max:.2f} ms),"
            f" {alone.count} alone (p50 {alone.p50:.2f} ms, p99 {alone.p99:.2f} ms)"
        )

    async def render(self) -> None:
        say("render: 100 kB of hostile text…")
        times = render.measure()
        self.report.add(
            2,
            f"render {times.chars / 1000:.0f} kB of hostile text: `!panne` listing of"
            f" {render.DESCRIPTIONS} breakdowns (cut to one event) / plain body / HTML",
            f"{times.listing_ms:.0f} / {times.plain_ms:.0f} / {times.html_ms:.0f} ms",
            f"each < {HOSTILE_RENDER_MS:g} ms",
            times.cut and max(times.listing_ms, times.plain_ms, times.html_ms) < HOSTILE_RENDER_MS,
        )

    async def scheduler(self) -> None:
        say("scheduler: every job for every establishment…")
        database = fresh_copy(self.seeded, self.workdir / "scheduler.db")
        run = await run_every_job(academy_config(self.count, database=database))
        jobs = ", ".join(
            f"{name} {seconds * 1000:.0f} ms / {queued} msg"
            for name, (seconds, queued) in run.per_job.items()
        )
        newsletter = "" if "lettre" in run.per_job else " (no `lettre` job in this build)"
        self.report.add(
            4,
            f"scheduler: every job × {self.count} establishments, Friday 16:00{newsletter}",
            f"{run.seconds:.2f} s, {run.queued} messages rendered and queued",
        )
        self.report.notes.append(f"- scheduler pass: {jobs}")
        self.per_establishment = run.queued / max(self.count, 1)

    # -- homeserver parts ---------------------------------------------------------------

    async def homeservers(self) -> World | None:
        """Build the main homeserver world, running the paced part meanwhile."""
        needs_world = self.wants("reply", "burst")
        clients = self.args.clients if self.wants("burst") else 0
        jobs = []
        if needs_world:
            say(
                f"homeserver: Synapse, {self.count} rooms, {clients} burst clients,"
                " rupn-bot and the echo bot…"
            )
            build = asyncio.to_thread(
                build_world, self.workdir, self.ramdir, self.seeded, self.count, clients
            )
            jobs.append(self.timed("set-up", build))
        if self.wants("paced"):
            say("paced: sending the Friday pass at the bot's pace (beside the set-up)…")
            jobs.append(self.timed("paced", self.paced()))
        results = await asyncio.gather(*jobs, return_exceptions=True)
        world = results[0] if needs_world else None
        errors = [r for r in results if isinstance(r, BaseException)]
        if errors:
            if isinstance(world, World):
                world.stop()
            raise errors[0]
        return world

    async def paced(self) -> None:
        result = await paced.run(
            self.workdir,
            self.ramdir,
            self.seeded,
            self.per_establishment,
            self.count,
            self.args.paced_messages,
        )
        lost = result.queued - result.delivered
        rates = (
            f"the bot's pace {result.bot_rate:g}/s, the homeserver's"
            f" {result.homeserver_rate:g}/s after a burst of {paced.HOMESERVER_BURST}"
        )
        self.report.add(
            4,
            f"Friday pass at {rates}: sample of {result.establishments} establishments",
            f"{result.delivered}/{result.queued} delivered over {result.send_seconds:.0f} s, "
            f"{result.messages_limited} × 429 on messages"
            f" ({result.rate_limited - result.messages_limited} on other requests),"
            f" lost {lost}, twice {result.duplicates}",
            "no 429 on messages, none lost",
            lost == 0
            and result.unsent_left == 0
            and not result.duplicates
            and not result.messages_limited,
        )
        if result.interval == result.interval:  # not NaN: more than one message went
            self.report.add(
                4,
                f"→ the same pass for {self.count} establishments at that pace (extrapolated)",
                f"≈ {result.extrapolate(self.count) / 60:.0f} min "
                f"(one message every {result.interval:.2f} s)",
            )
        if result.replies_during_pass_s:
            times = result.replies_during_pass_s
            self.report.add(
                4,
                f"reply to `!aide` typed during the Friday pass ({len(times)}; homeserver"
                " timestamps, command to answer: median / max)",
                f"{statistics.median(times):.2f} / {max(times):.2f} s"
                f" = {result.slots:.2f} send slot at {result.bot_rate:g}/s",
                "≤ one send slot",
                result.slots <= 1.0,
            )

    async def with_world(self, world: World) -> None:
        t = world.timings
        say("  " + ", ".join(f"{k} {v:.1f} s" for k, v in t.items()))
        self.report.add(
            5,
            f"first start of rupn-bot (login, keys, first sync of {self.count} rooms)",
            f"{t['first start']:.1f} s",
        )
        if self.wants("reply"):
            say(f"reply time: {self.args.rounds} rounds × 6 commands…")
            times = await self.timed("reply", reply_time.measure(world, rounds=self.args.rounds))
            self.reply_rows(times)
        world.echo.stop()  # it would read every message of the burst for nothing
        if self.wants("burst"):
            say(f"burst: {self.args.commands} commands from {len(world.burst)} clients…")
            result = await self.timed("burst", burst.run(world, commands=self.args.commands))
            self.report.add(
                3,
                f"burst: {result.sent} commands, {result.clients} clients in {result.clients}"
                f" rooms, sent over {result.send_window:.1f} s",
                f"answered {result.answered}, lost {result.lost}, twice {result.twice}; "
                f"drained in {result.drain:.1f} s",
                "all answered, none twice",
                result.lost == 0 and result.twice == 0 and result.undecryptable == 0,
            )
            self.report.notes += result.describe()
        rss, peak = rss_kib(world.bot.process.pid)
        after = "after the burst" if self.wants("burst") else "after the reply-time part"
        self.report.add(
            5,
            f"resident memory of rupn-bot {after} ({self.count} rooms)",
            f"{rss / 1024:.0f} MB (peak {peak / 1024:.0f} MB)",
            f"< {RSS_MB} MB",
            rss / 1024 < RSS_MB,
        )
        say("restart, timed to the first sync…")
        world.bot.stop()
        launched, mark = time.time(), time.monotonic()
        world.bot.start(timeout=120)
        startup = time.monotonic() - mark
        self.report.notes.append(startup_phases(world.bot.log_text(), launched))
        self.report.add(
            5,
            f"start-up to first sync (restart, {self.count} rooms)",
            f"{startup:.2f} s",
            f"< {STARTUP_S:g} s",
            startup < STARTUP_S,
        )

    def reply_rows(self, times: reply_time.ReplyTimes) -> None:
        samples = times.samples
        for kind in reply_time.KINDS:
            echo = summary(samples[(kind, "echo !ping")])
            self.report.add(
                1,
                f"reply time, {kind} room: echo bot `!ping` ({echo.count}; median / p95)",
                f"{echo.p50:.0f} / {echo.p95:.0f} ms",
                "the floor",
            )
            for label in ("rupn-bot !aide", "rupn-bot !permanence"):
                s = summary(samples[(kind, label)])
                ratio = s.p50 / echo.p50
                self.report.add(
                    1,
                    f"reply time, {kind} room: rupn-bot `{label.split()[1]}` "
                    f"({s.count}; median / p95)",
                    f"{s.p50:.0f} / {s.p95:.0f} ms = {ratio:.3f}× echo",
                    f"median ≤ {REPLY_RATIO}× echo",
                    ratio <= REPLY_RATIO,
                )
        bot_part = "; ".join(
            f"{kind} {label}: {summary(values).p50:.0f} ms"
            for (kind, label), values in times.turnaround.items()
        )
        cpu = ", ".join(f"{k} {v:.1f} ms" for k, v in times.cpu_ms_per_command.items())
        self.report.notes += [
            "- reply time, the bots' part (homeserver timestamp of the answer minus the"
            f" command's; median): {bot_part}",
            f"- CPU used per command answered during the reply-time part: {cpu}",
        ]


def startup_phases(log: str, launched: float) -> str:
    """Where the restart's time went, from the bot's own log lines."""
    stamps = {}
    for line in log.splitlines():
        for key, marker in (("restored", "reusing device"), ("ready", "ready: serving")):
            if marker in line:
                stamps[key] = datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f").timestamp()
    if len(stamps) < 2:
        return "- start-up phases: not found in the log"
    return (
        f"- start-up phases: {stamps['restored'] - launched:.2f} s to the stored device restored"
        f" (interpreter, imports, database, configuration), then"
        f" {stamps['ready'] - stamps['restored']:.2f} s to ready (joined rooms listed, a sync"
        " from the stored token, keys; the scheduler starts right after)"
    )


def main() -> None:
    # The clients' nio warns about every device it shares keys with for the first time.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("nio").setLevel(logging.ERROR)
    args = arguments()
    report = asyncio.run(Run(args).main())
    args.out.write_text(report.markdown(), encoding="utf-8")
    print()
    print(report.table())
    print()
    print("\n".join(report.notes))
    print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    main()
