"""This replica among the others on one database: alive, leading or following.

On PostgreSQL a dedicated connection (locks.py) holds two kinds of session advisory
lock: this replica's liveness lock, held from start to stop, and, for one replica at a
time, the leader lock. Followers try for the leader lock every third of the lease; the
database frees both when a replica dies, so no heartbeat of ours decides anything.

Losing that connection ends the process (exit status LOST_EXIT, one critical log line):
its locks are gone or about to go, so another replica may already lead or be taking this
one's commands over, and the safe way out of that is to stop at once and let the
supervisor start the process again. On SQLite one process runs (bot.store.one_process),
and it leads from the start.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy import Engine, insert, select, update

from bot.fleet.keys import ALIVE, LEADER, lock_key
from bot.fleet.locks import LockConnection, lock_conninfo
from bot.fleet.tables import replicas
from bot.store.work import fetch, write

log = logging.getLogger(__name__)

LOST_EXIT = 75  # EX_TEMPFAIL: start me again
Work = Callable[[], Awaitable[object]]


class Standing(StrEnum):
    LEADER = "leader"
    FOLLOWER = "follower"


@dataclass(frozen=True)
class Replica:
    """A replica's row, as /healthz lists it."""

    id: str
    role: str
    started_at: datetime
    seen_at: datetime
    url: str | None


def _now() -> datetime:
    return datetime.now(UTC)


def _exit_now() -> None:
    os._exit(LOST_EXIT)  # no clean-up: another replica may lead already


class Fleet:
    """Elects one leader among the replicas on a database and tells who is alive.

    `lead(duties, tick)` says what leading means: `duties` runs once, when this replica
    becomes the leader (at once on SQLite), and `tick` every third of the lease after.
    """

    def __init__(
        self,
        replica_id: str,
        engine: Engine,
        database_url: str,
        lease: timedelta,
        *,
        on_lost: Callable[[], None] = _exit_now,
    ) -> None:
        self.id = replica_id
        self.url: str | None = None  # its web server, once it listens
        self._engine = engine
        self._database_url = database_url
        self._lease = lease
        self._every = lease.total_seconds() / 3
        self._on_lost = on_lost
        self._role = Standing.FOLLOWER
        self._locks: LockConnection | None = None
        self._schema = ""
        self._started_at = _now()
        self._seen_once = False
        self._duties: Work | None = None
        self._tick: Work | None = None
        self._loop: asyncio.Task[None] | None = None
        self.elected = asyncio.Event()  # set once leading and its duties started

    @property
    def role(self) -> Standing:
        return self._role

    @property
    def session(self) -> int | None:
        """The database backend holding this replica's locks; None on SQLite."""
        return self._locks.pid if self._locks is not None else None

    @property
    def shared(self) -> bool:
        """Whether other replicas may share the database (PostgreSQL)."""
        return self._engine.dialect.name == "postgresql"

    async def start(self) -> None:
        """Take this replica's liveness lock and, if free, the leader lock; then keep
        trying for it. Raises when another live process already runs under this id."""
        if self.shared:
            # A call that takes half the lease means the connection is as good as lost.
            bound = self._lease.total_seconds() / 2
            self._locks = await LockConnection.open(
                lock_conninfo(self._database_url, self._lease), bound
            )
            self._schema = await self._locks.schema()
            await self._take_liveness()
            if await self._locks.try_lock(self._key(LEADER)):
                self._role = Standing.LEADER
        else:
            self._role = Standing.LEADER
        await self._heartbeat()
        log.info("replica started id=%s role=%s", self.id, self._role)

    async def lead(self, duties: Work, tick: Work) -> None:
        """What leading means; run now when this replica leads already, and keep looking."""
        self._duties, self._tick = duties, tick
        if self._role is Standing.LEADER:
            await self._take_up()
        self._loop = asyncio.create_task(self._watch(), name="fleet")

    async def listening(self, url: str) -> None:
        """This replica's web server listens at `url`: in its row from now on."""
        self.url = url
        await self._heartbeat()

    async def alive(self, replica_id: str) -> bool:
        """Whether the replica named `replica_id` runs now (its liveness lock is held)."""
        if replica_id == self.id:
            return True
        if self._locks is None:
            return False  # SQLite: this is the only process
        return await self._locks.held_elsewhere(self._key(ALIVE, replica_id))

    async def seen(self) -> list[Replica]:
        """The replicas heard from within the lease, by id."""
        since = _now() - self._lease
        rows = await fetch(
            self._engine,
            select(replicas).where(replicas.c.seen_at >= since).order_by(replicas.c.id),
        )
        return [Replica(r.id, r.role, r.started_at, r.seen_at, r.url) for r in rows]

    async def stop_watching(self) -> None:
        """Take up no duty from now on (the bot is stopping); the locks stay held."""
        if self._loop is not None:
            self._loop.cancel()
            await asyncio.gather(self._loop, return_exceptions=True)

    async def stop(self) -> None:
        """Give the locks back (closing their connection): last, once jobs stopped here."""
        await self.stop_watching()
        if self._locks is not None:
            await self._locks.close()

    def _key(self, purpose: str, *names: str) -> int:
        return lock_key(self._schema, purpose, *names)

    async def _take_liveness(self) -> None:
        # A replica restarted under the same id waits for its earlier life's session to end.
        assert self._locks is not None
        deadline = asyncio.get_running_loop().time() + 2 * self._lease.total_seconds()
        while not await self._locks.try_lock(self._key(ALIVE, self.id)):
            if asyncio.get_running_loop().time() > deadline:
                raise RuntimeError(
                    f"another mvbot process runs as replica {self.id!r} on this database; "
                    "give each replica its own MVBOT_REPLICA_ID"
                )
            await asyncio.sleep(1.0)

    async def _take_up(self) -> None:
        log.info("leader elected replica=%s", self.id)
        await self._heartbeat()
        if self._duties is not None:
            await self._duties()
        self.elected.set()

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self._every)
            try:
                elected = await self._look()
            except Exception as error:
                log.critical(
                    "replica %s lost its lock connection to the database while %s (error=%r); "
                    "exiting so that the supervisor starts it again",
                    self.id,
                    self._role,
                    error,
                )
                self._on_lost()
                return
            try:
                if elected:
                    await self._take_up()
                else:
                    await self._heartbeat()
                    if self._role is Standing.LEADER and self._tick is not None:
                        await self._tick()
            except Exception:
                log.exception("leader's work failed replica=%s", self.id)

    async def _look(self) -> bool:
        """Ping the lock connection; a follower tries for the leader lock (a ping too).
        True when this replica has just become the leader."""
        if self._locks is None:
            return False
        if self._role is Standing.LEADER:
            await self._locks.ping()
            return False
        if await self._locks.try_lock(self._key(LEADER)):
            self._role = Standing.LEADER
            return True
        return False

    async def _heartbeat(self) -> None:
        values = {"role": self._role.value, "seen_at": _now(), "url": self.url}
        if not self._seen_once:  # a restart under the same id starts its row again
            values["started_at"] = self._started_at
        statement = update(replicas).where(replicas.c.id == self.id).values(values)
        if await write(self._engine, statement) == 0:
            values["started_at"] = self._started_at
            await write(self._engine, insert(replicas).values(id=self.id, **values))
        self._seen_once = True
