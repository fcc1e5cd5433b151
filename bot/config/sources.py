"""Reads raw settings from the environment mapping and the TOML file, remembering origins."""

import difflib
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args
from urllib.parse import urlsplit

from pydantic import SecretStr

from bot.config.names import (
    CONFIG_FILE_VARIABLE,
    ENVIRONMENT,
    OTHER_PREFIXES,
    OTHER_VARIABLES,
    PREFIX,
)
from bot.config.problems import Problem
from bot.config.settings import SECTIONS


@dataclass
class RawSettings:
    """Unvalidated values by section, where each came from, and what could not be read."""

    values: dict[str, Any] = field(default_factory=dict)
    origins: dict[tuple[str, ...], str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    secrets: set[str] = field(default_factory=set)

    def put(self, section: str, name: str, value: Any, origin: str) -> None:
        fields = self.values.setdefault(section, {})
        if isinstance(fields, dict):
            fields[name] = value
        self.origins[(section, name)] = origin
        if is_secret(section, name) and isinstance(value, str):
            self.secrets.update(_secret_parts(value))


def is_secret(section: str, name: str) -> bool:
    """Whether `[section] name` holds a secret (a token, key, or URL that may carry one)."""
    model = SECTIONS.get(section)
    info = model.model_fields.get(name) if model else None
    return info is not None and _mentions_secret(info.annotation)


def _mentions_secret(annotation: object) -> bool:
    return annotation is SecretStr or any(_mentions_secret(arg) for arg in get_args(annotation))


def _secret_parts(value: str) -> Iterator[str]:
    yield value
    try:
        password = urlsplit(value).password
    except ValueError:
        password = None
    if password:
        yield password


def config_file_named_by(env: Mapping[str, str]) -> Path | None:
    """The TOML file MVBOT_CONFIG names, if it names one."""
    name = env.get(CONFIG_FILE_VARIABLE, "").strip()
    return Path(name) if name else None


def read_environment(env: Mapping[str, str]) -> RawSettings:
    """Settings from MVBOT_* variables; an empty variable counts as unset."""
    raw = RawSettings()
    for name, value in env.items():
        if not name.startswith(PREFIX):
            continue
        place = ENVIRONMENT.get(name)
        if place is not None:
            if value.strip():
                raw.put(*place, value.strip(), origin=name)
        elif name not in OTHER_VARIABLES and not name.startswith(OTHER_PREFIXES):
            raw.problems.append(Problem(name, "unknown variable" + suggest(name, ENVIRONMENT)))
    return raw


def read_config_file(path: Path) -> RawSettings:
    """Settings from a TOML file whose tables mirror the sections ([meraki], [store], …)."""
    raw = RawSettings()
    try:
        with path.open("rb") as file:
            document = tomllib.load(file)
    except OSError as error:
        raw.problems.append(Problem(str(path), f"cannot read it: {error.strerror or error}"))
        return raw
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        # The decoder's message carries the line and column.
        raw.problems.append(Problem(str(path), f"not valid TOML: {error}"))
        return raw
    for section, table in document.items():
        if isinstance(table, dict):
            raw.values.setdefault(section, {})
            for name, value in table.items():
                raw.put(section, name, value, origin=f"{path} [{section}] {name}")
        else:
            raw.values[section] = table
            raw.origins[(section,)] = f"{path} {section}"
    return raw


def merge(base: RawSettings, override: RawSettings) -> RawSettings:
    """`base` with every value `override` sets replacing it (the environment beats the file)."""
    merged = RawSettings(
        values={
            name: dict(value) if isinstance(value, dict) else value
            for name, value in base.values.items()
        },
        origins=dict(base.origins),
        problems=[*base.problems, *override.problems],
        secrets=base.secrets | override.secrets,
    )
    for section, fields in override.values.items():
        for name, value in fields.items():
            merged.put(section, name, value, origin=override.origins[(section, name)])
    return merged


def suggest(word: str, choices: Mapping[str, object] | list[str]) -> str:
    """'; did you mean X?' when one of the choices is close to the word, else ''."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]}?" if close else ""
