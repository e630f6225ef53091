"""The map of the code holds: rooms import downwards only, and nothing imports in a circle.

The import graph is read from the sources (every ``import`` at any depth, so an
import tucked into a function cannot hide a circle); imports under
``if TYPE_CHECKING:`` are left out, since they never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "commands", "storage")

# Which room may import which; the README's architecture table says the same.
MAY_IMPORT = {
    "toolkit": {"toolkit"},
    "storage": {"storage", "toolkit"},
    "core": {"core", "storage", "toolkit"},
    "commands": {"core", "storage", "toolkit"},
    "matrix": {"matrix", "core", "storage", "toolkit"},
    "app": {"app", "matrix", "commands", "core", "storage", "toolkit"},
}
# Longer than this, a module says at its top why it is kept whole.
MAX_LINES = 450
KEPT_WHOLE = "Kept whole:"


def room_of(module: str) -> str:
    parts = module.split(".")
    if parts[0] == "bot":
        sub = parts[1] if len(parts) > 1 else ""
        return sub if sub in ("toolkit", "core", "matrix") else "app"
    return parts[0]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def sources() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found[module_name(path)] = path
    return found


def _type_checking_only(node: ast.AST) -> bool:
    test = node.test if isinstance(node, ast.If) else None
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(module: str, path: Path, known: set[str]) -> set[str]:
    """Our modules that ``module`` imports when it runs."""
    found: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]

    def resolve(name: str) -> None:
        # "from storage import inbox" names a module; "from storage.db import migrate" does not.
        while name and name not in known:
            name = name.rpartition(".")[0]
        if name:
            found.add(name)

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if _type_checking_only(child):
                for orelse in child.orelse:
                    visit(orelse)
                continue
            if isinstance(child, ast.Import):
                for alias in child.names:
                    resolve(alias.name)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.rsplit(".", child.level - 1)[0] if child.level > 1 else package
                    base = f"{anchor}.{base}".strip(".")
                for alias in child.names:
                    resolve(f"{base}.{alias.name}" if base else alias.name)
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    found.discard(module)
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    modules = sources()
    known = set(modules)
    return {name: imports_of(name, path, known) for name, path in modules.items()}


def test_the_graph_is_read_from_every_room(graph):
    rooms = {room_of(m) for m in graph}
    assert rooms == set(MAY_IMPORT)
    assert "bot.core.context" in graph["bot.core.dispatcher"]


def test_each_room_imports_only_the_rooms_below_it(graph):
    wrong = [
        f"{module} ({room_of(module)}) imports {target} ({room_of(target)})"
        for module, targets in sorted(graph.items())
        for target in sorted(targets)
        if room_of(target) not in MAY_IMPORT[room_of(module)]
    ]
    assert wrong == []


def test_command_families_do_not_import_each_other(graph):
    families = {m for m in graph if m.startswith("commands.")}
    crossing = [
        f"{module} imports {target}"
        for module in sorted(families)
        for target in sorted(graph[module])
        if target.startswith("commands")
    ]
    assert crossing == []


def test_no_import_circle(graph):
    circles, state = [], {}

    def walk(module: str, path: list[str]) -> None:
        state[module] = "open"
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                circles.append(" → ".join([*path[path.index(target) :], target]))
            elif target not in state:
                walk(target, [*path, target])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            walk(module, [module])
    assert circles == []


def test_long_modules_say_why_they_are_kept_whole():
    long = []
    for module, path in sources().items():
        text = path.read_text(encoding="utf-8")
        docstring = ast.get_docstring(ast.parse(text)) or ""
        if text.count("\n") > MAX_LINES and KEPT_WHOLE not in docstring:
            long.append(f"{module}: {text.count(chr(10))} lines")
    assert long == []


def test_every_package_says_what_lives_there():
    silent = [
        module
        for module, path in sources().items()
        if path.name == "__init__.py" and not ast.get_docstring(ast.parse(path.read_text()))
    ]
    assert silent == []
