"""Lengths of footage ("90s", "1m30s", "2 min", "1.5m"): parsing and formatting."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import timedelta

from bot.grammar.tokens import ParseError, Unrecognised, echo, is_quoted, tokenize

__all__ = ["LENGTH_FORMS_HELP", "MAX_LENGTH", "format_length", "parse_length"]

_SECONDS_PER_UNIT = {
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 60),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 3600),
    **dict.fromkeys(("d", "day", "days"), 86400),
}
_PART = re.compile(r"(\d+(?:\.\d+)?|\.\d+)\s*([a-z]+)", re.ASCII)
# Not a policy limit (handlers enforce those with a sentence); it keeps datetime
# arithmetic on "99999999h ago" from overflowing.
MAX_LENGTH = timedelta(days=3660)

LENGTH_FORMS_HELP = "Lengths: `90s`, `2m`, `1m30s`, `1.5m`, `2 min`, `30 sec`, `1h`, `1h30m`."


def parse_length(words: Sequence[str] | str) -> timedelta:
    """Read a positive length; raise Unrecognised when the words are not a length at all."""
    if isinstance(words, str):
        words = tokenize(words)
    if not words or any(is_quoted(w) for w in words):
        raise Unrecognised("That is not a length — try `30s`, `2m` or `1m30s`.")
    lowered = [w.lower() for w in words]
    spoken: list[str] = []
    for i, word in enumerate(lowered):
        following = lowered[i + 1] if i + 1 < len(lowered) else ""
        if word in ("a", "an") and following in _SECONDS_PER_UNIT:
            spoken.append("1")  # "an hour ago"
        elif word != "and":  # "1 hour and 30 minutes"
            spoken.append(word)
    text = " ".join(spoken)
    if not text or _PART.sub("", text).strip():
        raise Unrecognised(f"'{echo(text)}' is not a length — try `30s`, `2m` or `1m30s`.")
    seconds = 0.0
    seen: set[int] = set()
    for number, unit in _PART.findall(text):
        factor = _SECONDS_PER_UNIT.get(unit)
        if factor is None or factor in seen:
            raise Unrecognised(f"'{echo(text)}' is not a length — try `30s`, `2m` or `1m30s`.")
        seen.add(factor)
        seconds += float(number) * factor
    if not math.isfinite(seconds) or seconds > MAX_LENGTH.total_seconds():
        raise ParseError(f"'{echo(text)}' is far too long — try something like `2m` or `1h`.")
    if seconds <= 0:
        raise ParseError("A length must be more than zero — try `30s` or `2m`.")
    return timedelta(seconds=seconds)


def format_length(length: timedelta) -> str:
    """Write a length the way people type it: `30s`, `2m`, `1m30s`, `1h5m`."""
    total = length.total_seconds()
    if 0 < total < 1:
        return f"{total:g}s"
    rest = round(total)
    parts: list[str] = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        amount, rest = divmod(rest, size)
        if amount:
            parts.append(f"{amount}{unit}")
    return "".join(parts) or "0s"
