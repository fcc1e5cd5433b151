"""Secrets of the installation, kept in the database so that every replica holds the same."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, Connection, Engine, MetaData, String, Table, Text, select

from bot.store.column_types import UTCDateTime
from bot.store.work import transact, upsert_into

metadata = MetaData()

# Schema version 18 built it.
installation_secrets = Table(
    "installation_secrets",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)


async def installation_secret(engine: Engine, name: str, make: Callable[[], str]) -> str:
    """The secret `name`, made with `make()` by whichever replica asks first.

    Insert-if-absent, then read: replicas starting together each offer their own value, the
    database keeps the first, and every replica reads that one back.
    """

    def work(connection: Connection) -> str:
        # Write first: SQLite then takes its write lock before reading, and waits for it.
        row = {"name": name, "value": make(), "created_at": datetime.now(UTC)}
        insert = upsert_into(connection, installation_secrets)
        connection.execute(insert.values(row).on_conflict_do_nothing())
        return str(connection.execute(_value(name)).scalar_one())

    return await transact(engine, work)


def _value(name: str) -> Any:
    return select(installation_secrets.c.value).where(installation_secrets.c.name == name)
