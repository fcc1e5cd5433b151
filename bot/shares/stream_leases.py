"""Who fetches a camera's near-live stream when several replicas serve its viewers.

One replica at a time holds a camera's lease and fetches its segments into the shared data
directory; every replica lists them from `stream_segments`. The holder renews the lease while
anyone watches; when it stops renewing (stopped, killed, cut off from the database) the lease
lapses and the next replica whose viewers ask takes it over, carrying on from the last
segment listed. `SoloLeases` is the single-process case (SQLite): always the holder, nothing
to share.

Times are the replicas' clocks: they must agree to well within the lease (NTP does).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, delete, select, update

from bot.shares.tables import stream_leases, stream_segments
from bot.store.work import transact, upsert_into, write

NOBODY_ELSE = datetime.min.replace(tzinfo=UTC)  # "last watched elsewhere": never


@dataclass(frozen=True)
class Listed:
    """A segment as the index lists it; its files are `<seq>.ts` and `<seq>.mp4`."""

    seq: int
    start: datetime
    duration: float
    discontinuity: bool


@dataclass(frozen=True)
class StreamState:
    """What the holder tells the other replicas besides the segments."""

    codec: str | None = None
    problem: str | None = None
    due_at: datetime | None = None
    delayed: bool = False
    discontinuities: int = 0


@dataclass(frozen=True)
class Board:
    """A camera's lease and listed segments, as a replica that does not hold it reads them."""

    holder: str | None  # None: nobody holds it, or the lease has lapsed
    state: StreamState
    segments: tuple[Listed, ...]


class Leases(Protocol):
    shared: bool  # whether other replicas read what the holder writes
    lease: timedelta  # how long a lease lasts unless renewed

    async def claim(self, serial: str, holder: str, now: datetime) -> Board | None:
        """Take the lease if it is free, lapsed or ours: the board as it stood, else None."""
        ...

    async def renew(
        self, serial: str, holder: str, now: datetime, state: StreamState
    ) -> datetime | None:
        """Keep the lease and publish the state; when anyone last watched, None if lost."""
        ...

    async def publish(
        self, serial: str, holder: str, now: datetime, segment: Listed, oldest: int
    ) -> bool:
        """List a segment written to disk and forget those before `oldest`; False if the
        lease was lost (the segment is not listed)."""
        ...

    async def release(self, serial: str, holder: str, *, forget: bool) -> None:
        """Give the lease up (`forget`: and the listed segments, nobody watches)."""
        ...

    async def board(self, serial: str, now: datetime) -> Board: ...

    async def watched(self, serial: str, now: datetime) -> None:
        """Say that a viewer of this replica watches the camera."""
        ...


class SoloLeases:
    """One process: it always holds every lease, and nobody else reads the index."""

    shared = False
    lease = timedelta(days=1)  # nobody waits for it to lapse

    async def claim(self, serial: str, holder: str, now: datetime) -> Board | None:
        return Board(holder, StreamState(), ())

    async def renew(
        self, serial: str, holder: str, now: datetime, state: StreamState
    ) -> datetime | None:
        return NOBODY_ELSE

    async def publish(
        self, serial: str, holder: str, now: datetime, segment: Listed, oldest: int
    ) -> bool:
        return True

    async def release(self, serial: str, holder: str, *, forget: bool) -> None:
        return None

    async def board(self, serial: str, now: datetime) -> Board:
        return Board(None, StreamState(), ())

    async def watched(self, serial: str, now: datetime) -> None:
        return None


class StreamLeases:
    """The leases and the segment index in the store (PostgreSQL for replicas)."""

    shared = True

    def __init__(self, engine: Engine, lease: timedelta) -> None:
        self._engine = engine
        self.lease = lease

    async def claim(self, serial: str, holder: str, now: datetime) -> Board | None:
        def work(connection: Connection) -> Board | None:
            fresh = {"holder": holder, "until": now + self.lease, "watched_at": now}
            statement = (
                upsert_into(connection, stream_leases)
                .values(serial=serial, delayed=False, discontinuities=0, **fresh)
                .on_conflict_do_update(
                    index_elements=[stream_leases.c.serial],
                    set_={"holder": holder, "until": now + self.lease},
                    # Only a lapsed lease, or our own, changes hands: the update is atomic.
                    where=(stream_leases.c.until < now) | (stream_leases.c.holder == holder),
                )
                .returning(stream_leases.c.holder)
            )
            if connection.execute(statement).first() is None:
                return None
            return _board(connection, serial, now)

        return await transact(self._engine, work)

    async def renew(
        self, serial: str, holder: str, now: datetime, state: StreamState
    ) -> datetime | None:
        statement = (
            update(stream_leases)
            .where(stream_leases.c.serial == serial, stream_leases.c.holder == holder)
            .values(
                until=now + self.lease,
                codec=state.codec,
                problem=state.problem,
                due_at=state.due_at,
                delayed=state.delayed,
                discontinuities=state.discontinuities,
            )
            .returning(stream_leases.c.watched_at)
        )
        return await transact(
            self._engine, lambda connection: connection.execute(statement).scalar_one_or_none()
        )

    async def publish(
        self, serial: str, holder: str, now: datetime, segment: Listed, oldest: int
    ) -> bool:
        def work(connection: Connection) -> bool:
            held = connection.execute(
                update(stream_leases)
                .where(stream_leases.c.serial == serial, stream_leases.c.holder == holder)
                .values(until=now + self.lease)
            )
            if held.rowcount != 1:
                return False
            row = {
                "serial": serial,
                "seq": segment.seq,
                "start": segment.start,
                "duration": segment.duration,
                "discontinuity": segment.discontinuity,
            }
            connection.execute(
                upsert_into(connection, stream_segments).values(row).on_conflict_do_nothing()
            )
            connection.execute(
                delete(stream_segments).where(
                    stream_segments.c.serial == serial, stream_segments.c.seq < oldest
                )
            )
            return True

        return await transact(self._engine, work)

    async def release(self, serial: str, holder: str, *, forget: bool) -> None:
        def work(connection: Connection) -> None:
            gone = connection.execute(
                delete(stream_leases).where(
                    stream_leases.c.serial == serial, stream_leases.c.holder == holder
                )
            )
            if forget and gone.rowcount == 1:
                connection.execute(
                    delete(stream_segments).where(stream_segments.c.serial == serial)
                )

        await transact(self._engine, work)

    async def board(self, serial: str, now: datetime) -> Board:
        return await transact(self._engine, lambda c: _board(c, serial, now))

    async def watched(self, serial: str, now: datetime) -> None:
        await write(
            self._engine,
            update(stream_leases)
            .where(stream_leases.c.serial == serial, stream_leases.c.watched_at < now)
            .values(watched_at=now),
        )


def _listed(serial: str) -> Any:
    return (
        select(stream_segments)
        .where(stream_segments.c.serial == serial)
        .order_by(stream_segments.c.seq)
    )


def _board(connection: Connection, serial: str, now: datetime) -> Board:
    lease = connection.execute(
        select(stream_leases).where(stream_leases.c.serial == serial)
    ).first()
    return _as_board(lease, list(connection.execute(_listed(serial))), now)


def _as_board(lease: Any, segments: list[Any], now: datetime) -> Board:
    listed = tuple(Listed(s.seq, s.start, s.duration, s.discontinuity) for s in segments)
    if lease is None:
        return Board(None, StreamState(), listed)
    state = StreamState(
        lease.codec, lease.problem, lease.due_at, lease.delayed, lease.discontinuities
    )
    holder = lease.holder if lease.until >= now else None
    return Board(holder, state, listed)
