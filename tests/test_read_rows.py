"""Plate reads written straight to the driver read back as SQLAlchemy writes and reads them."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from bot.events.decode import PlateRead
from bot.events.read_rows import (
    ROWS_PER_STATEMENT,
    insert_reads,
    settle_reads,
    unprocessed_reads,
)
from bot.events.tables import plate_reads
from bot.store import create_database_engine
from bot.store.engine import writing_first
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
    raw.append(read("raw-3"))  # in UTC itself, as decoding gives it
    with engine.begin() as connection:
        inserted = insert_reads(connection, raw)
        assert set(inserted) == {"raw-1", "raw-2", "raw-3"}
        values = {c.name: getattr(read("orm"), c.name, None) for c in plate_reads.columns}
        values |= {"received_at": AT, "processed": False}
        del values["id"]
        connection.execute(insert(plate_reads).values(**values))
    with engine.connect() as connection:
        rows = {r.key: r for r in connection.execute(select(plate_reads))}
        # The text SQLite compares in `WHERE at >= …` must be the same for both writers.
        stored_at = dict(connection.exec_driver_sql("SELECT key, at FROM plate_reads").all())
    assert stored_at["raw-1"] == stored_at["orm"] == stored_at["raw-3"]
    assert inserted == {key: rows[key].id for key in inserted}
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
        assert set(insert_reads(connection, many[:2])) == {"k0", "k1"}
    with engine.begin() as connection:
        fresh = insert_reads(connection, many)
    assert set(fresh) == {f"k{n}" for n in range(2, len(many))}
    with engine.connect() as connection:
        assert len(connection.execute(select(plate_reads.c.id)).all()) == len(many)
    engine.dispose()


def test_unprocessed_reads_come_back_as_sqlalchemy_reads_them_and_settle_once(
    database_url: str,
) -> None:
    engine = create_database_engine(database_url)
    migrate(engine)
    many = [read(f"c{n}", AT + timedelta(milliseconds=n)) for n in range(ROWS_PER_STATEMENT + 3)]
    with engine.begin() as connection:
        insert_reads(connection, many)
    with engine.connect() as connection:
        in_order = select(plate_reads.c.id).order_by(plate_reads.c.id)
        ids = list(connection.execute(in_order).scalars())
    with engine.begin() as connection:
        first = unprocessed_reads(connection, ids[:2])
        settle_reads(connection, [(stored.id, 5) for stored in first])
    with engine.begin() as connection:
        # Asked out of order, over more than one statement, the first two among them.
        rest = unprocessed_reads(connection, ids[::-1])
        settle_reads(connection, [(stored.id, 7) for stored in rest])
    assert [stored.id for stored in first] == ids[:2]
    assert [stored.id for stored in rest] == ids[2:]
    with engine.connect() as connection:
        rows = {row.id: row for row in connection.execute(select(plate_reads))}
    for stored in first + rest:
        row = rows[stored.id]
        columns = (row.serial, row.plate, row.raw, row.confidence, row.region, row.at)
        assert stored == (row.id, *columns)
        assert stored.at.tzinfo is UTC and row.processed is True
    assert {rows[stored.id].sighting_id for stored in rest} == {7}
    assert {rows[stored.id].sighting_id for stored in first} == {5}
    engine.dispose()


def test_a_second_processing_transaction_does_not_get_the_reads_of_the_first(
    database_url: str,
) -> None:
    engine = create_database_engine(database_url)
    migrate(engine)
    with engine.begin() as connection:
        insert_reads(connection, [read("r1"), read("r2")])
    processing = writing_first(engine)
    got: list[list[int]] = []
    with processing.begin() as first:
        ids = [stored.id for stored in unprocessed_reads(first, [1, 2])]

        def second() -> None:
            with processing.begin() as connection:  # waits for the first to commit
                got.append([stored.id for stored in unprocessed_reads(connection, ids)])

        waiting = threading.Thread(target=second)
        waiting.start()
        waiting.join(0.5)
        assert waiting.is_alive()  # held off while the first has them
        settle_reads(first, [(read_id, 9) for read_id in ids])
    waiting.join(30)
    assert ids == [1, 2] and got == [[]]
    engine.dispose()


def test_reads_known_from_storing_come_back_as_the_store_has_them_while_unprocessed(
    database_url: str,
) -> None:
    """Processing takes the reads this process just stored from memory: asked of the store
    only whether each still waits, it gets what reading the rows back gives."""
    engine = create_database_engine(database_url)
    migrate(engine)
    many = [read(f"m{n}", AT + timedelta(milliseconds=n)) for n in range(ROWS_PER_STATEMENT + 3)]
    many[1] = read("m1", AT, confidence=None)
    with engine.begin() as connection:
        ids = insert_reads(connection, many)
    known = {ids[stored.key]: stored for stored in many}
    with engine.begin() as connection:
        from_store = unprocessed_reads(connection, list(known))
        from_memory = unprocessed_reads(connection, list(known)[::-1], known)
        assert from_memory == from_store and len(from_store) == len(many)
        assert {stored.at.tzinfo for stored in from_memory} == {UTC}  # as decoding gives them
        settle_reads(connection, [(from_store[0].id, 3)])
    with engine.begin() as connection:
        # A known read processed meanwhile (by another replica, say) is not taken again.
        again = unprocessed_reads(connection, list(known)[:2], known)
    assert [stored.id for stored in again] == [from_store[1].id]
    engine.dispose()
