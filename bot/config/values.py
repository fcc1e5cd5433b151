"""Value types the settings models share: durations, time zones, URLs and comma lists."""

import math
import re
from datetime import timedelta
from typing import Annotated
from urllib.parse import SplitResult, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BeforeValidator, SecretStr

_DURATION = re.compile(
    r"(?:(?P<h>\d+(?:\.\d+)?)\s*h)?\s*(?:(?P<m>\d+(?:\.\d+)?)\s*m)?\s*(?:(?P<s>\d+(?:\.\d+)?)\s*s)?"
)
_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0}
_DURATION_HINT = "use seconds or a string such as '90s', '30m' or '1h30m'"


def parse_duration(value: object) -> object:
    """Read seconds (a number or numeric string) or '1h30m'-style text; pydantic does the rest."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return _seconds(float(value), value)
    if not isinstance(value, str):
        return value
    text = value.strip().lower()
    try:
        return _seconds(float(text), value)
    except ValueError:
        pass
    match = _DURATION.fullmatch(text)
    if not text or match is None or not any(match.groupdict().values()):
        raise ValueError(f"not a duration: {value!r}; {_DURATION_HINT}")
    total = sum(
        float(amount) * _UNITS[unit] for unit, amount in match.groupdict().items() if amount
    )
    return timedelta(seconds=total)


def _seconds(seconds: float, original: object) -> timedelta:
    if not math.isfinite(seconds):
        raise ValueError(f"not a duration: {original!r}; {_DURATION_HINT}")
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """The shortest '1h30m'-style text for a duration (the inverse of parse_duration)."""
    seconds = value.total_seconds()
    if seconds == 0:
        return "0s"
    if seconds != int(seconds):
        return f"{seconds:g}s"
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(hours, "h"), (minutes, "m"), (secs, "s")]
    return "".join(f"{amount}{unit}" for amount, unit in parts if amount)


def _positive(value: timedelta) -> timedelta:
    if value <= timedelta(0):
        raise ValueError("must be longer than zero")
    return value


def _not_negative(value: timedelta) -> timedelta:
    if value < timedelta(0):
        raise ValueError("must not be negative")
    return value


Duration = Annotated[timedelta, BeforeValidator(parse_duration), AfterValidator(_not_negative)]
PositiveDuration = Annotated[timedelta, BeforeValidator(parse_duration), AfterValidator(_positive)]


def _known_time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r}; use an IANA name such as 'Europe/Paris'"
        ) from None
    return name


TimeZoneName = Annotated[str, AfterValidator(_known_time_zone)]


def split_commas(value: object) -> object:
    """Read 'a, b,c' as ['a', 'b', 'c'] so a list can come from one environment variable."""
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


def _no_blank_items(items: list[str]) -> list[str]:
    if any(not item.strip() for item in items):
        raise ValueError("holds an empty entry")
    return items


CommaList = Annotated[list[str], BeforeValidator(split_commas), AfterValidator(_no_blank_items)]


def _split(url: str, schemes: frozenset[str], example: str) -> SplitResult:
    # Messages never repeat the URL: some of them carry a password.
    expected = " or ".join(f"{scheme}://" for scheme in sorted(schemes))
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ValueError(f"not a valid URL; expected {expected}… such as {example}") from None
    if parts.scheme.lower() not in schemes:
        raise ValueError(f"must start with {expected} (for example {example})")
    if not parts.hostname:
        raise ValueError(f"has no host name (for example {example})")
    if port == 0:
        raise ValueError("port 0 is not a port a client can reach")
    return parts


def _http_url(url: str) -> str:
    _split(url, frozenset({"http", "https"}), "https://bot.example.com")
    return url


HttpURL = Annotated[str, AfterValidator(_http_url)]


def _mqtt_url(url: SecretStr) -> SecretStr:
    _split(url.get_secret_value(), frozenset({"mqtt", "mqtts"}), "mqtt://user:pass@broker:1883")
    return url


def _smtp_url(url: SecretStr) -> SecretStr:
    _split(url.get_secret_value(), frozenset({"smtp", "smtps"}), "smtp://user:pass@mail:587")
    return url


_DATABASE_SCHEMES = frozenset(
    {"sqlite", "sqlite+pysqlite", "postgresql", "postgresql+psycopg", "postgres"}
)


def _database_url(url: SecretStr) -> SecretStr:
    text = url.get_secret_value()
    scheme, separator, rest = text.partition("://")
    if not separator or scheme.lower() not in _DATABASE_SCHEMES:
        raise ValueError(
            "must be sqlite:///PATH or postgresql+psycopg://USER:PASS@HOST/DB "
            "(the psycopg 3 driver is the one installed)"
        )
    if scheme.lower().startswith("sqlite") and rest.lstrip("/") in {"", ":memory:"}:
        raise ValueError("an in-memory SQLite database would lose pending work; name a file")
    return url


MqttURL = Annotated[SecretStr, AfterValidator(_mqtt_url)]
SmtpURL = Annotated[SecretStr, AfterValidator(_smtp_url)]
DatabaseURL = Annotated[SecretStr, AfterValidator(_database_url)]
