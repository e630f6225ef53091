"""The machine a run was made on, and the table it prints."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Row:
    part: int  # the numbering: 1 reply, 2 handling, 3 burst, 4 scheduler, 5 process
    measure: str
    value: str
    target: str = "—"
    ok: bool | None = None

    @property
    def verdict(self) -> str:
        return "—" if self.ok is None else ("ok" if self.ok else "KO")


@dataclass
class Report:
    machine: list[str]
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(
        self, part: int, measure: str, value: str, target: str = "—", ok: bool | None = None
    ) -> None:
        self.rows.append(Row(part, measure, value, target, ok))

    def table(self) -> str:
        header = ("measure", "value", "target", "ok")
        rows = sorted(self.rows, key=lambda r: r.part)  # stable: parts in order, rows as added
        cells = [header] + [(r.measure, r.value, r.target, r.verdict) for r in rows]
        widths = [max(len(row[i]) for row in cells) for i in range(4)]
        lines = []
        for n, row in enumerate(cells):
            lines.append(
                "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
            )
            if n == 0:
                lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
        return "\n".join(lines)

    def markdown(self) -> str:
        parts = ["# rupn-bot benchmark", "", *[f"- {m}" for m in self.machine], ""]
        parts += [self.table(), ""]
        if self.notes:
            parts += ["## Details", "", *self.notes, ""]
        return "\n".join(parts)


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "absent"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB RAM"
    except OSError:
        pass
    return "RAM unknown"


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True
        )
        return out.stdout.strip() or "not a git checkout"
    except OSError:
        return "git absent"


def machine_info() -> list[str]:
    """What the figures depend on, taken at the start of the run."""
    load = os.getloadavg()
    cores = os.cpu_count()
    busy = " — the machine was busy: timings are pessimistic" if load[0] > 0.5 else ""
    return [
        f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; code: {_commit()}",
        f"machine: {cores} cores ({_cpu_model()}), {_memory()}, {platform.system()} "
        f"{platform.release()}",
        f"load average at start: {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} (1/5/15 min) on "
        f"{cores} cores{busy}",
        f"Python {platform.python_version()}, Synapse {_version('matrix-synapse')}, "
        f"matrix-nio {_version('matrix-nio')}, SQLite {sqlite3.sqlite_version}",
    ]
