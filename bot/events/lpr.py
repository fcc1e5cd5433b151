"""Licence plates: normalising noisy reads and matching them despite OCR confusions.

Cameras read the same car many times, and each read may differ: case, spaces and dashes
("ABC-1234", "abc 1234"), characters OCR mixes up (O/0, I/1, B/8, S/5, Z/2), and now and
then one wrong or missing character. A plate is compared in its *canonical* form, where
each confusion class is one character, and within a small edit distance for long plates.
Everything here is pure: the store and the ingest apply it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property, lru_cache
from itertools import combinations

# Each confusable letter stands for its digit in the canonical form.
CONFUSIONS = {"O": "0", "I": "1", "B": "8", "S": "5", "Z": "2"}
_CANONICAL = str.maketrans(CONFUSIONS)
WILDCARDS = frozenset("*?")
MAX_PLATE = 12  # no country issues longer plates; longer reads are garbage
PARTIAL_MIN = 3  # a shorter part of a plate could be part of anything


def normalise(text: str) -> str:
    """Upper case, ASCII letters and digits only: 'abc-12 34' → 'ABC1234'."""
    if text.isascii() and text.isalnum():  # most reads: nothing to take out
        return text.upper()
    return "".join(ch for ch in text.upper() if ch.isascii() and ch.isalnum())


@lru_cache(maxsize=8192)  # asked for several times per read, and of the same car's reads
def canonical(plate: str) -> str:
    """The form in which OCR confusions compare equal: 'A8C-1234' and 'abc1234' → 'A8C1234'."""
    return normalise(plate).translate(_CANONICAL)


def edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance of `a` and `b`, or `limit + 1` as soon as it must exceed `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return min(previous[-1], limit + 1)


def one_edit_apart(a: str, b: str) -> bool:
    """Whether different `a` and `b` are one substitution, insertion or deletion apart: what
    edit_distance(a, b, 1) == 1 says, in one pass over the strings instead of a table."""
    if len(a) > len(b):
        a, b = b, a
    if len(b) - len(a) > 1:
        return False
    first = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), len(a))
    if len(a) == len(b):
        return a[first + 1 :] == b[first + 1 :]
    return a[first:] == b[first + 1 :]


@dataclass(frozen=True)
class Tolerance:
    """How different two canonical plates may be and still be the same car."""

    distance: int = 1
    min_length: int = 5  # shorter plates must match exactly: one character is too much of them

    def same(self, a: str, b: str) -> bool:
        """Whether canonical plates `a` and `b` are one plate, within the tolerance."""
        if a == b:
            return True
        allowed = self.distance if min(len(a), len(b)) >= self.min_length else 0
        if allowed == 1:  # the default, asked for every read against every watch
            return one_edit_apart(a, b)
        return allowed > 0 and edit_distance(a, b, allowed) <= allowed

    def part_of(self, a: str, b: str) -> bool:
        """Whether one canonical plate is a partial read of the other: the same plate, or
        at least `PARTIAL_MIN` of its characters in a row (a read cut off by the frame)."""
        short, long = sorted((a, b), key=len)
        return self.same(a, b) or (len(short) >= PARTIAL_MIN and short in long)


@lru_cache(maxsize=8192)
def deletion_variants(key: str, distance: int, min_length: int) -> tuple[str, ...]:
    """`key` with up to `distance` characters deleted: two plates within that edit distance
    always share one (plates shorter than `min_length` only share themselves). One may come
    twice (a doubled letter). Cached: asked for each read's plates when watches and
    sightings are looked up; a tuple, since the collector stops watching those."""
    if len(key) < min_length:
        return (key,)
    if distance == 1:  # the default tolerance, without combinations()
        return (key, *[key[head] + key[tail] for head, tail in _one_gone(len(key))])
    keys = {key}
    for count in range(1, min(distance, len(key) - 1) + 1):
        for gone in combinations(range(len(key)), count):
            keys.add("".join(ch for i, ch in enumerate(key) if i not in gone))
    return tuple(keys)


@lru_cache(maxsize=64)
def _one_gone(length: int) -> list[tuple[slice, slice]]:
    """For each position of a `length`-character plate, the slices that leave it out."""
    return [(slice(0, gone), slice(gone + 1, None)) for gone in range(length)]


class PlateError(ValueError):
    """Text that cannot be a plate or a plate pattern; `str()` is the sentence to show."""


@dataclass(frozen=True)
class PlatePattern:
    """A watched plate: exact ('ABC1234') or with wildcards ('ABC*', 'AB?1234')."""

    text: str  # normalised, wildcards kept

    @classmethod
    def parse(cls, raw: str) -> PlatePattern:
        text = "".join(
            ch for ch in raw.upper() if ch in WILDCARDS or (ch.isascii() and ch.isalnum())
        )
        letters = sum(ch not in WILDCARDS for ch in text)
        if not text:
            raise PlateError(f"'{raw}' has no letters or digits — try `ABC1234` or `\"ABC*\"`.")
        if len(text) > MAX_PLATE + 4:
            raise PlateError(f"'{raw}' is too long for a plate.")
        if letters < 2:
            raise PlateError(
                f"'{raw}' would match almost every plate — give at least two characters."
            )
        return cls(text)

    @cached_property  # asked for every read while the pattern is watched
    def wildcard(self) -> bool:
        return any(ch in WILDCARDS for ch in self.text)

    @cached_property
    def canonical(self) -> str:
        return self.text.translate(_CANONICAL)

    def matches(self, plate: str, tolerance: Tolerance) -> bool:
        """Whether a read `plate` (any spelling) is this pattern's plate."""
        read = canonical(plate)
        if self.wildcard:
            return _wildcard_regex(self.canonical).fullmatch(read) is not None
        return tolerance.same(self.canonical, read)


@lru_cache(maxsize=1024)
def _wildcard_regex(pattern: str) -> re.Pattern[str]:
    parts = [".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern]
    return re.compile("".join(parts))


def looks_like_plate(word: str) -> bool:
    """A word that is more likely a plate than part of a camera name: it has a digit or a
    wildcard, and only plate characters once dashes and spaces are dropped."""
    text = word.replace("-", "").replace(" ", "")
    return (
        bool(text)
        and all(ch in WILDCARDS or (ch.isascii() and ch.isalnum()) for ch in text)
        and any(ch.isdigit() or ch in WILDCARDS for ch in text)
    )


def in_cooldown(last_told: datetime | None, at: datetime, cooldown: timedelta) -> bool:
    """Whether a room told about a plate at `last_told` should stay quiet about it at `at`
    (either way round: reads queued while mvbot was down may arrive out of order)."""
    return last_told is not None and abs(at - last_told) < cooldown
