"""Times people type ("14:30", "yesterday 9am", "10m ago", "14:30-14:45"): syntax, then resolution.

`parse_when` only reads words into a small typed spec; `resolve` interprets a spec in a
time zone at a given moment. Keeping them apart lets a handler parse once, pick the
camera's zone, and lets tests pin `now`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from bot.grammar.lengths import parse_length
from bot.grammar.tokens import ParseError, Unrecognised, echo, is_quoted, tokenize

__all__ = [
    "TIME_FORMS_HELP",
    "Absolute",
    "Ago",
    "At",
    "Now",
    "Point",
    "Range",
    "WhenSpec",
    "parse_when",
    "resolve",
]


@dataclass(frozen=True)
class Now:
    """The moment of asking."""


@dataclass(frozen=True)
class Ago:
    length: timedelta


@dataclass(frozen=True)
class Absolute:
    """A moment given with its own UTC offset (ISO 8601 with a zone)."""

    instant: datetime


@dataclass(frozen=True)
class At:
    """A local clock time, optionally on a date, a day counted back from today, or a weekday.

    At most one of `date`, `days_ago` (1 = yesterday, -1 = tomorrow) and `weekday`
    (0 = Monday) is set; with none, the most recent such clock time not in the future.
    """

    clock: time
    date: date | None = None
    days_ago: int | None = None
    weekday: int | None = None

    @property
    def floating(self) -> bool:
        return self.date is None and self.days_ago is None and self.weekday is None


Point = Now | Ago | Absolute | At


@dataclass(frozen=True)
class Range:
    start: Point
    end: Point


WhenSpec = Point | Range

TIME_FORMS_HELP = (
    "Times: `14:30`, `2:30pm`, `14:30:15`, `yesterday 9am`, `today 9am`, `mon 17:00`, "
    "`2026-03-23 14:30`, `2026-03-23T14:30:00Z`, `10m ago`, `1h30m ago`, `now`, "
    "and ranges `14:30-14:45` or `yesterday 23:50-00:10`.\n"
    "A bare time like `14:30` means the most recent 14:30: today if it has passed, "
    "otherwise yesterday; `mon 17:00` likewise means the most recent Monday. "
    "Times are in the camera's local time zone unless they carry their own (`Z`, `+01:00`)."
)

_WEEKDAYS = {
    **dict.fromkeys(("mon", "monday"), 0),
    **dict.fromkeys(("tue", "tues", "tuesday"), 1),
    **dict.fromkeys(("wed", "weds", "wednesday"), 2),
    **dict.fromkeys(("thu", "thur", "thurs", "thursday"), 3),
    **dict.fromkeys(("fri", "friday"), 4),
    **dict.fromkeys(("sat", "saturday"), 5),
    **dict.fromkeys(("sun", "sunday"), 6),
}
_DAYS_AGO = {"today": 0, "yesterday": 1, "tomorrow": -1}
_NAMED_CLOCKS = {"noon": time(12), "midday": time(12), "midnight": time(0)}
_MERIDIEMS = {"am": 0, "a.m.": 0, "pm": 12, "p.m.": 12}
_SEPARATORS = frozenset({"-", "–", "—", "to", "until", "till"})
_DASHES = "-–—"
_CLOCK = re.compile(r"(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?(am|pm|a\.m\.|p\.m\.)?", re.ASCII)
_DATE = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})", re.ASCII)
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}t", re.ASCII)
_ZONED_CLOCK = re.compile(r"\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:z|[+-]\d{2}:?\d{2})", re.ASCII)
_FIRST_YEAR, _LAST_YEAR = 1970, 2999
_EXAMPLE = "try `14:30`, `yesterday 9am` or `10m ago`"


def parse_when(words: Sequence[str] | str) -> WhenSpec:
    """Read a point in time or a range; raise Unrecognised when the words are not a time."""
    if isinstance(words, str):
        words = tokenize(words)
    if any(is_quoted(w) for w in words):
        raise Unrecognised(f"That is not a time — {_EXAMPLE}.")
    lowered = [w.lower() for w in words if w != ","]
    between = bool(lowered) and lowered[0] == "between"
    if lowered and lowered[0] in ("from", "between"):
        lowered = lowered[1:]
    lowered = [piece for w in lowered if w not in ("at", "on") for piece in _split_dash(w)]
    separators = _SEPARATORS | {"and"} if between else _SEPARATORS
    cuts = [i for i, w in enumerate(lowered) if w in separators]
    if not cuts:
        return _point(lowered)
    if len(cuts) > 1 or cuts[0] in (0, len(lowered) - 1):
        raise Unrecognised("That is not a time range — try `14:30-14:45`.")
    start, end = _point(lowered[: cuts[0]]), _point(lowered[cuts[0] + 1 :])
    if isinstance(start, At) and isinstance(end, At) and end.floating and start.clock == end.clock:
        raise ParseError("That range is empty — try `14:30-14:45`.")
    return Range(start, end)


def resolve(spec: WhenSpec, tz: tzinfo, now: datetime) -> tuple[datetime, datetime | None]:
    """Interpret `spec` in `tz` at the aware moment `now`; return aware UTC (start, end).

    `end` is None unless `spec` is a Range. A range's end given as a bare clock time
    follows its start ("23:50-00:10" crosses midnight). Local times that do not exist or
    occur twice at a DST change take their first reading (fold=0). A result in the future
    is returned as is; deciding what to do with it is the caller's business. Raises
    ParseError only for a range that ends before it starts.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if not isinstance(spec, Range):
        return _instant(spec, tz, now), None
    start = _instant(spec.start, tz, now)
    if isinstance(spec.end, At) and spec.end.floating:
        day = start.astimezone(tz).date()
        end = _local(day, spec.end.clock, tz)
        if end <= start:
            end = _local(day + timedelta(days=1), spec.end.clock, tz)
    else:
        end = _instant(spec.end, tz, now)
    if end <= start:
        raise ParseError("That range ends before it starts — try `14:30-14:45`.")
    return start, end


def _instant(point: Point, tz: tzinfo, now: datetime) -> datetime:
    if isinstance(point, Now):
        return now.astimezone(UTC)
    if isinstance(point, Ago):
        return (now - point.length).astimezone(UTC)
    if isinstance(point, Absolute):
        return point.instant.astimezone(UTC)
    today = now.astimezone(tz).date()
    if point.date is not None:
        return _local(point.date, point.clock, tz)
    if point.days_ago is not None:
        return _local(today - timedelta(days=point.days_ago), point.clock, tz)
    day = today
    if point.weekday is not None:
        day = today - timedelta(days=(today.weekday() - point.weekday) % 7)
    candidate = _local(day, point.clock, tz)
    if candidate > now:
        step = 7 if point.weekday is not None else 1
        candidate = _local(day - timedelta(days=step), point.clock, tz)
    return candidate


def _local(day: date, clock: time, tz: tzinfo) -> datetime:
    return datetime.combine(day, clock.replace(fold=0), tzinfo=tz).astimezone(UTC)


def _split_dash(word: str) -> list[str]:
    """Split "14:30-14:45" (but not "2026-03-23") into start, separator, end."""
    for i, ch in enumerate(word):
        if ch not in _DASHES:
            continue
        left, right = word[:i], word[i + 1 :]
        if all(not side or _is_clock(side) for side in (left, right)) and (left or right):
            return [piece for piece in (left, "-", right) if piece]
    return [word]


def _is_clock(word: str) -> bool:
    try:
        return _clock([word]) is not None
    except ParseError:
        return False


def _point(words: list[str]) -> Point:
    if not words:
        raise Unrecognised(f"That is not a time — {_EXAMPLE}.")
    if words == ["now"]:
        return Now()
    if words[-1] == "ago":
        return Ago(parse_length(words[:-1]))
    if len(words) == 1 and _ISO_DATETIME.match(words[0]):
        return _iso(words[0])
    rest = words
    day = _day(words[0])
    if day is not None:
        rest = words[1:]
    else:
        day = _day(words[-1])
        if day is not None:
            rest = words[:-1]
    if day is not None and not rest:
        named = words[0]
        raise ParseError(f"'{named}' needs a time of day — try `{named} 9am` or `{named} 14:30`.")
    clock = _clock(rest)
    if clock is not None:
        return At(clock) if day is None else replace(day, clock=clock)
    zoned = len(rest) == 1 and _ZONED_CLOCK.fullmatch(rest[0]) is not None
    if day is not None and day.date is not None and zoned:
        return _iso(f"{day.date.isoformat()}t{rest[0]}")
    raise Unrecognised(f"That is not a time — {_EXAMPLE}.")


def _day(word: str) -> At | None:
    """The day part of a time ("yesterday", "mon", "2026-03-23"), at midnight for now."""
    if word in _DAYS_AGO:
        return At(time(0), days_ago=_DAYS_AGO[word])
    if word in _WEEKDAYS:
        return At(time(0), weekday=_WEEKDAYS[word])
    match = _DATE.fullmatch(word)
    if match is None:
        return None
    year, month, day = (int(g) for g in match.groups())
    if not _FIRST_YEAR <= year <= _LAST_YEAR:
        raise ParseError(f"I can only read years {_FIRST_YEAR}–{_LAST_YEAR}, not {year}.")
    try:
        return At(time(0), date=date(year, month, day))
    except ValueError:
        raise ParseError(f"'{word}' is not a date — try `2026-03-23 14:30`.") from None


def _clock(words: Sequence[str]) -> time | None:
    """Read "14:30", "14:30:15", "2:30pm", "2:30 pm", "9am", "noon"; None if not a clock."""
    if len(words) == 1 and words[0] in _NAMED_CLOCKS:
        return _NAMED_CLOCKS[words[0]]
    if len(words) == 2 and words[1] in _MERIDIEMS:
        text = words[0] + words[1]
    elif len(words) == 1:
        text = words[0]
    else:
        return None
    match = _CLOCK.fullmatch(text)
    if match is None:
        return None
    hour_text, minute_text, second_text, meridiem = match.groups()
    if minute_text is None and meridiem is None:
        return None  # a bare number is not a time
    hour, minute, second = int(hour_text), int(minute_text or 0), int(second_text or 0)
    if meridiem is not None:
        if not 1 <= hour <= 12:
            raise ParseError(f"'{text}' is not a time of day — try `2:30pm` or `14:30`.")
        hour = hour % 12 + _MERIDIEMS[meridiem]
    if hour > 23 or minute > 59 or second > 59:
        raise ParseError(f"'{text}' is not a time of day — try `14:30` or `2:30pm`.")
    return time(hour, minute, second)


def _iso(text: str) -> Point:
    try:
        moment = datetime.fromisoformat(text.upper())
    except ValueError:
        raise ParseError(f"I couldn't read '{echo(text)}' — try `2026-03-23T14:30:00Z`.") from None
    if not _FIRST_YEAR <= moment.year <= _LAST_YEAR:
        raise ParseError(f"I can only read years {_FIRST_YEAR}–{_LAST_YEAR}.")
    if moment.tzinfo is None:
        return At(moment.time(), date=moment.date())
    return Absolute(moment)
