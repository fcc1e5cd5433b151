"""Camera health in the database: each camera's state, the rooms that follow, the notices.

A confirmed change and the notices it owes every following room are written in one
transaction, before anyone is told; a notice is marked posted after its post, and the post
carries an idempotency key (bot.outbox), so a restart neither repeats nor loses one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.health.debounce import CameraHealth, Change
from bot.health.tables import camera_health, health_follows, health_notices
from bot.messages import Place
from bot.store.work import fetch, transact, write


@dataclass(frozen=True)
class HealthFollow:
    place: Place
    network: str | None  # None: every network


@dataclass(frozen=True)
class Notice:
    id: int
    serial: str
    camera: str
    status: str
    at: datetime
    place: Place


@dataclass(frozen=True)
class Told:
    """A confirmed change, with the camera's name and network to choose the rooms by."""

    change: Change
    camera: str
    networks: tuple[str, ...]  # the network's id and name
    may_see: Callable[[Place], bool]  # whether a room may hear of this camera at all


class HealthStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    async def states(self) -> dict[str, CameraHealth]:
        rows = await fetch(self._engine, select(camera_health))
        return {row.serial: _state(row) for row in rows}

    async def save(self, states: Sequence[CameraHealth], told: Sequence[Told]) -> list[int]:
        """Store the cameras' states and, with them, a notice per following room for each
        change told; the new notices' ids."""
        return await transact(self._engine, lambda c: self._save(c, states, told))

    def _save(
        self, connection: Connection, states: Sequence[CameraHealth], told: Sequence[Told]
    ) -> list[int]:
        # Writes first: on SQLite a transaction that reads before it writes may not upgrade.
        now = datetime.now(UTC)
        for state in states:
            values = {
                "status": state.status,
                "since": state.since,
                "seen": state.seen,
                "seen_since": state.seen_since,
                "updated_at": now,
            }
            where = camera_health.c.serial == state.serial
            if not connection.execute(update(camera_health).where(where).values(**values)).rowcount:
                connection.execute(insert(camera_health).values(serial=state.serial, **values))
        follows = [_follow(row) for row in connection.execute(select(health_follows))]
        ids = []
        for item in told:
            for follow in follows:
                if not _covers(follow, item.networks) or not item.may_see(follow.place):
                    continue
                statement = insert(health_notices).values(
                    serial=item.change.serial,
                    camera=item.camera,
                    status=item.change.status,
                    at=item.change.at,
                    platform=follow.place.platform,
                    room_id=follow.place.room_id,
                    posted=False,
                    created_at=now,
                )
                ids.append(
                    int(connection.execute(statement.returning(health_notices.c.id)).scalar_one())
                )
        return ids

    async def unposted(self) -> list[Notice]:
        query = select(health_notices).where(health_notices.c.posted.is_(False))
        return [
            _notice(row) for row in await fetch(self._engine, query.order_by(health_notices.c.id))
        ]

    async def notice(self, notice_id: int) -> Notice | None:
        rows = await fetch(
            self._engine, select(health_notices).where(health_notices.c.id == notice_id)
        )
        return _notice(rows[0]) if rows and not rows[0].posted else None

    async def posted(self, notice_id: int) -> None:
        statement = update(health_notices).where(health_notices.c.id == notice_id)
        await write(self._engine, statement.values(posted=True))

    async def follow(self, place: Place, network: str | None, by: str) -> bool:
        """Follow health in `place` (replacing its earlier follow); False if nothing changed."""

        def work(connection: Connection) -> bool:
            room = (health_follows.c.platform == place.platform) & (
                health_follows.c.room_id == place.room_id
            )
            same = (
                health_follows.c.network.is_(None)
                if network is None
                else health_follows.c.network == network
            )
            # Writes first (see _save): touching the same follow says nothing changed.
            touched = connection.execute(
                update(health_follows).where(room & same).values(created_by=by)
            ).rowcount
            if touched:
                return False
            connection.execute(delete(health_follows).where(room))
            connection.execute(
                insert(health_follows).values(
                    platform=place.platform,
                    room_id=place.room_id,
                    network=network,
                    created_by=by,
                    created_at=datetime.now(UTC),
                )
            )
            return True

        try:
            return await transact(self._engine, work)
        except IntegrityError:  # another follow of this room won the race: same outcome
            return False

    async def unfollow(self, place: Place) -> bool:
        statement = delete(health_follows).where(
            (health_follows.c.platform == place.platform)
            & (health_follows.c.room_id == place.room_id)
        )
        return await write(self._engine, statement) > 0

    async def follows(self) -> list[HealthFollow]:
        return [_follow(row) for row in await fetch(self._engine, select(health_follows))]


def _covers(follow: HealthFollow, networks: Iterable[str]) -> bool:
    if follow.network is None:
        return True
    wanted = follow.network.casefold()
    return any(n.casefold() == wanted for n in networks if n)


def _state(row: Row[Any]) -> CameraHealth:
    return CameraHealth(row.serial, row.status, row.since, row.seen, row.seen_since)


def _follow(row: Row[Any]) -> HealthFollow:
    return HealthFollow(Place(row.platform, row.room_id), row.network)


def _notice(row: Row[Any]) -> Notice:
    place = Place(row.platform, row.room_id)
    return Notice(row.id, row.serial, row.camera, row.status, row.at, place)
