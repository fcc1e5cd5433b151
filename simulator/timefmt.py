"""Timestamps as the Dashboard API writes and reads them (ISO 8601, UTC, milliseconds)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

_RELATIVE = re.compile(r"^([+-])((?:\d+(?:\.\d+)?[smhd])+)$")
_PART = re.compile(r"(\d+(?:\.\d+)?)([smhd])")
_UNIT_SECONDS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_timestamp(text: str) -> float:
    """Epoch seconds of an ISO 8601 timestamp that names its offset ("Z" or "+01:00").

    Raises ValueError for anything else, naive times included: the cloud cannot
    guess which zone a naive time meant.
    """
    value = text.strip()
    if "T" not in value:
        raise ValueError(f"not an ISO 8601 date-time: {text!r}")
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"timestamp has no time zone offset: {text!r}")
    return moment.timestamp()


def format_timestamp(epoch: float) -> str:
    """`YYYY-MM-DDTHH:MM:SS.mmmZ`, the form the real API answers with."""
    moment = datetime.fromtimestamp(round(epoch, 3), UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def resolve_moment(text: str, now: float) -> float:
    """Epoch seconds of a fleet-file moment: ISO 8601, "now", or relative like "-3h", "-1h30m"."""
    value = text.strip()
    if value == "now":
        return now
    match = _RELATIVE.match(value)
    if match:
        sign = -1.0 if match.group(1) == "-" else 1.0
        parts = _PART.findall(match.group(2))
        return now + sign * sum(float(n) * _UNIT_SECONDS[unit] for n, unit in parts)
    return parse_timestamp(value)
