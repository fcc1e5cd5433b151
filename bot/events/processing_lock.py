"""Plate processing among replicas: one at a time, by a PostgreSQL session advisory lock.

Reads of one car may be stored by different replicas (each gets its share of the MQTT
shared subscription); merging them into one sighting needs one processor at a time. The
replica that holds the lock processes every replica's reads, and does so on the very
connection that holds it: should that connection die, the database releases the lock and
rolls back the batch in flight together, so a successor never sees half a batch nor works
beside one. The key includes the schema, so that mvbots on separate schemas of one
database (tests do this) do not wait for each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy import Connection, Engine, text

log = logging.getLogger(__name__)

LOCK_CLASS = 0x6D76  # "mv": the first half of the key, the schema's hash the second
_TRY = text("SELECT pg_try_advisory_lock(:class, hashtext(current_schema()))")
_RELEASE = text("SELECT pg_advisory_unlock(:class, hashtext(current_schema()))")


class ProcessingLock:
    """The plate processing lock and the connection that holds it (PostgreSQL only)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._connection: Connection | None = None
        self.held = False

    @property
    def connection(self) -> Connection:
        """The lock's connection: the processing transactions run on it."""
        assert self._connection is not None and self.held, "the lock is not held"
        return self._connection

    async def take(self) -> bool:
        """Try once to take the lock; whether this replica holds it now."""
        if self.held:
            return True
        try:
            self.held = await asyncio.to_thread(self._take)
        except Exception as error:
            log.warning("plate processing lock not taken error=%r", error)
            self._drop()
        if self.held:
            log.info("plate processing lock taken: this replica processes plate reads")
        return self.held

    async def alive(self) -> bool:
        """Whether the lock is still held (its connection answers); drops it if not."""
        if not self.held:
            return False
        try:
            await asyncio.to_thread(self._ping)
        except Exception as error:
            log.warning("plate processing lock lost error=%r; processing stops", error)
            self._drop()
        return self.held

    async def release(self) -> None:
        """Give the lock up (at stop, or after an error on its connection)."""
        if self._connection is None:
            return
        connection, self._connection = self._connection, None
        held, self.held = self.held, False
        with contextlib.suppress(Exception):
            await asyncio.to_thread(self._unlock, connection, held)
        if held:
            log.info("plate processing lock released")

    def _take(self) -> bool:
        if self._connection is None:
            self._connection = self._engine.connect()
        connection = self._connection
        taken = bool(connection.execute(_TRY, {"class": LOCK_CLASS}).scalar())
        connection.commit()  # a session lock outlives the transaction; idle, not "in transaction"
        return taken

    def _ping(self) -> None:
        assert self._connection is not None
        self._connection.exec_driver_sql("SELECT 1")
        self._connection.commit()

    def _unlock(self, connection: Connection, held: bool) -> None:
        try:
            if held:
                connection.rollback()
                connection.execute(_RELEASE, {"class": LOCK_CLASS})
                connection.commit()
            connection.close()
        except Exception:
            connection.invalidate()  # closed for good: the database releases what it held
            raise

    def _drop(self) -> None:
        """The connection failed: never give it back to the pool (it may hold the lock)."""
        connection, self._connection, self.held = self._connection, None, False
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.invalidate()
