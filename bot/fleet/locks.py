"""One dedicated PostgreSQL connection holding this replica's session advisory locks.

Session advisory locks live exactly as long as the connection that took them: when a
replica dies, or its host goes silent, the database itself ends the session and frees its
locks. TCP keepalives on both ends (and tcp_user_timeout) bound how long a silent peer
keeps them: about the lease on the server's side, while this side, pinging every third of
the lease and waiting at most half of it for an answer, gives up within five sixths of it
(bot/fleet/fleet.py says what happens then).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import make_url

if TYPE_CHECKING:
    import psycopg


def lock_conninfo(database_url: str, lease: timedelta) -> str:
    """libpq connection string for the lock connection of a SQLAlchemy PostgreSQL URL."""
    url = make_url(database_url)
    options = str(url.query.get("options", ""))
    url = url.set(drivername="postgresql").difference_update_query(["options"])
    third = max(int(lease.total_seconds() / 3), 1)
    sixth = max(int(lease.total_seconds() / 6), 1)
    # The server's side: these settings are the backend's own socket options.
    server = (
        f"-c tcp_keepalives_idle={third} -c tcp_keepalives_interval={sixth} "
        f"-c tcp_keepalives_count=4 -c tcp_user_timeout={int(lease.total_seconds() * 1000)}"
    )
    # Imported here: psycopg is the `postgres` extra, and SQLite needs no lock connection.
    from psycopg.conninfo import make_conninfo

    return make_conninfo(
        url.render_as_string(hide_password=False),
        options=f"{options} {server}".strip(),
        application_name="mvbot-fleet",
        connect_timeout=max(third, 2),
        keepalives=1,
        keepalives_idle=third,
        keepalives_interval=sixth,
        keepalives_count=3,
        tcp_user_timeout=int(lease.total_seconds() * 1000 / 2),
    )


class LockConnection:
    """Try-lock, unlock and ping on one autocommit connection; each call bounded by
    `timeout` seconds (a call that takes longer means the connection is as good as lost)."""

    def __init__(self, connection: psycopg.AsyncConnection[tuple[object, ...]], timeout: float):
        self._connection = connection
        self._timeout = timeout

    @classmethod
    async def open(cls, conninfo: str, bound: float) -> LockConnection:
        import psycopg  # the `postgres` extra (see lock_conninfo)

        connection = await psycopg.AsyncConnection.connect(conninfo, autocommit=True)
        return cls(connection, bound)

    @property
    def pid(self) -> int:
        """The database backend holding the locks (pg_stat_activity.pid)."""
        return self._connection.info.backend_pid

    async def schema(self) -> str:
        return str(await self._value("SELECT current_schema()"))

    async def try_lock(self, key: int) -> bool:
        return bool(await self._value("SELECT pg_try_advisory_lock(%s)", key))

    async def unlock(self, key: int) -> None:
        await self._value("SELECT pg_advisory_unlock(%s)", key)

    async def held_elsewhere(self, key: int) -> bool:
        """Whether another session holds `key` (taken and given back at once if not)."""
        if await self.try_lock(key):
            await self.unlock(key)
            return False
        return True

    async def ping(self) -> None:
        await self._value("SELECT 1")

    async def close(self) -> None:
        await self._connection.close()

    async def _value(self, query: str, *args: object) -> object:
        async with asyncio.timeout(self._timeout):
            cursor = await self._connection.execute(query, args or None)
            row = await cursor.fetchone()
        assert row is not None
        return row[0]
