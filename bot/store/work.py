"""Database work off the event loop: each helper runs its blocking part in a worker thread."""

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Connection, DateTime, Engine, Row, Table, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import Executable

T = TypeVar("T")

# PostgreSQL's clock as the statement runs (not the transaction's start): what replicas
# compare times by, so that their own clocks never enter a decision.
DATABASE_CLOCK = func.clock_timestamp(type_=DateTime(timezone=True))


async def fetch(engine: Engine, query: Executable) -> list[Row[Any]]:
    """The rows a query returns."""
    return await asyncio.to_thread(_fetch, engine, query)


async def write(engine: Engine, statement: Executable) -> int:
    """Run one statement in its own transaction; the number of rows it touched."""
    return await transact(engine, lambda connection: connection.execute(statement).rowcount)


async def transact(engine: Engine, work: Callable[[Connection], T]) -> T:
    """Run `work` in one transaction: committed when it returns, rolled back if it raises."""
    return await asyncio.to_thread(_transact, engine, work)


def upsert_into(connection: Connection, table: Table) -> Any:
    """An INSERT into `table` that takes ON CONFLICT clauses, in the connection's dialect."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def _fetch(engine: Engine, query: Executable) -> list[Row[Any]]:
    with engine.connect() as connection:
        return list(connection.execute(query))


def _transact(engine: Engine, work: Callable[[Connection], T]) -> T:
    with engine.begin() as connection:
        return work(connection)
