"""Plate reads written straight to the driver read back as SQLAlchemy writes and reads them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from bot.events.decode import PlateRead
from bot.events.read_rows import ROWS_PER_STATEMENT, insert_reads
from bot.events.tables import plate_reads
from bot.store import create_database_engine
from bot.store.migrations import migrate
from tests.db_fixtures import database_url_fixture  # noqa: F401

AT = datetime(2026, 3, 23, 14, 30, 5, 120000, tzinfo=UTC)
TOPIC = "/merakimv/Q2GV-GRGE-0002/lpr"


def read(key: str, at: datetime = AT, confidence: float | None = 0.93) -> PlateRead:
    return PlateRead(key, TOPIC, "Q2GV-GRGE-0002", "ABC1234", "abc-1234", at, confidence, "DE")


def test_reads_inserted_raw_are_the_rows_sqlalchemy_would_have_written(database_url: str) -> None:
    engine = create_database_engine(database_url)
    migrate(engine)
    # A time in another zone, and one without confidence or region: stored as UTC, NULLs.
    east = AT.astimezone(UTC).astimezone(tz=None)
    raw = [read("raw-1", east), PlateRead("raw-2", TOPIC, "Q2GV-GRGE-0002", "XY1", "XY1", AT)]
    with engine.begin() as connection:
        assert insert_reads(connection, raw) == {"raw-1", "raw-2"}
        values = {c.name: getattr(read("orm"), c.name, None) for c in plate_reads.columns}
        values |= {"received_at": AT, "processed": False}
        del values["id"]
        connection.execute(insert(plate_reads).values(**values))
    with engine.connect() as connection:
        rows = {r.key: r for r in connection.execute(select(plate_reads))}
        # The text SQLite compares in `WHERE at >= …` must be the same for both writers.
        stored_at = dict(connection.exec_driver_sql("SELECT key, at FROM plate_reads").all())
    assert stored_at["raw-1"] == stored_at["orm"]
    first, second = rows["raw-1"], rows["raw-2"]
    assert (first.topic, first.serial, first.plate, first.raw) == (
        TOPIC,
        "Q2GV-GRGE-0002",
        "ABC1234",
        "abc-1234",
    )
    assert (first.at, first.confidence, first.region) == (AT, 0.93, "DE")
    assert first.processed is False and first.sighting_id is None
    assert abs(first.received_at - datetime.now(UTC)) < timedelta(minutes=5)
    assert (second.confidence, second.region, second.at) == (None, None, AT)
    engine.dispose()


def test_a_key_stored_before_is_not_inserted_again_across_statements(database_url: str) -> None:
    engine = create_database_engine(database_url)
    migrate(engine)
    many = [read(f"k{n}", AT + timedelta(milliseconds=n)) for n in range(ROWS_PER_STATEMENT + 3)]
    with engine.begin() as connection:
        assert insert_reads(connection, many[:2]) == {"k0", "k1"}
    with engine.begin() as connection:
        fresh = insert_reads(connection, many)
    assert fresh == {f"k{n}" for n in range(2, len(many))}
    with engine.connect() as connection:
        assert len(connection.execute(select(plate_reads.c.id)).all()) == len(many)
    engine.dispose()
