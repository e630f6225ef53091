import copy
import re
from pathlib import Path

import pytest

from bot.core.config import (
    ConfigError,
    _academy,
    _bot,
    _Checker,
    _establishment,
    _matrix,
    _survey,
    load_config,
    parse_config,
)
from tests.conftest import MINIMAL_CONFIG


def test_minimal_config_from_the_issue_loads(tmp_path):
    path = tmp_path / "rupn.toml"
    path.write_text("""
[matrix]
homeserver = "http://127.0.0.1:18008"
user_id = "@bot:localhost"
password = "secret"            # or password_env = "RUPN_BOT_PASSWORD", or access_token_env
store_path = "data/store"

[bot]
database = "data/rupn.db"

[[establishment]]
id = "clg-test"
name = "Collège Test"
room = "!abc:localhost"        # room id or alias
zone = "B"
timezone = "Europe/Paris"
referents = ["@referent:localhost"]
principals = ["@principal:localhost"]
ticket_url = "https://support.example.org/glpi"
""")
    config = load_config(path)
    assert config.matrix.store_path == tmp_path / "data" / "store"
    assert config.bot.database == tmp_path / "data" / "rupn.db"
    (school,) = config.establishments
    assert (school.id, school.zone, school.reminder_hours) == ("clg-test", "B", 2.0)
    assert school.referents == ("@referent:localhost",)


def test_every_problem_is_reported_at_once_with_its_key_path(tmp_path):
    raw = copy.deepcopy(MINIMAL_CONFIG)
    raw["matrix"]["user_id"] = "bot"
    second = dict(
        raw["establishment"][0],
        id="clg-deux",
        zone="D",
        room="salle",
        referents=["referent"],
        timezone="Mars/Olympus",
        colour="blue",
    )
    raw["establishment"].append(second)
    with pytest.raises(ConfigError) as error:
        parse_config(raw, tmp_path)
    problems = error.value.problems
    assert "establishment[2].zone: expected A, B or C" in problems
    assert any(p.startswith("matrix.user_id: expected a Matrix ID") for p in problems)
    assert any(p.startswith("establishment[2].room: expected a room id") for p in problems)
    assert any(
        p.startswith("establishment[2].referents[0]: expected a Matrix ID") for p in problems
    )
    assert any(p.startswith("establishment[2].timezone: unknown time zone") for p in problems)
    assert "establishment[2].colour: unknown setting" in problems
    assert len(problems) == 6


def test_departement_is_optional_and_metropolitan(tmp_path):
    raw = copy.deepcopy(MINIMAL_CONFIG)
    assert parse_config(raw, tmp_path).establishments[0].departement is None
    raw["establishment"][0]["departement"] = "57"
    assert parse_config(raw, tmp_path).establishments[0].departement == "57"
    for wrong in ("971", "Moselle", "20"):
        raw["establishment"][0]["departement"] = wrong
        with pytest.raises(ConfigError) as error:
            parse_config(raw, tmp_path)
        assert error.value.problems == [
            "establishment[1].departement: expected a département of metropolitan France"
            f' like "57", got {wrong!r}'
        ]


def test_duplicate_ids_and_missing_credentials_are_reported(tmp_path):
    raw = copy.deepcopy(MINIMAL_CONFIG)
    del raw["matrix"]["password"]
    raw["establishment"].append(dict(raw["establishment"][0], room="#autre:localhost"))
    with pytest.raises(ConfigError) as error:
        parse_config(raw, tmp_path)
    assert error.value.problems == [
        "matrix: one of password, password_env, password_file, access_token_env "
        "or access_token_file is required",
        "establishment[2].id: duplicate of establishment[1]",
    ]


def test_password_can_come_from_the_environment(tmp_path, monkeypatch):
    raw = copy.deepcopy(MINIMAL_CONFIG)
    raw["matrix"] = {k: v for k, v in raw["matrix"].items() if k != "password"}
    raw["matrix"]["password_env"] = "RUPN_BOT_PASSWORD"
    monkeypatch.setenv("RUPN_BOT_PASSWORD", "from-env")
    assert parse_config(raw, tmp_path).matrix.resolve_password() == "from-env"


def test_room_version_12_ids_and_aliases_are_accepted(tmp_path):
    for room in ("!r02U4d62nEl19foDE_fzqyvgvRkg9qv6kySgA4xtIxU", "#salle-des-profs:localhost"):
        raw = copy.deepcopy(MINIMAL_CONFIG)
        raw["establishment"][0]["room"] = room
        assert parse_config(raw, tmp_path).establishments[0].room == room


def test_unreadable_file_is_one_clear_problem(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[matrix\nhomeserver=")
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert "invalid TOML" in error.value.problems[0]
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "absent.toml")


ROOT = Path(__file__).resolve().parents[2]


def documented_settings(text: str) -> dict[str, set[str]]:
    """Each table's keys in a commented TOML file, commented-out examples included."""
    keys: dict[str, set[str]] = {}
    table = ""
    for line in text.splitlines():
        line = line.strip().removeprefix("# ").strip()
        if header := re.fullmatch(r"\[\[?([a-z_]+)\]\]?", line):
            table = header.group(1)
        elif key := re.match(r"^([a-z_]+) = ", line):
            keys.setdefault(table, set()).add(key.group(1))
    return keys


def known_settings(tmp_path) -> dict[str, set[str]]:
    """The keys the parser reads, by table: exactly the ones it accepts."""
    checker = _Checker()
    _matrix(checker, {}, tmp_path)
    _bot(checker, {}, tmp_path)
    _establishment(checker, {}, "establishment[1]")
    _survey(checker, {}, "survey[1]")
    _academy(checker, {"academy": {}}, [])
    return {path.split("[")[0]: keys for path, keys in checker.read.items()}


def test_the_settings_documented_are_exactly_the_settings_accepted(tmp_path):
    documented = documented_settings((ROOT / "config.example.toml").read_text())
    known = known_settings(tmp_path)
    assert "retention_months" in known["bot"]
    for table in ("matrix", "bot", "establishment", "survey", "academy"):
        assert documented[table] == known[table], table


def test_the_example_and_the_readme_smallest_file_load(tmp_path, monkeypatch):
    monkeypatch.setenv("RUPN_BOT_PASSWORD", "x")
    assert load_config(ROOT / "config.example.toml").establishments[0].id == "clg-jean-moulin"
    readme = (ROOT / "README.md").read_text()
    smallest = readme.split("The smallest working file:", 1)[1].split("```toml", 1)[1]
    (tmp_path / "rupn.toml").write_text(smallest.split("```", 1)[0])
    config = load_config(tmp_path / "rupn.toml")
    assert config.bot.allowed_inviters == ()  # the establishment's own people may invite


def test_secrets_can_come_from_files(tmp_path, monkeypatch):
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path / "creds"))
    (tmp_path / "creds").mkdir()
    (tmp_path / "creds" / "rupn-password").write_text("s3cret\n")
    raw = copy.deepcopy(MINIMAL_CONFIG)
    del raw["matrix"]["password"]
    raw["matrix"]["password_file"] = "${CREDENTIALS_DIRECTORY}/rupn-password"
    raw["matrix"]["access_token_file"] = "token.txt"
    config = parse_config(raw, tmp_path)
    assert config.matrix.resolve_password() == "s3cret"
    with pytest.raises(ConfigError) as error:
        config.matrix.resolve_access_token()
    assert error.value.problems[0].startswith(f"{tmp_path / 'token.txt'}: cannot read")


def test_log_format_is_text_or_json(tmp_path):
    raw = copy.deepcopy(MINIMAL_CONFIG)
    raw["bot"]["log_format"] = "json"
    assert parse_config(raw, tmp_path).bot.log_format == "json"
    raw["bot"]["log_format"] = "xml"
    with pytest.raises(ConfigError) as error:
        parse_config(raw, tmp_path)
    assert error.value.problems == ["bot.log_format: expected one of text, json"]


def test_an_establishment_carries_its_uai_bassin_and_local_authority(tmp_path):
    raw = copy.deepcopy(MINIMAL_CONFIG)
    raw["establishment"][0] |= {
        "uai": "0010856a",
        "bassin": " Bassin de Bourg ",
        "collectivite": "Département de l'Ain",
    }
    (school,) = parse_config(raw, tmp_path).establishments
    assert (school.uai, school.bassin, school.collectivite) == (
        "0010856A",
        "Bassin de Bourg",
        "Département de l'Ain",
    )
    # Two establishments cannot share a UAI.
    raw["establishment"].append(dict(raw["establishment"][0], id="lyc-deux", room="!d:localhost"))
    with pytest.raises(ConfigError) as error:
        parse_config(raw, tmp_path)
    assert error.value.problems == ["establishment[2].uai: same UAI as establishment[1]"]


@pytest.mark.parametrize(
    ("uai", "problem"),
    [
        ("0010856B", "0010856B: the check letter of 0010856 is A, not B (a typo?)"),
        ("0000856A", "0000856A: 000 is not a département (001 to 095, 620, 720, 971 to 989)"),
        ("12345", "expected seven digits and a letter like 0860012W, got '12345'"),
    ],
)
def test_a_mistyped_uai_is_reported_with_what_is_wrong(tmp_path, uai, problem):
    raw = copy.deepcopy(MINIMAL_CONFIG)
    raw["establishment"][0]["uai"] = uai
    with pytest.raises(ConfigError) as error:
        parse_config(raw, tmp_path)
    assert error.value.problems == [f"establishment[1].uai: {problem}"]
