"""Configuration: environment over TOML, every problem in one pass, secrets never shown."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.config import (
    ENVIRONMENT,
    SECTIONS,
    ConfigError,
    RoleName,
    Settings,
    check_settings,
    format_duration,
    load_settings,
    parse_duration,
)
from bot.config.docs import documented_reference, settings_reference

DOCS = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"
KEY = {"MVBOT_MERAKI_API_KEY": "k-0123456789"}

# The names DESIGN.md ("Interfaces") promises operators and deploy scripts, and the replica id
# the replicas issue names.
PROMISED_VARIABLES = {
    "MVBOT_MERAKI_API_KEY", "MVBOT_MERAKI_BASE_URL", "MVBOT_MERAKI_ORG_ID", "MVBOT_MERAKI_RATE",
    "MVBOT_DATABASE_URL", "MVBOT_DATA_DIR", "MVBOT_HTTP_HOST", "MVBOT_HTTP_PORT",
    "MVBOT_PUBLIC_URL", "MVBOT_MQTT_URL", "MVBOT_SLACK_BOT_TOKEN", "MVBOT_SLACK_SIGNING_SECRET",
    "MVBOT_SLACK_APP_TOKEN", "MVBOT_SLACK_API_URL", "MVBOT_WEBEX_BOT_TOKEN",
    "MVBOT_WEBEX_WEBHOOK_SECRET", "MVBOT_WEBEX_API_URL", "MVBOT_WEBHOOK_SECRET",
    "MVBOT_ACCESS_DEFAULT_ROLE", "MVBOT_ACCESS_ADMINS", "MVBOT_ACCESS_OPERATORS",
    "MVBOT_ACCESS_VIEWERS", "MVBOT_SMTP_URL", "MVBOT_REPLICA_ID", "MVBOT_REPLICA_LEASE",
}  # fmt: skip


def toml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mvbot.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_match_the_documented_interface() -> None:
    settings = load_settings(KEY)
    assert settings.meraki.base_url == "https://api.meraki.com/api/v1"
    assert settings.meraki.rate == 5
    assert (settings.http.host, settings.http.port) == ("127.0.0.1", 8080)
    assert settings.access.default_role is RoleName.NONE
    assert settings.clips.max_length == timedelta(minutes=30)
    assert settings.clips.ready_deadline == timedelta(minutes=15)
    assert settings.clips.availability_lag == timedelta(seconds=60)


def test_every_promised_variable_sets_an_existing_field() -> None:
    assert set(ENVIRONMENT) == PROMISED_VARIABLES
    for section, field in ENVIRONMENT.values():
        assert field in SECTIONS[section].model_fields


def test_the_environment_overrides_the_file_field_by_field(tmp_path: Path) -> None:
    path = toml(tmp_path, '[meraki]\nrate = 3\norg_id = "from-file"\n[http]\nport = 9000\n')
    env = {**KEY, "MVBOT_CONFIG": str(path), "MVBOT_MERAKI_RATE": "7", "MVBOT_MERAKI_ORG_ID": ""}
    settings = load_settings(env)
    assert settings.meraki.rate == 7
    assert settings.meraki.org_id == "from-file"  # an empty variable counts as unset
    assert settings.http.port == 9000
    assert load_settings(KEY, config_file=path).meraki.rate == 3


def test_the_file_is_read_from_the_environment_at_call_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MVBOT_CONFIG", str(toml(tmp_path, '[meraki]\napi_key = "k"\nrate = 2\n')))
    assert load_settings().meraki.rate == 2


def test_lists_come_from_commas_or_arrays(tmp_path: Path) -> None:
    path = toml(tmp_path, '[access]\noperators = ["U2", "bob@example.com"]\nviewers = "U3 , U4"\n')
    env = {**KEY, "MVBOT_ACCESS_ADMINS": " ann@example.com, U1,, ", "MVBOT_CONFIG": str(path)}
    access = load_settings(env).access
    assert access.admins == ["ann@example.com", "U1"]
    assert access.operators == ["U2", "bob@example.com"]
    assert access.viewers == ["U3", "U4"]


def test_file_only_sections_hold_rules_zones_and_durations(tmp_path: Path) -> None:
    path = toml(
        tmp_path,
        """
        [access]
        rooms = { C0SEC = "operator" }
        domains = { "example.com" = "viewer" }
        restricted_tags = { vault = ["C0SEC"] }
        [cameras]
        aliases = { door = "Lobby Entrance" }
        time_zones = { "Q2XX-AAAA-BBBB" = "Europe/Paris" }
        person_time_zones = { "ann@example.com" = "America/New_York" }
        [clips]
        max_length = "1h"
        ready_deadline = 600
        availability_lag = "1m30s"
        """,
    )
    settings = load_settings(KEY, config_file=path)
    assert settings.access.rooms == {"C0SEC": RoleName.OPERATOR}
    assert settings.access.domains == {"example.com": RoleName.VIEWER}
    assert settings.access.restricted_tags == {"vault": ["C0SEC"]}
    assert settings.cameras.time_zones == {"Q2XX-AAAA-BBBB": "Europe/Paris"}
    assert settings.clips.max_length == timedelta(hours=1)
    assert settings.clips.ready_deadline == timedelta(minutes=10)
    assert settings.clips.availability_lag == timedelta(seconds=90)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [(90, 90), ("90", 90), (2.5, 2.5), ("90s", 90), ("30m", 1800), ("1h30m", 5400), ("1.5h", 5400)],
)
def test_durations_read_seconds_or_units(text: object, seconds: float) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "soon", "5x", "m", "inf", "nan", "1h-5m"])
def test_durations_refuse_nonsense(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


@pytest.mark.parametrize("seconds", [0, 45, 60, 90, 1800, 5400, 3661, 1.5])
def test_durations_print_as_they_are_read(seconds: float) -> None:
    duration = timedelta(seconds=seconds)
    assert parse_duration(format_duration(duration)) == duration


def test_every_problem_is_reported_in_one_pass(tmp_path: Path) -> None:
    path = toml(
        tmp_path,
        """
        [meraki]
        rate = "fast"
        apikey = "x"
        [cameras.time_zones]
        Lobby = "Europe/Pariss"
        Gate = "Mars/Olympus"
        [clips]
        max_length = "3x"
        [bogus]
        x = 1
        """,
    )
    env = {
        "MVBOT_CONFIG": str(path),
        "MVBOT_MERAKI_BASE_URL": "ftp://api.example.com",
        "MVBOT_HTTP_PORT": "99999",
        "MVBOT_PUBLIC_URL": "bot.example.com",
        "MVBOT_MQTT_URL": "http://broker:1883",
        "MVBOT_SLACK_SIGNING_SECRET": "slack-signing",
        "MVBOT_WEBEX_BOT_TOKEN": "webex-token",
        "MVBOT_ACCESS_DEFAULT_ROLE": "boss",
        "MVBOT_MERAKI_APY_KEY": "typo",
        "MVBOT_TEST_ANYTHING": "not a setting, not a typo",
    }
    problems = check_settings(env)
    report = "\n".join(str(problem) for problem in problems)
    expected = [
        ("MVBOT_MERAKI_APY_KEY", "did you mean MVBOT_MERAKI_API_KEY"),
        (f"{path} [meraki] rate", "valid number"),
        (f"{path} [meraki] apikey", "did you mean api_key"),
        ("MVBOT_MERAKI_BASE_URL", "https://"),
        ("MVBOT_HTTP_PORT", "65535"),
        ("MVBOT_PUBLIC_URL", "https://"),
        ("MVBOT_MQTT_URL", "mqtt://"),
        ("[slack]", "MVBOT_SLACK_BOT_TOKEN"),
        ("[webex]", "MVBOT_WEBEX_WEBHOOK_SECRET"),
        ("MVBOT_ACCESS_DEFAULT_ROLE", "'boss'"),
        (f"{path} [cameras] time_zones.Lobby", "Europe/Pariss"),
        (f"{path} [cameras] time_zones.Gate", "Mars/Olympus"),
        (f"{path} [clips] max_length", "not a duration"),
        ("[bogus]", "unknown section"),
        ("MVBOT_MERAKI_API_KEY", "not set"),
    ]
    for where, words in expected:
        assert any(p.where.startswith(where) and words in p.message for p in problems), (
            f"no problem at {where} mentioning {words!r} in:\n{report}"
        )
    assert len(problems) == len(expected), report
    with pytest.raises(ConfigError) as refused:
        load_settings(env)
    assert refused.value.problems == problems


def test_an_unreadable_file_is_reported_with_its_line_and_the_rest_still_checked(
    tmp_path: Path,
) -> None:
    path = toml(tmp_path, '[meraki]\nrate = 5\nbase_url = "https://x\n')
    problems = check_settings({"MVBOT_HTTP_PORT": "http"}, config_file=path)
    assert [p.where for p in problems] == [
        str(path),
        "MVBOT_HTTP_PORT",
        "MVBOT_MERAKI_API_KEY ([meraki] api_key)",
    ]
    assert "line 3" in problems[0].message
    missing = check_settings(KEY, config_file=tmp_path / "absent.toml")
    assert [p.where for p in missing] == [str(tmp_path / "absent.toml")]


def test_secrets_never_appear_in_problems_or_repr(tmp_path: Path) -> None:
    secrets = {
        "MVBOT_MERAKI_API_KEY": "meraki-key-4f1c",
        "MVBOT_SLACK_SIGNING_SECRET": "slack-signing-93ab",
        "MVBOT_WEBEX_WEBHOOK_SECRET": "webex-hook-77de",
        "MVBOT_WEBHOOK_SECRET": "hook-secret-1a2b",
        "MVBOT_DATABASE_URL": "mysql://mvbot:db-pass-5e6f@db/mvbot",
        "MVBOT_MQTT_URL": "mqtt://mvbot:mqtt-pass-8c9d@broker:99999",
        "MVBOT_SMTP_URL": "smtp://mvbot:smtp-pass-0a1b@mail",
    }
    path = toml(tmp_path, '[meraki]\napi_keys = "file-key-c3d4"\n[slack]\napp_token = 5\n')
    # A key pasted into the wrong variable is still a secret in the message about it.
    pasted = {"MVBOT_HTTP_PORT": "meraki-key-4f1c"}
    problems = check_settings({**secrets, **pasted, "MVBOT_CONFIG": str(path)})
    report = "\n".join(str(problem) for problem in problems)
    assert len(problems) >= 5, report
    for leaked in ["4f1c", "93ab", "77de", "1a2b", "db-pass", "mqtt-pass", "c3d4"]:
        assert leaked not in report

    good = {
        **secrets,
        "MVBOT_DATABASE_URL": "postgresql+psycopg://mvbot:db-pass-5e6f@db/mvbot",
        "MVBOT_MQTT_URL": "mqtt://mvbot:mqtt-pass-8c9d@broker:1883",
        "MVBOT_SLACK_BOT_TOKEN": "xoxb-bot-2b3c",
        "MVBOT_WEBEX_BOT_TOKEN": "webex-bot-6d7e",
    }
    settings = load_settings(good)
    shown = f"{settings!r}\n{settings}\n{settings.model_dump_json()}\n{settings.meraki!r}"
    for leaked in ["4f1c", "93ab", "77de", "1a2b", "db-pass", "mqtt-pass", "0a1b", "2b3c", "6d7e"]:
        assert leaked not in shown
    assert settings.meraki.api_key is not None
    assert settings.meraki.api_key.get_secret_value() == "meraki-key-4f1c"


@pytest.mark.parametrize(
    ("env", "fine"),
    [
        ({"MVBOT_SLACK_BOT_TOKEN": "xoxb-1", "MVBOT_SLACK_APP_TOKEN": "xapp-1"}, True),
        ({"MVBOT_SLACK_BOT_TOKEN": "xoxb-1", "MVBOT_SLACK_SIGNING_SECRET": "s"}, True),
        ({"MVBOT_SLACK_BOT_TOKEN": "xoxb-1"}, False),
        ({"MVBOT_SLACK_APP_TOKEN": "xapp-1"}, False),
        ({"MVBOT_WEBEX_BOT_TOKEN": "t", "MVBOT_WEBEX_WEBHOOK_SECRET": "s"}, True),
        ({"MVBOT_WEBEX_WEBHOOK_SECRET": "s"}, False),
        ({"MVBOT_DATABASE_URL": "sqlite://"}, False),
        ({"MVBOT_DATABASE_URL": "postgresql://u@db/mvbot"}, True),
        ({"MVBOT_SMTP_URL": "smtps://u:p@mail:465"}, True),
        ({"MVBOT_SMTP_URL": "smtp://"}, False),
    ],
)
def test_settings_that_need_each_other(env: dict[str, str], fine: bool) -> None:
    assert (check_settings({**KEY, **env}) == []) is fine


def test_the_demo_needs_no_api_key_and_overrides_are_validated() -> None:
    assert check_settings({}, demo=True) == []
    demo = load_settings({}, demo=True).with_overrides(
        {"meraki": {"api_key": "demo-key", "base_url": "http://127.0.0.1:5555/api/v1"}}
    )
    assert demo.meraki.api_key is not None and demo.meraki.base_url.startswith("http://127")
    assert demo.meraki.api_key.get_secret_value() == "demo-key"
    assert demo.with_overrides({"meraki": {"rate": 9}}).meraki.api_key == demo.meraki.api_key
    with pytest.raises(ValidationError):
        demo.with_overrides({"meraki": {"rate": -1}})
    with pytest.raises(ValidationError):
        Settings(meraki={"rate": 0})  # type: ignore[arg-type]


def test_the_documented_table_matches_the_models() -> None:
    documented = documented_reference(DOCS.read_text(encoding="utf-8"))
    assert documented == settings_reference(), (
        "docs/configuration.md is out of date: run python -m bot.config.docs --write "
        "docs/configuration.md"
    )
    for variable in ENVIRONMENT:
        assert f"`{variable}`" in documented


def test_the_documented_example_file_is_valid(tmp_path: Path) -> None:
    example = re.search(r"```toml\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.DOTALL)
    assert example is not None
    assert check_settings({}, config_file=toml(tmp_path, example.group(1))) == []
