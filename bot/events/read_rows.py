"""Plate reads written straight to the driver: the statement on the ingest's critical path.

Every stored read holds back the acknowledgements of a burst until its transaction commits,
and SQLAlchemy's per-row work (a dict per row, each value through its type's processors)
cost twice what the driver needs for the same rows (docs/benchmarks.md, plate ingest). So
the rows go in as one multi-row INSERT of plain values, the datetimes written the way
SQLAlchemy's own column type writes them (tests/test_read_writer.py reads them back through
the table); decoding has already checked every value against its column
(bot.events.decode), so the driver is handed nothing the schema would refuse.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache

from sqlalchemy import Connection

from bot.events.decode import PlateRead

ROWS_PER_STATEMENT = 500  # 9 parameters a row: well under SQLite's and PostgreSQL's limits
_COLUMNS = "key, topic, serial, plate, raw, confidence, region, at, received_at"


def insert_reads(connection: Connection, reads: Sequence[PlateRead]) -> set[str]:
    """Insert `reads` (distinct keys) unless their key is stored already; the keys inserted."""
    sqlite = connection.dialect.name == "sqlite"
    received_at = driver_moment(datetime.now(UTC), sqlite)
    fresh: set[str] = set()
    for start in range(0, len(reads), ROWS_PER_STATEMENT):
        chunk = reads[start : start + ROWS_PER_STATEMENT]
        values: list[object] = []
        for read in chunk:
            at = driver_moment(read.at, sqlite)
            values += (read.key, read.topic, read.serial, read.plate, read.raw)
            values += (read.confidence, read.region, at, received_at)
        statement = _statement(len(chunk), "?" if sqlite else "%s")
        fresh.update(connection.exec_driver_sql(statement, tuple(values)).scalars())
    return fresh


def driver_moment(moment: datetime, sqlite: bool) -> datetime | str:
    """A UTCDateTime column's value as the driver takes it. SQLite keeps no zone: UTC as
    text, in the format of SQLAlchemy's DATETIME on SQLite."""
    if sqlite:
        return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    return moment


@lru_cache(maxsize=16)
def _statement(rows: int, mark: str) -> str:
    row = "(" + ", ".join([mark] * 9) + ", FALSE, NULL)"
    # Another mvbot on the same database may store the same message meanwhile: ignored.
    return (
        f"INSERT INTO plate_reads ({_COLUMNS}, processed, sighting_id) "  # noqa: S608
        f"VALUES {', '.join([row] * rows)} ON CONFLICT (key) DO NOTHING RETURNING key"
    )
