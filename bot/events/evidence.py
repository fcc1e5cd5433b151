"""Sightings as evidence: every read a sighting holds, indexed so a new read finds its car at once.

A read joins a sighting when it matches *any* read already in it (same camera, within the
merge window of the sighting, within the tolerance or a partial read of it), so a first
read that dropped a character cannot split one car into two sightings. The sighting is
named by its best-supported plate: the spelling whose reads add up to the most confidence.

Finding the sighting must not cost more as more cars pass: sightings are kept per camera
and time bucket (two merge windows wide), and inside a bucket by keys two matching plates
always share — their deletion variants (within the edit distance) and their fragments (a
partial read is a fragment of the whole). Only the few sightings under a shared key are
compared in full. Pure: bot.events.sightings loads buckets from the store and writes back.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import NamedTuple

from bot.events.lpr import PARTIAL_MIN, Tolerance, canonical, deletion_variants

UNSURE = 0.5  # the weight of a read that came without a confidence
MAX_BUCKETS = 20_000  # camera-windows kept in memory; older ones are read again when needed
KEYS_CACHED = 8192  # plates whose match keys are kept: a car's reads come seconds apart
# Added to a read's reach before it is cut into buckets: float seconds since the epoch are
# exact to a fraction of a microsecond only, and a read may look into one bucket too many
# (Evidence.takes decides) but never one too few.
_SLACK = 1e-3

BucketKey = tuple[str, int]  # (camera serial, window number)
# A burst keeps tens of thousands of sightings, and the garbage collector walks every
# container each one holds, again and again while they are young: so a sighting is one
# object with slots, and what it holds is immutable (tuples of strings and numbers, which
# the collector stops watching), replaced when a read adds to it.


class Support(NamedTuple):
    """How well one spelling of the plate is supported by the reads of a sighting."""

    score: float
    best: float | None  # its most confident read
    reads: int

    def add(self, confidence: float | None) -> Support:
        """This support with one more read."""
        best = self.best
        if confidence is not None and (best is None or confidence > best):
            best = confidence
        return Support(
            self.score + (UNSURE if confidence is None else confidence), best, self.reads + 1
        )


_NO_READS = Support(0.0, None, 0)


@dataclass(slots=True)
class Evidence:
    """One sighting: its reads by spelling, the canonical forms they match by, its span."""

    id: int
    serial: str
    first_at: datetime
    last_at: datetime
    spellings: dict[str, Support] = field(default_factory=dict)
    canonicals: tuple[str, ...] = ()
    confident: tuple[str, ...] = ()  # spellings that may alert a room

    @property
    def reads(self) -> int:
        return sum(s.reads for s in self.spellings.values())

    def add(self, plate: str, confidence: float | None, at: datetime, threshold: float) -> None:
        self.spellings[plate] = self.spellings.get(plate, _NO_READS).add(confidence)
        key = canonical(plate)
        if key not in self.canonicals:
            self.canonicals += (key,)
        if (confidence is None or confidence >= threshold) and plate not in self.confident:
            self.confident += (plate,)
        if at < self.first_at:
            self.first_at = at
        elif at > self.last_at:
            self.last_at = at

    def best(self) -> tuple[str, float | None]:
        """The plate the sighting goes by, and its most confident read's confidence."""
        if len(self.spellings) == 1:  # most sightings of a burst: one read, one spelling
            ((plate, support),) = self.spellings.items()
            return plate, support.best
        plate, support = max(
            self.spellings.items(),
            key=lambda item: (item[1].score, len(item[0]), item[1].best or 0),
        )
        return plate, support.best

    def takes(
        self, serial: str, plate: str, at: datetime, window: timedelta, tolerance: Tolerance
    ) -> bool:
        """Whether a read belongs to this sighting: same camera, within `window` of its span,
        and the same plate as one of its reads (within the tolerance, or a partial read)."""
        key = canonical(plate)
        return (
            serial == self.serial
            and self.first_at - window <= at <= self.last_at + window
            and any(tolerance.part_of(known, key) for known in self.canonicals)
        )


# Tuples, not sets: a tuple of strings is dropped from the garbage collector's watch.
@lru_cache(maxsize=KEYS_CACHED)
def _match_keys(
    key: str, distance: int, min_length: int
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A canonical plate's (near keys, fragments), asked for by each read and its sighting.
    Near keys: `key` with up to `distance` characters deleted; two plates within that edit
    distance always share one. Fragments: every run of at least PARTIAL_MIN characters a
    partial read of `key` can be, but those its near keys already share with such a read:
    `key` itself, and the runs one character shorter when that deletion is allowed. Not
    keyed by a Tolerance: hashing a dataclass runs Python code, twice a read."""
    shorter = 2 if distance and len(key) >= min_length else 1
    runs = _runs(len(key), len(key) - shorter)
    return deletion_variants(key, distance, min_length), tuple([key[run] for run in runs])


@lru_cache(maxsize=64)
def _runs(length: int, longest: int) -> list[slice]:
    """The slices of a `length`-character plate's runs of PARTIAL_MIN to `longest` characters."""
    return [
        slice(start, start + size)
        for size in range(PARTIAL_MIN, longest + 1)
        for start in range(length - size + 1)
    ]


# The sightings under one match key: an id, or a tuple of ids when several share it. Not a
# set: a busy window holds hundreds of thousands of keys, and as many small sets keep the
# garbage collector scanning them (a third of the merging time of a burst); ints and tuples
# of ints are not tracked.
Ids = int | tuple[int, ...]


def _put_all(table: dict[str, Ids], keys: Iterable[str], sighting_id: int) -> None:
    """File the sighting under each of `keys`, beside those already there. One pass in
    Python: a new plate's keys are nearly all new, and setdefault files each in one step."""
    for key in keys:
        have = table.setdefault(key, sighting_id)
        if have is sighting_id or have == sighting_id:
            continue
        if isinstance(have, int):
            table[key] = (have, sighting_id)
        elif sighting_id not in have:
            table[key] = (*have, sighting_id)


def _gather(found: set[int], have: Ids) -> None:
    if isinstance(have, int):
        found.add(have)
    else:
        found.update(have)


@dataclass(slots=True)
class _WindowBucket:
    loaded: bool = False
    near: dict[str, Ids] = field(default_factory=dict)
    whole: dict[str, Ids] = field(default_factory=dict)
    parts: dict[str, Ids] = field(default_factory=dict)
    members: set[int] = field(default_factory=set)


class EvidenceIndex:
    """Sightings in memory by camera and window, and by match key inside each window."""

    def __init__(self, window: timedelta, tolerance: Tolerance, threshold: float) -> None:
        self.window = window
        self.tolerance = tolerance
        self.threshold = threshold  # reads at least this confident may alert a room
        self._keys_of = (tolerance.distance, tolerance.min_length)  # _match_keys' arguments
        self._reach = window.total_seconds() + _SLACK
        # Two merge windows wide: a read looks a window either side of it, which spans two
        # buckets of this width (three of one window's width: a third more look-ups a read).
        self._width = max(2 * window.total_seconds(), 1e-3)
        self._buckets: OrderedDict[BucketKey, _WindowBucket] = OrderedDict()
        self._sightings: dict[int, Evidence] = {}

    def bucket_keys(self, serial: str, at: datetime) -> list[BucketKey]:
        """The windows a sighting that may take a read at `at` must touch."""
        moment, width = at.timestamp(), self._width
        low = int((moment - self._reach) // width)
        high = int((moment + self._reach) // width)
        return [(serial, n) for n in range(low, high + 1)]

    def window_bounds(self, key: BucketKey) -> tuple[datetime, datetime]:
        """A window's start and end."""
        start, end = key[1] * self._width, (key[1] + 1) * self._width
        return datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC)

    def missing(self, keys: Iterable[BucketKey]) -> list[BucketKey]:
        """Which of these windows have not been loaded from the store."""
        return [k for k in keys if not (k in self._buckets and self._buckets[k].loaded)]

    def known(self, sighting_id: int) -> Evidence | None:
        return self._sightings.get(sighting_id)

    def loaded(self, key: BucketKey, sightings: Iterable[Evidence]) -> None:
        """Take a window as the store has it; sightings already in memory win."""
        bucket = self._bucket(key)
        for evidence in sightings:
            self.register(self._sightings.setdefault(evidence.id, evidence))
        bucket.loaded = True
        self._evict()

    def find(
        self, serial: str, plate: str, at: datetime, buckets: list[BucketKey] | None = None
    ) -> Evidence | None:
        """The sighting a read belongs to (the latest of several), or None; `buckets` are
        bucket_keys(serial, at) when the caller has them already."""
        key = canonical(plate)
        near, parts = _match_keys(key, *self._keys_of)
        found: set[int] = set()
        windows = self._buckets
        # A new plate's keys nearly all miss: looked up as sets (dict.keys() & keys runs in
        # C), and only the few a table has are handled one by one.
        for bucket_key in buckets if buckets is not None else self.bucket_keys(serial, at):
            bucket = windows.get(bucket_key)
            if bucket is None:
                continue
            windows.move_to_end(bucket_key)
            table = bucket.near
            for shared in table.keys() & near:
                _gather(found, table[shared])
            table = bucket.whole  # a known partial read is part of this read
            for shared in table.keys() & parts:
                _gather(found, table[shared])
            have = bucket.parts.get(key)  # this read is part of a known plate
            if have is not None:
                _gather(found, have)
        if not found:  # a new car: most reads of a busy window
            return None
        fitting = [
            e
            for e in (self._sightings[i] for i in found if i in self._sightings)
            if e.takes(serial, plate, at, self.window, self.tolerance)
        ]
        return max(fitting, key=lambda e: (e.last_at, e.id), default=None)

    def start(
        self, sighting_id: int, serial: str, plate: str, confidence: float | None, at: datetime
    ) -> Evidence:
        """A new sighting of one read, indexed."""
        key = canonical(plate)
        evidence = Evidence(
            sighting_id,
            serial,
            at,
            at,
            {plate: _NO_READS.add(confidence)},
            (key,),
            (plate,) if confidence is None or confidence >= self.threshold else (),
        )
        self._sightings[sighting_id] = evidence
        self._index(evidence, (self._number(at),), (key,))
        return evidence

    def register(self, evidence: Evidence) -> None:
        """Index a sighting in every window its span touches."""
        self._sightings[evidence.id] = evidence
        self._index(evidence, self._numbers(evidence), evidence.canonicals)

    def extend(
        self, evidence: Evidence, plate: str, confidence: float | None, at: datetime
    ) -> None:
        """Add a read to a sighting, indexing only what is new: its plate everywhere the
        sighting is, and every plate in the windows the sighting newly reaches."""
        before = self._numbers(evidence)
        key = canonical(plate)
        fresh = key not in evidence.canonicals
        evidence.add(plate, confidence, at, self.threshold)
        after = self._numbers(evidence)
        if fresh:
            self._index(evidence, before, (key,))
        self._index(evidence, range(after.start, before.start), evidence.canonicals)
        self._index(evidence, range(before.stop, after.stop), evidence.canonicals)

    def _numbers(self, evidence: Evidence) -> range:
        return range(self._number(evidence.first_at), self._number(evidence.last_at) + 1)

    def _index(self, evidence: Evidence, numbers: Iterable[int], plates: Iterable[str]) -> None:
        sighting_id = evidence.id
        for number in numbers:
            bucket = self._bucket((evidence.serial, number))
            bucket.members.add(sighting_id)
            for plate in plates:
                near, parts = _match_keys(plate, *self._keys_of)
                _put_all(bucket.near, near, sighting_id)
                _put_all(bucket.whole, (plate,), sighting_id)
                _put_all(bucket.parts, parts, sighting_id)

    def clear(self) -> None:
        """Forget everything: after a failed transaction, the store is the truth again."""
        self._buckets.clear()
        self._sightings.clear()

    def __iter__(self) -> Iterator[Evidence]:
        return iter(self._sightings.values())

    def _bucket(self, key: BucketKey) -> _WindowBucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _WindowBucket()
        return bucket

    def _number(self, at: datetime) -> int:
        return int(at.timestamp() // self._width)

    def _evict(self) -> None:
        while len(self._buckets) > MAX_BUCKETS:
            _, bucket = self._buckets.popitem(last=False)
            for sighting_id in bucket.members:
                evidence = self._sightings.get(sighting_id)
                if evidence is not None and not any(
                    (evidence.serial, number) in self._buckets for number in self._numbers(evidence)
                ):
                    del self._sightings[sighting_id]
