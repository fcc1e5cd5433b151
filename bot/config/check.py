"""Builds Settings from the environment and the TOML file, reporting every problem at once."""

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from bot.config.names import setting_label
from bot.config.problems import ConfigError, Problem, mask
from bot.config.settings import SECTIONS, Settings
from bot.config.sources import (
    RawSettings,
    config_file_named_by,
    is_secret,
    merge,
    read_config_file,
    read_environment,
    suggest,
)

_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+")


def load_settings(
    env: Mapping[str, str] | None = None,
    config_file: Path | None = None,
    *,
    demo: bool = False,
) -> Settings:
    """Settings from `env` (default: os.environ now) and the TOML file; ConfigError if wrong.

    The file is `config_file`, else the one MVBOT_CONFIG names; the environment overrides it.
    Outside the demo a Meraki API key is required.
    """
    settings, problems = _evaluate(env, config_file, demo=demo)
    if problems or settings is None:
        raise ConfigError(problems)
    return settings


def check_settings(
    env: Mapping[str, str] | None = None,
    config_file: Path | None = None,
    *,
    demo: bool = False,
) -> list[Problem]:
    """Every problem load_settings would refuse, in one pass, with secrets masked."""
    return _evaluate(env, config_file, demo=demo)[1]


def _evaluate(
    env: Mapping[str, str] | None, config_file: Path | None, *, demo: bool
) -> tuple[Settings | None, list[Problem]]:
    environment = os.environ if env is None else env
    path = config_file or config_file_named_by(environment)
    from_file = read_config_file(path) if path else RawSettings()
    raw = merge(from_file, read_environment(environment))
    problems = list(raw.problems)
    settings: Settings | None = None
    try:
        settings = Settings.model_validate(raw.values)
    except ValidationError as error:
        problems += [_describe(detail, raw) for detail in error.errors(include_url=False)]
    problems += _missing(raw, demo=demo)
    return settings, mask(problems, raw.secrets)


def _missing(raw: RawSettings, *, demo: bool) -> list[Problem]:
    problems = []
    meraki = raw.values.get("meraki")
    api_key = meraki.get("api_key") if isinstance(meraki, dict) else None
    if not demo and not api_key:
        problems.append(
            Problem(
                setting_label("meraki", "api_key"),
                "not set; the bot needs a Dashboard API key (`mvbot demo` runs without one)",
            )
        )
    store = raw.values.get("store")
    data_dir = store.get("data_dir") if isinstance(store, dict) else None
    if isinstance(data_dir, str) and Path(data_dir).exists() and not Path(data_dir).is_dir():
        origin = raw.origins.get(("store", "data_dir"), setting_label("store", "data_dir"))
        problems.append(Problem(origin, "exists but is not a directory"))
    return problems


def _describe(detail: ErrorDetails, raw: RawSettings) -> Problem:
    loc = tuple(str(part) if not isinstance(part, int) else part for part in detail["loc"])
    where = _where(loc, raw.origins)
    kind = detail["type"]
    if kind == "extra_forbidden":
        return Problem(where, _unknown(loc))
    if kind == "value_error":
        return Problem(where, str(detail.get("ctx", {}).get("error", detail["msg"])))
    message = detail["msg"][:1].lower() + detail["msg"][1:]
    return Problem(where, message + _shown_input(loc, detail.get("input")))


def _where(loc: tuple[str | int, ...], origins: Mapping[tuple[str, ...], str]) -> str:
    if not loc:
        return "settings"
    head = tuple(str(part) for part in loc[:2])
    if len(loc) >= 2 and head in origins:
        base, rest = origins[head], loc[2:]
    elif head[:1] in origins:
        base, rest = origins[head[:1]], loc[1:]
    elif len(loc) >= 2:
        base, rest = f"[{loc[0]}] {loc[1]}", loc[2:]
    else:
        base, rest = f"[{loc[0]}]", ()
    return base + "".join(_step(part) for part in rest)


def _step(part: str | int) -> str:
    if isinstance(part, int):
        return f"[{part}]"
    if part == "[key]":
        return " (the key)"
    return f".{part}" if _PLAIN_KEY.fullmatch(part) else f'."{part}"'


def _unknown(loc: tuple[str | int, ...]) -> str:
    name = str(loc[-1])
    if len(loc) == 1:
        return (
            "unknown section"
            + suggest(name, list(SECTIONS))
            + f" (sections: {', '.join(SECTIONS)})"
        )
    model = SECTIONS.get(str(loc[0]))
    return "unknown setting" + (suggest(name, model.model_fields) if model else "")


def _shown_input(loc: tuple[str | int, ...], value: Any) -> str:
    if len(loc) >= 2 and is_secret(str(loc[0]), str(loc[1])):
        return ""
    if isinstance(value, str | int | float | bool) and len(repr(value)) <= 60:
        return f" (got {value!r})"
    return ""
