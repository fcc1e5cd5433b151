"""Plate reads in the store: kept as they arrive (many per commit), then merged into sightings.

`store_reads` is all that happens before the broker gets its acknowledgements; `process`
then merges a batch of stored reads in one transaction: each joins the sighting one of
whose reads it matches (bot.events.evidence, kept in memory and read back from the store
when a window is not), the sighting takes its best-supported plate, and the rooms that
watch a plate or follow the camera get an alert row (bot.events.plate_matching), each with
its audit row. A read left unprocessed by a crash is processed at the next start.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine, Row, bindparam, select, update

from bot.events.decode import PlateRead
from bot.events.evidence import BucketKey, Evidence, EvidenceIndex
from bot.events.lpr import Tolerance, canonical
from bot.events.new_sightings import NewSightings
from bot.events.plate_matching import (
    CameraView,
    Interests,
    MaySee,
    PatternIndex,
    PlateRules,
    SightingNow,
    match_rooms,
)
from bot.events.read_rows import (
    StoredRead,
    chunks,
    insert_reads,
    listed_reads,
    settle_reads,
    unprocessed_reads,
)
from bot.events.tables import (
    plate_allows,
    plate_follows,
    plate_interests,
    plate_reads,
    plate_sightings,
    plate_unknown_alerts,
    plate_watches,
)
from bot.store.engine import writing_first
from bot.store.records import AuditEntry
from bot.store.schema import audit_insert
from bot.store.work import fetch

__all__ = ["CameraView", "MaySee", "PlateLedger", "PlateRules", "Processed"]

KEPT_STORED = 20_000  # stored reads remembered for processing: a burst's worth
YIELD_EVERY = 50  # reads merged between two looks at whether storing wants the store


@dataclass
class Processed:
    """What processing a batch of reads decided."""

    alert_ids: list[int] = field(default_factory=list)  # alerts with a room to tell
    revised: list[int] = field(default_factory=list)  # sightings whose plate changed
    left: list[int] = field(default_factory=list)  # reads not taken: the turn ended first


class PlateLedger:
    """Reads, sightings and the alerts they cause."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        # Processing reads its reads and the sightings of their windows before it writes;
        # reads stored meanwhile must not make its writes fail (bot.store.engine).
        self._processing = writing_first(engine)
        self._index: EvidenceIndex | None = None
        self._rules: PlateRules | None = None
        self._interests: _Interests | None = None  # the last batch's, kept while unchanged
        # Reads this process stored and has not processed yet, by id, as they were stored:
        # processing a burst takes them from here instead of reading them back. Bounded
        # (another replica may process them); one missing is read from the store.
        self._stored: dict[int, PlateRead] = {}
        self._stored_lock = threading.Lock()  # stored and processed on different threads

    async def store_reads(self, reads: Sequence[PlateRead]) -> list[bool]:
        """Keep reads for processing, in one transaction; for each, False when this very
        message was stored before (a redelivery)."""
        return await asyncio.to_thread(self._store_reads, reads)

    async def unprocessed(self, limit: int = 200, after: int = 0) -> list[tuple[int, str]]:
        """(read id, serial) of reads not processed yet with ids above `after`, oldest first."""
        return await asyncio.to_thread(self._unprocessed, limit, after)

    async def process(
        self,
        read_id: int,
        camera: CameraView,
        rules: PlateRules,
        may_see: MaySee,
        on: Connection | None = None,
    ) -> Processed:
        """Merge and match one read."""
        return await self.process_batch([read_id], {camera.serial: camera}, rules, may_see, on)

    async def process_batch(
        self,
        read_ids: Sequence[int],
        cameras: Mapping[str, CameraView],
        rules: PlateRules,
        may_see: MaySee,
        on: Connection | None = None,
        wanted: Callable[[], bool] | None = None,
    ) -> Processed:
        """Merge and match these reads, in order, in one transaction (all or nothing), on
        connection `on` (the processing lock's, bot.events.processing_lock) if given. Once
        `wanted()` says the store is wanted (asked every YIELD_EVERY reads), the reads done
        so far are committed and the rest are left (Processed.left)."""
        return await asyncio.to_thread(self._process, read_ids, cameras, rules, may_see, on, wanted)

    def forget(self) -> None:
        """Drop what memory holds of recent sightings: another replica has processed reads
        since, and the store is read again as windows are needed."""
        self._index = None

    async def set_aside(self, read_id: int) -> None:
        """Mark a read that cannot be processed as done without a sighting, and audit it."""
        await asyncio.to_thread(self._set_aside, read_id)

    async def reads(self) -> list[Row[Any]]:
        return await fetch(self._engine, select(plate_reads).order_by(plate_reads.c.id))

    async def sightings(self) -> list[Row[Any]]:
        query = select(plate_sightings).order_by(plate_sightings.c.id)
        return await fetch(self._engine, query)

    def _unprocessed(self, limit: int, after: int) -> list[tuple[int, str]]:
        with self._engine.connect() as connection:
            return listed_reads(connection, limit, after)

    def _store_reads(self, reads: Sequence[PlateRead]) -> list[bool]:
        rows: dict[str, PlateRead] = {}
        for read in reads:
            rows.setdefault(read.key, read)  # the same message twice in a batch
        with self._engine.begin() as connection:
            # One statement that writes first: reading the known keys before writing would
            # hold a snapshot that SQLite cannot turn into a write lock once processing has
            # committed meanwhile ("database is locked" at once, without waiting).
            fresh = insert_reads(connection, list(rows.values()))
        self._keep(rows.values(), fresh)
        stored = []
        for read in reads:
            stored.append(fresh.pop(read.key, None) is not None)  # a second copy: redelivered
        return stored

    def _keep(self, reads: Iterable[PlateRead], ids: Mapping[str, int]) -> None:
        """Remember committed reads for processing, the oldest forgotten beyond KEPT_STORED."""
        with self._stored_lock:
            for read in reads:
                read_id = ids.get(read.key)
                if read_id is not None:
                    self._stored[read_id] = read
            surplus = len(self._stored) - KEPT_STORED
            for read_id in list(itertools.islice(self._stored, max(surplus, 0))):
                del self._stored[read_id]

    def _rules_index(self, rules: PlateRules) -> EvidenceIndex:
        if self._index is None or self._rules != rules:
            self._index = EvidenceIndex(rules.window, rules.tolerance, rules.min_confidence)
            self._interests = None  # indexed with the old tolerance
            self._rules = rules
        return self._index

    def _process(
        self,
        read_ids: Sequence[int],
        cameras: Mapping[str, CameraView],
        rules: PlateRules,
        may_see: MaySee,
        on: Connection | None,
        wanted: Callable[[], bool] | None = None,
    ) -> Processed:
        index = self._rules_index(rules)
        with self._stored_lock:
            known = {i: self._stored[i] for i in read_ids if i in self._stored}

        def run(connection: Connection) -> Processed:
            batch = _Batch(connection, index, rules, may_see, cameras, self._interests)
            done = batch.run(read_ids, known, wanted)
            self._interests = batch.interests  # processing never writes what it holds
            return done

        try:
            if on is not None:
                with on.begin():
                    done = run(on)
            else:
                with self._processing.begin() as connection:
                    done = run(connection)
        except BaseException:
            index.clear()  # it may hold what was rolled back: the store is the truth
            raise
        left = set(done.left)
        self._forget_stored(i for i in read_ids if i not in left)
        return done

    def _forget_stored(self, read_ids: Iterable[int]) -> None:
        with self._stored_lock:
            for read_id in read_ids:
                self._stored.pop(read_id, None)

    def _set_aside(self, read_id: int) -> None:
        with self._engine.begin() as connection:
            connection.execute(
                update(plate_reads).where(plate_reads.c.id == read_id).values(processed=True)
            )
            entry = AuditEntry(
                platform="mqtt",
                person_id="mvbot",
                command=f"plate read {read_id}",
                action="plate.sighting",
                outcome="failed",
                detail="could not be processed; set aside (see the log)",
            )
            connection.execute(audit_insert(entry))
        self._forget_stored([read_id])


class _Batch:
    """One transaction's worth of reads: merged through the index, written back at the end."""

    def __init__(
        self,
        connection: Connection,
        index: EvidenceIndex,
        rules: PlateRules,
        may_see: MaySee,
        cameras: Mapping[str, CameraView],
        interests: _Interests | None,
    ) -> None:
        self.connection = connection
        self.interests = interests
        self.index = index
        self.rules = rules
        self.may_see = may_see
        self.cameras = cameras
        self.before: dict[int, str] = {}  # plate of each sighting that existed before
        self.touched: dict[int, Evidence] = {}
        self.new: NewSightings | None = None

    def run(
        self,
        read_ids: Sequence[int],
        known: Mapping[int, PlateRead],
        wanted: Callable[[], bool] | None,
    ) -> Processed:
        connection = self.connection
        rows = unprocessed_reads(connection, read_ids, known)
        result = Processed()
        if not rows:
            return result
        self.new = NewSightings(connection, len(rows))
        self.interests = _interests(connection, self.rules.tolerance, self.interests)
        interests = self.interests.interests
        settled = []  # (read id, its sighting)
        taken = rows if wanted is None else self._until_wanted(rows, wanted, result)
        for read in taken:
            camera = self.cameras.get(read.serial) or CameraView(read.serial, read.serial)
            evidence = self._merge(read, camera)
            settled.append((read.id, evidence.id))
            if read.confidence is not None and read.confidence < self.rules.min_confidence:
                continue
            plate, confidence = evidence.best()
            now = SightingNow(evidence.id, plate, confidence, evidence.confident)
            result.alert_ids += match_rooms(
                connection, read, now, camera, self.rules, self.may_see, interests
            )
        settle_reads(connection, settled)
        self._write_sightings()
        result.revised = [
            sighting_id
            for sighting_id, plate in self.before.items()
            if self.touched[sighting_id].best()[0] != plate
        ]
        return result

    @staticmethod
    def _until_wanted(
        rows: list[StoredRead], wanted: Callable[[], bool], result: Processed
    ) -> Iterator[StoredRead]:
        """`rows` until the store is wanted (asked every YIELD_EVERY reads); those not
        given are noted in `result.left`."""
        for start in range(0, len(rows), YIELD_EVERY):
            if start and wanted():
                result.left = [read.id for read in rows[start:]]
                return
            yield from rows[start : start + YIELD_EVERY]

    def _merge(self, read: StoredRead, camera: CameraView) -> Evidence:
        index = self.index
        buckets = index.bucket_keys(read.serial, read.at)
        for key in index.missing(buckets):
            index.loaded(key, self._load(key))
        evidence = index.find(read.serial, read.plate, read.at, buckets)
        if evidence is None:
            return self._new(read, camera)
        if evidence.id not in self.touched:
            self.before[evidence.id] = evidence.best()[0]
            self.touched[evidence.id] = evidence
        index.extend(evidence, read.plate, read.confidence, read.at)
        return evidence

    def _new(self, read: StoredRead, camera: CameraView) -> Evidence:
        assert self.new is not None
        sighting_id = self.new.add(read.serial, camera.name, read.plate, read.at)
        evidence = self.index.start(sighting_id, read.serial, read.plate, read.confidence, read.at)
        self.touched[sighting_id] = evidence
        return evidence

    def _load(self, key: BucketKey) -> list[Evidence]:
        """A window's sightings as the store has them (this transaction's writes included,
        but for reads linked at the end: those sightings are in memory already)."""
        start, end = self.index.window_bounds(key)
        rows = self.connection.execute(
            select(plate_sightings).where(
                plate_sightings.c.serial == key[0],
                plate_sightings.c.last_at >= start,
                plate_sightings.c.first_at <= end,
            )
        ).all()
        fresh = {row.id: row for row in rows if self.index.known(row.id) is None}
        found = [e for e in (self.index.known(row.id) for row in rows) if e is not None]
        ids = list(fresh)
        reads: dict[int, list[tuple[str, float | None]]] = defaultdict(list)
        for chunk in chunks(ids):
            query = select(
                plate_reads.c.sighting_id, plate_reads.c.plate, plate_reads.c.confidence
            ).where(plate_reads.c.sighting_id.in_(chunk))
            for read in self.connection.execute(query):
                reads[read.sighting_id].append((read.plate, read.confidence))
        for sighting_id, row in fresh.items():
            evidence = Evidence(sighting_id, row.serial, row.first_at, row.last_at)
            for plate, confidence in reads[sighting_id] or [(row.plate, row.confidence)]:
                evidence.add(plate, confidence, row.first_at, self.rules.min_confidence)
            found.append(evidence)
        return found

    def _write_sightings(self) -> None:
        """New sightings inserted, the others updated: each as the batch left it."""
        assert self.new is not None
        fresh: list[Evidence] = []
        known: list[Evidence] = []
        for evidence in self.touched.values():
            (fresh if evidence.id in self.new else known).append(evidence)
        self.new.write(fresh)
        if not known:
            return
        rows = []
        for evidence in known:
            plate, confidence = evidence.best()
            rows.append(
                {
                    "b_sighting": evidence.id,
                    "b_plate": plate,
                    "b_canonical": canonical(plate),
                    "b_confidence": confidence,
                    "b_first_at": evidence.first_at,
                    "b_last_at": evidence.last_at,
                    "b_reads": evidence.reads,
                }
            )
        self.connection.execute(
            update(plate_sightings)
            .where(plate_sightings.c.id == bindparam("b_sighting"))
            .values(
                plate=bindparam("b_plate"),
                canonical=bindparam("b_canonical"),
                confidence=bindparam("b_confidence"),
                first_at=bindparam("b_first_at"),
                last_at=bindparam("b_last_at"),
                reads=bindparam("b_reads"),
            ),
            rows,
        )


# What matching reads of a watch (not who made it, nor when).
_WATCHED = [
    plate_watches.c[name]
    for name in ("id", "platform", "room_id", "pattern", "note", "cooldown_s", "hours")
]


class _Interests(NamedTuple):
    """What the rooms asked to hear of, as of a version of the plate_interests counter."""

    version: int | None  # None: the counter is missing, read everything every time
    interests: Interests


def _interests(
    connection: Connection, tolerance: Tolerance, known: _Interests | None
) -> _Interests:
    """The interests as the store has them: `known` while no watch, follow, unknown-plate
    alert or allow-list entry changed since it was read (a hotlist of a thousand plates
    took milliseconds to read and index, for every batch of reads)."""
    version = connection.execute(select(plate_interests.c.version)).scalar_one_or_none()
    if known is not None and version is not None and known.version == version:
        return known
    return _Interests(version, _read_interests(connection, tolerance))


def _read_interests(connection: Connection, tolerance: Tolerance) -> Interests:
    rows = connection.execute(select(*_WATCHED).order_by(plate_watches.c.id)).all()
    watches = PatternIndex(rows, tolerance)
    followers: dict[str, list[Row[Any]]] = defaultdict(list)
    for follow in connection.execute(select(plate_follows)):
        followers[follow.serial].append(follow)
    unknown: dict[str, list[Row[Any]]] = defaultdict(list)
    for row in connection.execute(select(plate_unknown_alerts)):
        unknown[row.serial].append(row)
    lists: dict[tuple[str, str], list[Row[Any]]] = defaultdict(list)
    if unknown:  # an allow-list matters only where a room hears of unknown plates
        for allow in connection.execute(select(plate_allows)):
            lists[(allow.platform, allow.room_id)].append(allow)
    allows = {room: PatternIndex(rows, tolerance) for room, rows in lists.items()}
    return Interests(watches, followers, unknown, allows)
