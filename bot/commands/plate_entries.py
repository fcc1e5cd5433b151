"""The words after a plate in `watch plate` and `allow plate` (and one CSV row): a quoted
note, active hours and, for watches, a cooldown.

A note is always quoted, so that "9pm-6am" or "blue van" is never stored as one by
accident: unquoted words that are not hours or a cooldown are refused, naming them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from bot.events.lpr import PlateError, PlatePattern
from bot.grammar.hours import Hours, split_hours
from bot.grammar.lengths import parse_length
from bot.grammar.tokens import ParseError, Unrecognised, echo, is_quoted

MAX_NOTE = 200
PLATE_WORDS = frozenset({"plate", "plates"})
_COOLDOWN_WORDS = frozenset({"cooldown", "every", "--cooldown"})
_NOTE_WORDS = frozenset({"note", "--note"})


@dataclass(frozen=True)
class PlateEntry:
    pattern: PlatePattern
    note: str | None = None
    hours: Hours | None = None
    cooldown: timedelta | None = None


def parse_plate(word: str) -> PlatePattern:
    try:
        return PlatePattern.parse(word)
    except PlateError as error:
        raise ParseError(str(error)) from None


def parse_entry(tokens: Sequence[str], verb: str, *, cooldown: bool = False) -> PlateEntry:
    """`[plate] <plate> [cooldown <length>] [note] "<note>" [hours]` → PlateEntry."""
    words = [w for w in tokens if w != ","]
    if words and not is_quoted(words[0]) and words[0].lower() in PLATE_WORDS:
        words = words[1:]
    if not words:
        raise ParseError(f'Which plate? Try `{verb} plate ABC1234 note "Delivery van"`.')
    pattern = parse_plate(words[0])
    notes: list[str] = []
    length: timedelta | None = None
    others: list[str] = []
    rest = words[1:]
    i = 0
    while i < len(rest):
        word = rest[i]
        lower = "" if is_quoted(word) else word.lower()
        if cooldown and lower in _COOLDOWN_WORDS:
            length = _cooldown(rest[i + 1] if i + 1 < len(rest) else None, verb)
            i += 2
        elif lower in _NOTE_WORDS:
            if i + 1 >= len(rest) or not is_quoted(rest[i + 1]):
                raise ParseError(f'Put the note in quotes: `{verb} plate ABC1234 note "blue van"`.')
            notes.append(rest[i + 1])
            i += 2
        elif is_quoted(word):
            notes.append(word)
            i += 1
        else:
            others.append(word)
            i += 1
    hours, leftover = split_hours(others)
    if leftover:
        raise ParseError(
            f"I did not understand '{echo(' '.join(leftover))}'. Put a note in quotes "
            f'(`{verb} plate {pattern.text} note "blue van"`); hours read like `21:00-06:00 '
            "weekdays`."
        )
    note = " ".join(n.strip() for n in notes if n.strip())
    if len(note) > MAX_NOTE:
        raise ParseError(f"Keep the note under {MAX_NOTE} characters.")
    return PlateEntry(pattern, note or None, hours, length)


def _cooldown(word: str | None, verb: str) -> timedelta:
    if word is None:
        raise ParseError(f"How long a cooldown? Try `{verb} plate ABC1234 cooldown 10m`.")
    try:
        return parse_length(word)
    except Unrecognised:
        raise ParseError(
            f"'{echo(word)}' is not a length — try `{verb} plate ABC1234 cooldown 10m`."
        ) from None


def trailing_hours(words: Sequence[str]) -> tuple[Hours | None, list[str]]:
    """Hours at the end of a camera name ("garage 22:00-06:00 weekdays"); the name's words."""
    for cut in range(len(words)):
        hours, rest = split_hours(words[cut:])
        if hours is not None and not rest:
            return hours, list(words[:cut])
    return None, list(words)
