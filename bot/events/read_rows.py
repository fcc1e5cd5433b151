"""Plate reads, and the rows processing makes of them, written straight to the driver.

Every stored read holds back the acknowledgements of a burst until its transaction commits,
and SQLAlchemy's per-row work (a dict per row, each value through its type's processors)
cost twice what the driver needs for the same rows (docs/benchmarks.md, plate ingest). So
the rows go in as one multi-row INSERT of plain values, the datetimes written the way
SQLAlchemy's own column type writes them (tests/test_read_rows.py reads them back through
the table); decoding has already checked every value against its column
(bot.events.decode), so the driver is handed nothing the schema would refuse. Processing,
one row a read too, takes its reads, settles them and inserts sightings and audit rows the
same way (bot.events.sightings).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import Connection

from bot.events.decode import PlateRead
from bot.store.column_types import as_utc

# At most 9 parameters a row: well under SQLite's (32,766) and PostgreSQL's (65,535) limits.
ROWS_PER_STATEMENT = 500
_COLUMNS = "key, topic, serial, plate, raw, confidence, region, at, received_at"
T = TypeVar("T")


def _mark(connection: Connection) -> str:
    """The driver's placeholder for a parameter."""
    return "?" if connection.dialect.name == "sqlite" else "%s"


def chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    """`items`, ROWS_PER_STATEMENT at a time."""
    for start in range(0, len(items), ROWS_PER_STATEMENT):
        yield items[start : start + ROWS_PER_STATEMENT]


def insert_reads(connection: Connection, reads: Sequence[PlateRead]) -> dict[str, int]:
    """Insert `reads` (distinct keys) unless their key is stored already; the keys inserted,
    each with its read's id."""
    sqlite = connection.dialect.name == "sqlite"
    received_at = driver_moment(datetime.now(UTC), sqlite)
    fresh: dict[str, int] = {}
    for chunk in chunks(reads):
        values: list[object] = []
        for read in chunk:
            at = driver_moment(read.at, sqlite)
            values += (read.key, read.topic, read.serial, read.plate, read.raw)
            values += (read.confidence, read.region, at, received_at)
        statement = _statement(len(chunk), _mark(connection))
        inserted = connection.exec_driver_sql(statement, tuple(values))
        fresh.update((key, read_id) for key, read_id in inserted)
    return fresh


class StoredRead(NamedTuple):
    """A stored read, as merging and matching use it."""

    id: int
    serial: str
    plate: str
    raw: str
    confidence: float | None
    region: str | None
    at: datetime


def listed_reads(connection: Connection, limit: int, after: int) -> list[tuple[int, str]]:
    """(read id, serial) of up to `limit` reads not processed yet with ids above `after`,
    oldest first: what processing takes next (listed a thousand at a time in a burst)."""
    mark = _mark(connection)
    rows = connection.exec_driver_sql(
        "SELECT id, serial FROM plate_reads "  # noqa: S608
        f"WHERE processed = FALSE AND id > {mark} ORDER BY id LIMIT {mark}",
        (after, limit),
    ).all()
    return [(read_id, serial) for read_id, serial in rows]


def unprocessed_reads(
    connection: Connection,
    read_ids: Sequence[int],
    known: Mapping[int, PlateRead] | None = None,
) -> list[StoredRead]:
    """Those of these reads not processed yet, oldest first, held for this transaction: it
    marks them processed (settle_reads) before it commits, and no other transaction may take
    them meanwhile. SQLite: the transaction holds the write lock from its BEGIN
    (bot.store.engine.writing_first); PostgreSQL: the rows are locked, and a transaction
    that wanted them too finds them processed once it gets them.

    `known` holds reads as they were stored, by id: for those, the store is only asked
    whether they are still waiting (reading a burst's rows back, times parsed again, cost
    a tenth of processing it)."""
    mark = _mark(connection)
    lock = "" if connection.dialect.name == "sqlite" else " FOR UPDATE"
    known = known or {}
    found = []
    for chunk in chunks(read_ids):
        where = (
            f"FROM plate_reads WHERE id IN ({', '.join([mark] * len(chunk))}) "
            f"AND processed = FALSE{lock}"
        )
        if all(read_id in known for read_id in chunk):
            waiting = connection.exec_driver_sql(f"SELECT id {where}", tuple(chunk)).scalars()
            for read_id in waiting:
                read = known[read_id]
                at, confidence, region = read.at, read.confidence, read.region
                found.append(
                    StoredRead(read_id, read.serial, read.plate, read.raw, confidence, region, at)
                )
            continue
        rows = connection.exec_driver_sql(
            f"SELECT id, serial, plate, raw, confidence, region, at {where}", tuple(chunk)
        ).all()
        for read_id, serial, plate, raw, confidence, region, at in rows:
            moment = stored_moment(at)
            found.append(StoredRead(read_id, serial, plate, raw, confidence, region, moment))
    found.sort()
    return found


def settle_reads(connection: Connection, sightings: Sequence[tuple[int, int]]) -> None:
    """Mark reads processed, each with its sighting, from (read id, sighting id) pairs: one
    statement for many rows, and each row written once."""
    mark = _mark(connection)
    for chunk in chunks(sightings):
        pairs = ", ".join([f"({mark}, {mark})"] * len(chunk))
        connection.exec_driver_sql(
            "UPDATE plate_reads SET processed = TRUE, sighting_id = pair.column2 "  # noqa: S608
            f"FROM (VALUES {pairs}) AS pair WHERE plate_reads.id = pair.column1",
            tuple(value for pair in chunk for value in pair),
        )


def insert_rows(
    connection: Connection, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """Insert plain rows (values as the driver takes them) as multi-row INSERTs."""
    row = "(" + ", ".join([_mark(connection)] * len(columns)) + ")"
    for chunk in chunks(rows):
        connection.exec_driver_sql(
            f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608
            f"VALUES {', '.join([row] * len(chunk))}",
            tuple(value for values in chunk for value in values),
        )


def driver_moment(moment: datetime, sqlite: bool) -> datetime | str:
    """A UTCDateTime column's value as the driver takes it. SQLite keeps no zone: UTC as
    text, in the format of SQLAlchemy's DATETIME on SQLite."""
    if not sqlite:
        return moment
    if moment.tzinfo is UTC:  # what decoding and the store hand out: no conversion
        return moment.isoformat(" ", "microseconds")[:-6]
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def stored_moment(value: datetime | str) -> datetime:
    """A UTCDateTime column's value as the driver gives it, as the column type would."""
    return as_utc(datetime.fromisoformat(value) if isinstance(value, str) else value)


@lru_cache(maxsize=16)
def _statement(rows: int, mark: str) -> str:
    row = "(" + ", ".join([mark] * 9) + ", FALSE, NULL)"
    # Another mvbot on the same database may store the same message meanwhile: ignored.
    return (
        f"INSERT INTO plate_reads ({_COLUMNS}, processed, sighting_id) "  # noqa: S608
        f"VALUES {', '.join([row] * rows)} ON CONFLICT (key) DO NOTHING RETURNING key, id"
    )
