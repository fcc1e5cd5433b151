"""The plate processing lock on a real PostgreSQL: one holder per schema, released by the
database when the holder's connection dies, and a batch on a dead connection never lands."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, text

from bot.events.processing_lock import ProcessingLock
from bot.store import Store, create_database_engine
from tests.db_fixtures import postgres_factory_fixture  # noqa: F401


@pytest.fixture(name="engines")
def engines_fixture() -> Iterator[Callable[[str], Engine]]:
    """`engines(url)`: an engine on that database, disposed afterwards."""
    made: list[Engine] = []

    def make(url: str) -> Engine:
        made.append(create_database_engine(url))
        return made[-1]

    yield make
    for engine in made:
        engine.dispose()


async def test_one_holder_per_schema_and_the_next_takes_it_when_released(
    postgres_factory: Callable[[], str], engines: Callable[[str], Engine]
) -> None:
    here, elsewhere = postgres_factory(), postgres_factory()
    first, second = ProcessingLock(engines(here)), ProcessingLock(engines(here))
    other = ProcessingLock(engines(elsewhere))
    assert await first.take()
    assert not await second.take()
    assert await other.take()  # another schema (another mvbot's database) is not held up
    await first.release()
    assert await second.take()
    for lock in (first, second, other):
        await lock.release()


async def test_a_holder_whose_connection_dies_stops_and_another_takes_over(
    postgres_factory: Callable[[], str], engines: Callable[[str], Engine]
) -> None:
    url = postgres_factory()
    store = await Store.open(url)  # the plate tables, for a batch on the lock's connection
    await store.close()
    engine = engines(url)
    holder, waiting = ProcessingLock(engine), ProcessingLock(engines(url))
    assert await holder.take()
    assert not await waiting.take()
    connection = holder.connection
    pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
    connection.commit()
    connection.begin()  # a batch under way when the connection is cut
    connection.exec_driver_sql(
        "INSERT INTO plate_reads (key, topic, serial, plate, raw, at, received_at, processed) "
        "VALUES ('k1', 't', 'Q2', 'ABC1234', 'ABC1234', now(), now(), true)"
    )
    with engines(url).begin() as admin:
        admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

    assert not await holder.alive()  # processing stops: the lock is gone with its session
    assert await waiting.take()
    with engine.connect() as look:
        assert look.exec_driver_sql("SELECT count(*) FROM plate_reads").scalar_one() == 0
    await waiting.release()
    await holder.release()
