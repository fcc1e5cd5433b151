"""Active hours ("21:00-06:00 weekdays", "9pm-6am", "weekends"): read, written and checked.

A schedule is a daily clock range and the days it starts on. A range that ends at or
before it starts runs overnight into the next day, and belongs to the day it started:
"22:00-06:00 fri" covers Friday night until Saturday 06:00. `contains` compares wall-clock
time in the zone it is handed, so a daylight-saving change moves nothing: "21:00" is 21:00
local on both sides of it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.grammar.tokens import ParseError, Unrecognised, echo, is_quoted

__all__ = ["HOURS_FORMS_HELP", "Hours", "parse_hours", "split_hours"]

DAY = 24 * 60
ALL_DAYS = frozenset(range(7))
_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_LONG_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY_WORDS: dict[str, frozenset[int]] = {
    **{name: frozenset({i}) for i, name in enumerate(_DAY_NAMES)},
    **{name: frozenset({i}) for i, name in enumerate(_LONG_NAMES)},
    **{name + "s": frozenset({i}) for i, name in enumerate(_LONG_NAMES)},
    "tues": frozenset({1}),
    "wednes": frozenset({2}),
    "thur": frozenset({3}),
    "thurs": frozenset({3}),
    "weekdays": frozenset(range(5)),
    "weekday": frozenset(range(5)),
    "weekends": frozenset({5, 6}),
    "weekend": frozenset({5, 6}),
    "daily": ALL_DAYS,
    "everyday": ALL_DAYS,
}
_CLOCK = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?$")
_RANGE_WORDS = frozenset({"-", "–", "to", "until"})

HOURS_FORMS_HELP = (
    "Hours: `21:00-06:00`, `9pm-6am`, `22:00 to 06:00`, with days `weekdays`, `weekends`, "
    "`mon-fri`, `sat sun`; in the camera's time zone. A range past midnight runs into the "
    "next morning."
)


@dataclass(frozen=True)
class Hours:
    """Minutes after midnight [start, end) on the days it starts (0 = Monday)."""

    start: int
    end: int
    days: frozenset[int] = ALL_DAYS

    def contains(self, local: datetime) -> bool:
        """Whether this wall-clock moment (already in the camera's zone) is inside."""
        minute = local.hour * 60 + local.minute
        day = local.weekday()
        if self.start < self.end:
            return day in self.days and self.start <= minute < self.end
        # Overnight (or the whole day when start == end == 0 is written as 00:00-24:00).
        return (day in self.days and minute >= self.start) or (
            (day - 1) % 7 in self.days and minute < self.end
        )

    @property
    def text(self) -> str:
        """The stored and shown form, which `parse_hours` reads back to the same Hours."""
        clock = f"{_clock(self.start)}-{_clock(self.end)}"
        if self.days == ALL_DAYS:
            return clock
        return f"{clock} {_days_text(self.days)}"


def parse_hours(words: Sequence[str] | str) -> Hours:
    """Read a whole schedule; ParseError (Unrecognised when a word is not part of one)."""
    if isinstance(words, str):
        words = words.split()
    hours, rest = split_hours(words)
    if rest:
        raise Unrecognised(f"'{echo(' '.join(rest))}' is not part of a schedule.")
    if hours is None:
        raise Unrecognised("Which hours? Try `21:00-06:00 weekdays`.")
    return hours


def split_hours(words: Sequence[str]) -> tuple[Hours | None, list[str]]:
    """Take the clock range and day words out of `words`; (the schedule or None, the rest).

    Quoted words are never taken. A bad value that is clearly meant as hours ("25:00-06:00")
    raises ParseError rather than being left over.
    """
    rest: list[str] = []
    clocks: list[tuple[int, int]] = []
    days: set[int] = set()
    i = 0
    while i < len(words):
        word = words[i]
        if is_quoted(word):
            rest.append(word)
            i += 1
            continue
        lower = word.lower().strip(",")
        found_days = _days(lower)
        if found_days is not None:
            days |= found_days
            i += 1
            continue
        spread = _range_at(words, i)
        if spread is not None:
            span, used = spread
            clocks.append(span)
            i += used
            continue
        rest.append(word)
        i += 1
    if len(clocks) > 1:
        raise ParseError("Give one range of hours, e.g. `21:00-06:00`.")
    if not clocks and not days:
        return None, rest
    start, end = clocks[0] if clocks else (0, DAY)
    if start == end:
        raise ParseError(f"{_clock(start)}-{_clock(end)} is no time at all; try `21:00-06:00`.")
    if end == DAY:
        end = 0 if start else DAY  # "22:00-24:00" runs to midnight; "0-24" is the whole day
    return Hours(start, end, frozenset(days) or ALL_DAYS), rest


def _range_at(words: Sequence[str], i: int) -> tuple[tuple[int, int], int] | None:
    """A clock range starting at words[i] ("21:00-06:00", or "21:00", "to", "06:00"), and
    how many words it took; None when there is none."""
    word = words[i].lower()
    for dash in ("-", "–"):
        left, sep, right = word.partition(dash)
        if sep and left and right and _looks_like_clock(left) and _looks_like_clock(right):
            return (_minutes(left), _minutes(right)), 1
    if (
        i + 2 < len(words)
        and not is_quoted(words[i + 1])
        and words[i + 1].lower() in _RANGE_WORDS
        and _looks_like_clock(word)
        and _looks_like_clock(words[i + 2].lower())
    ):
        return (_minutes(word), _minutes(words[i + 2].lower())), 3
    return None


def _looks_like_clock(word: str) -> bool:
    # "9" alone is a clock only inside a range; ":" or am/pm or "noon" make it one anywhere.
    return word in ("noon", "midnight") or _CLOCK.match(word) is not None


def _minutes(word: str) -> int:
    if word == "noon":
        return 12 * 60
    if word == "midnight":
        return 0
    match = _CLOCK.match(word)
    assert match is not None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    suffix = (match.group(3) or "").replace(".", "")
    if suffix:
        if not 1 <= hour <= 12:
            raise ParseError(f"'{echo(word)}' is not a time; try `9pm` or `21:00`.")
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    if hour == 24 and minute == 0 and not suffix:
        return DAY
    if hour > 23 or minute > 59:
        raise ParseError(f"'{echo(word)}' is not a time; try `21:00` or `9pm`.")
    return hour * 60 + minute


def _days(word: str) -> frozenset[int] | None:
    if word in _DAY_WORDS:
        return _DAY_WORDS[word]
    first, sep, last = word.partition("-")
    if sep and first in _DAY_WORDS and last in _DAY_WORDS:
        a, b = _DAY_WORDS[first], _DAY_WORDS[last]
        if len(a) == 1 and len(b) == 1:
            start, end = min(a), min(b)
            return frozenset((start + k) % 7 for k in range((end - start) % 7 + 1))
    return None


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _days_text(days: frozenset[int]) -> str:
    if days == frozenset(range(5)):
        return "weekdays"
    if days == frozenset({5, 6}):
        return "weekends"
    ordered = sorted(days)
    if len(ordered) > 2 and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"{_DAY_NAMES[ordered[0]]}-{_DAY_NAMES[ordered[-1]]}"
    return " ".join(_DAY_NAMES[d] for d in ordered)
