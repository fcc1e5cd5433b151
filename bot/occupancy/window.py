"""Occupancy windows people type (`1h`, `today`, `yesterday`, `mon`, `14:00-18:00`): parse, resolve.

`parse_window` only reads words; `resolve_window` turns a window into whole UTC minutes in
a time zone at a given moment, so a handler parses once and tests can pin `now`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from bot.grammar.lengths import parse_length
from bot.grammar.tokens import ParseError, Unrecognised, is_quoted
from bot.grammar.when import Now, Point, Range, parse_when, resolve

__all__ = [
    "WINDOW_FORMS_HELP",
    "Day",
    "Last",
    "Span",
    "Window",
    "parse_window",
    "resolve_window",
]

WINDOW_FORMS_HELP = (
    "Windows: `1h`, `8h`, `24h`, `2d` (the last …), `today`, `yesterday`, `mon` (the most "
    "recent Monday), `2026-03-23`, `14:00-18:00`, `yesterday 9am-5pm`, `since 8am`."
)


@dataclass(frozen=True)
class Last:
    """The `length` up to now."""

    length: timedelta


@dataclass(frozen=True)
class Day:
    """A whole local day: `days_ago` back from today, the most recent `weekday`, or `date`."""

    days_ago: int | None = None
    weekday: int | None = None
    date: date | None = None


@dataclass(frozen=True)
class Span:
    """Any range the time grammar reads (`14:00-18:00`, `since 8am` = that point to now)."""

    range: Range


Window = Last | Day | Span

_DAYS_AGO = {"today": 0, "yesterday": 1}
_WEEKDAYS = {
    **dict.fromkeys(("mon", "monday"), 0),
    **dict.fromkeys(("tue", "tues", "tuesday"), 1),
    **dict.fromkeys(("wed", "weds", "wednesday"), 2),
    **dict.fromkeys(("thu", "thur", "thurs", "thursday"), 3),
    **dict.fromkeys(("fri", "friday"), 4),
    **dict.fromkeys(("sat", "saturday"), 5),
    **dict.fromkeys(("sun", "sunday"), 6),
}
_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})", re.ASCII)
_EXAMPLE = "try `8h`, `today`, `yesterday` or `14:00-18:00`"


def parse_window(words: Sequence[str]) -> Window | None:
    """Read a window; None for no words, Unrecognised when the words are not a window."""
    if not words:
        return None
    if any(is_quoted(w) for w in words):
        raise Unrecognised(f"That is not a window — {_EXAMPLE}.")
    lowered = [w.lower() for w in words]
    if lowered[0] in ("last", "past"):
        lowered = lowered[1:]
    if lowered and lowered[0] == "since":
        return _since(lowered[1:])
    if len(lowered) == 1:
        day = _day(lowered[0])
        if day is not None:
            return day
    try:
        return Last(parse_length(lowered))
    except Unrecognised:
        pass
    when = parse_when(lowered)
    if isinstance(when, Range):
        return Span(when)
    raise ParseError(
        "Occupancy needs a window, not one moment — try `8h`, `today` or `14:00-18:00`."
    )


def _since(words: list[str]) -> Window:
    when = parse_when(words) if words else None
    if when is None or isinstance(when, Range):
        raise ParseError("Since when? Try `since 8am` or `since yesterday 18:00`.")
    start: Point = when
    return Span(Range(start, Now()))


def _day(word: str) -> Day | None:
    if word in _DAYS_AGO:
        return Day(days_ago=_DAYS_AGO[word])
    if word in _WEEKDAYS:
        return Day(weekday=_WEEKDAYS[word])
    match = _DATE.fullmatch(word)
    if match is None:
        return None
    try:
        return Day(date=date(*(int(g) for g in match.groups())))
    except ValueError:
        raise ParseError(f"'{word}' is not a date — try `2026-03-23`.") from None


def resolve_window(window: Window, tz: tzinfo, now: datetime) -> tuple[datetime, datetime]:
    """Aware UTC [start, end) in whole minutes, cut at `now`; ParseError if nothing is left.

    A day is local midnight to midnight (23 or 25 hours across a DST change); today and a
    weekday that is today end now. Only whole minutes that have ended are kept: Sense
    history is per minute, and the minute in progress has no record yet.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if isinstance(window, Last):
        start, end = now - window.length, now
    elif isinstance(window, Day):
        day = _which_day(window, now.astimezone(tz).date())
        start, end = _midnight(day, tz), _midnight(day + timedelta(days=1), tz)
    else:
        start, end_or_none = resolve(window.range, tz, now)
        end = end_or_none or now
    end = min(end, now)
    start, end = _minute(start), _minute(end)
    if start >= end:
        if start >= _minute(now):
            raise ParseError("That window has not started yet — I can only count what happened.")
        raise ParseError("That window is shorter than a minute — Sense counts per minute.")
    return start, end


def _which_day(window: Day, today: date) -> date:
    if window.date is not None:
        return window.date
    if window.days_ago is not None:
        return today - timedelta(days=window.days_ago)
    assert window.weekday is not None
    return today - timedelta(days=(today.weekday() - window.weekday) % 7)


def _midnight(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def _minute(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(second=0, microsecond=0)
