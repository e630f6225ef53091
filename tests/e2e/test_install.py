"""The bot as an academy installs it: a wheel in a fresh venv, without the dev extras.

A source checkout hides what a wheel forgets (templates, migrations): here the
wheel is built from a copy of the sources, installed into a venv of its own
with a plain ``pip install``, and that ``rupn-bot`` runs from a folder where the
sources cannot be imported, with the README's smallest configuration file.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.testbed import REPOSITORY, BotProcess

# What a wheel is built from; the tests, the demo and the bench are not in it.
SOURCES = ("pyproject.toml", "README.md", "bot", "commands", "storage", "templates")


def run(*args: str, cwd: Path | None = None) -> str:
    result = subprocess.run(args, capture_output=True, text=True, cwd=cwd, timeout=540)
    assert result.returncode == 0, f"{args[:3]} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The venv of a plain ``pip install`` of the wheel; returns its bin folder."""
    work = tmp_path_factory.mktemp("install")
    for name in SOURCES:
        source = REPOSITORY / name
        if source.is_dir():
            shutil.copytree(
                source, work / "src" / name, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            (work / "src").mkdir(exist_ok=True)
            shutil.copy(source, work / "src" / name)
    run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "-q",
        "-w",
        str(work / "dist"),
        str(work / "src"),
    )
    wheel = next((work / "dist").glob("rupn_bot-*.whl"))
    run(sys.executable, "-m", "venv", str(work / "venv"))
    bin_dir = work / "venv" / "bin"
    run(str(bin_dir / "python"), "-m", "pip", "install", "-q", str(wheel))
    return bin_dir


def test_the_installed_package_holds_every_template_and_renders_it(installed, tmp_path):
    script = REPOSITORY / "tests" / "support" / "render_all.py"
    out = run(str(installed / "python"), str(script), cwd=tmp_path).splitlines()
    assert "site-packages" in out[0]  # the installed package, not the sources
    templates = REPOSITORY / "templates"
    assert set(out[1:]) == {str(p.relative_to(templates)) for p in templates.rglob("*.j2")}
    assert "pytest" not in run(str(installed / "python"), "-m", "pip", "list")


def smallest_config(world, bot, rooms: dict[str, str]) -> str:
    """The README's smallest working file, with this server, account and rooms filled in."""
    readme = (REPOSITORY / "README.md").read_text(encoding="utf-8")
    text = (
        readme.split("The smallest working file:", 1)[1].split("```toml", 1)[1].split("```", 1)[0]
    )
    text = re.sub(r'homeserver = "[^"]+"', f'homeserver = "{world.synapse.url}"', text)
    text = re.sub(r'user_id = "[^"]+"', f'user_id = "{bot.user_id}"', text)
    text = re.sub(r'password = "[^"]+"', f'password = "{bot.password}"', text)
    text = re.sub(
        r"referents = \[[^]]*\]", f'referents = ["{world.people["referent"].user_id}"]', text
    )
    text = re.sub(
        r"principals = \[[^]]*\]", f'principals = ["{world.people["principal"].user_id}"]', text
    )
    head, establishment = text.split("[[establishment]]", 1)
    tables = []
    for eid, room in rooms.items():
        table = re.sub(r'id = "[^"]+"', f'id = "{eid}"', establishment)
        tables.append("[[establishment]]" + re.sub(r'room = "[^"]+"', f'room = "{room}"', table))
    return head + "\n".join(tables)


def joined_members(world, room: str) -> set[str]:
    token = world.people["referent"].access_token
    reply = world.synapse.api("GET", f"/_matrix/client/v3/rooms/{room}/joined_members", token=token)
    return set(reply["joined"])


async def test_installed_bot_joins_on_the_referents_invitation_and_answers(
    installed, world, users, tmp_path
):
    bot = world.synapse.register("bot-installe")
    referent = world.people["referent"]
    # Only a teacher besides the referent: other tests count the principal's rooms.
    teachers = [world.people["prof1"].user_id]
    rooms = {
        "clg-installe-clair": world.synapse.create_room(referent, "Installé", invite=teachers),
        "clg-installe-chiffre": world.synapse.create_room(
            referent, "Installé chiffré", invite=teachers, encrypted=True
        ),
    }
    for room in rooms.values():
        world.synapse.join(world.people["prof1"], room)
    data = tmp_path / "deploy"
    data.mkdir()
    (data / "rupn.toml").write_text(smallest_config(world, bot, rooms))
    process = BotProcess(
        data / "rupn.toml",
        data / "bot.log",
        executable=[str(installed / "rupn-bot")],
        cwd=data,  # the sources are not importable from here
        env={"PYTHONPATH": ""},
    )
    process.start()
    try:
        for room in rooms.values():
            world.synapse.invite(referent, bot.user_id, room)
        deadline = time.monotonic() + 30
        while not all(bot.user_id in joined_members(world, r) for r in rooms.values()):
            assert time.monotonic() < deadline, process.log_text()[-2000:]
            await asyncio.sleep(0.1)
        teacher = await users("prof1")
        await teacher.accept_invites()
        for room in rooms.values():
            reply = await teacher.ask(room, "!aide")
            assert reply.sender == bot.user_id
            assert "!permanence" in reply.body
        assert reply.was_encrypted
        assert "TemplateNotFound" not in process.log_text()
        assert (data / "data" / "rupn.db").stat().st_size > 0
    finally:
        process.stop()
