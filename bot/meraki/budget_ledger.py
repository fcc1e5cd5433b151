"""The shared rate budget's side in PostgreSQL: grants, stamps, pauses and waiting replicas.

Blocking: call from a worker thread. Every grant of one organisation takes its `budget_orgs`
row FOR UPDATE, so grants are serialised per organisation across replicas (a row lock lives in
the schema, so tests in parallel schemas of one database do not meet). All times are the
database's clock (`clock_timestamp()`): the replicas' own clocks never enter a decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert

from bot.meraki.tables import budget_orgs, budget_starts, budget_waiters
from bot.store.work import DATABASE_CLOCK

# Starts older than this are deleted now and then (every so many grants); kept a while to
# inspect and test.
_KEEP = timedelta(seconds=60)
_SWEEP_EVERY = 64


@dataclass(frozen=True)
class Verdict:
    """A grant (the start's row id) or a refusal with the seconds until it is worth asking again."""

    start: int | None
    retry_in: float = 0.0
    paused_for: float = 0.0  # the organisation's pause left, when that was the reason


class BudgetLedger:
    """One organisation's budget rows as one replica sees them."""

    def __init__(
        self,
        engine: Engine,
        org: str,
        replica: str,
        *,
        capacity: int,
        span: float,
        hold: float,
        freshness: float,
    ) -> None:
        self._engine = engine
        self.org = org
        self.replica = replica
        self._capacity = capacity
        self._span = timedelta(seconds=span)
        self._hold = timedelta(seconds=hold)
        self._freshness = timedelta(seconds=freshness)
        # Whether the database may hold a waiting entry of ours: only the driver task calls
        # try_grant and unregister, one at a time. Wrong only towards an extra delete.
        self._registered = False

    def try_grant(self, priority: int, after: int | None, better_poll: float) -> Verdict:
        """Grant one start to this replica's waiter of `priority`, or say why not.

        Refused while the organisation is paused, while another replica has a fresh waiter
        of strictly better priority, or while the window is full. Either way this replica's
        best waiting priority is recorded: `priority` when refused, `after` (the next local
        waiter's, None for none) when granted.
        """
        with self._engine.begin() as connection:
            paused_until, now = self._lock(connection)
            refused = self._refusal(connection, paused_until, now, priority, better_poll)
            if refused is not None:
                self._register(connection, priority, now)
                return refused
            start = int(
                connection.execute(
                    budget_starts.insert()
                    .values(org=self.org, replica=self.replica, stamp=now + self._hold)
                    .returning(budget_starts.c.id)
                ).scalar_one()
            )
            if after is not None:
                self._register(connection, after, now)
            elif self._registered:
                self._unregister(connection)
            if start % _SWEEP_EVERY == 0:
                connection.execute(
                    delete(budget_starts).where(
                        budget_starts.c.org == self.org, budget_starts.c.stamp < now - _KEEP
                    )
                )
        self._registered = after is not None
        return Verdict(start)

    def _refusal(
        self,
        connection: Connection,
        paused_until: datetime | None,
        now: datetime,
        priority: int,
        better_poll: float,
    ) -> Verdict | None:
        """Why a waiter of `priority` gets no start now (the organisation is paused, another
        replica's better waiter goes first, the window is full), or None: it may have one."""
        if paused_until is not None and paused_until > now:
            pause = (paused_until - now).total_seconds()
            return Verdict(None, retry_in=pause, paused_for=pause)
        held, oldest, best = self._look(connection, now)
        free_in = (oldest + self._span - now).total_seconds() if held >= self._capacity else 0.0
        if best is not None and best < priority:
            return Verdict(None, retry_in=max(free_in, better_poll))
        if free_in > 0:
            return Verdict(None, retry_in=free_in)
        return None

    def stamp(self, start: int) -> None:
        """The start is on the wire (or over): from now on it ages like any other."""
        with self._engine.begin() as connection:
            connection.execute(
                update(budget_starts)
                .where(budget_starts.c.id == start)
                .values(stamp=DATABASE_CLOCK)
            )

    def extend(self, starts: list[int]) -> None:
        """These starts are still not on the wire: they go on counting as now."""
        with self._engine.begin() as connection:
            connection.execute(
                update(budget_starts)
                .where(budget_starts.c.id.in_(starts), budget_starts.c.stamp > DATABASE_CLOCK)
                .values(stamp=DATABASE_CLOCK + self._hold)
            )

    def release(self, start: int) -> None:
        """A grant never used (its waiter was cancelled): the start is given back."""
        with self._engine.begin() as connection:
            connection.execute(delete(budget_starts).where(budget_starts.c.id == start))

    def pause(self, seconds: float) -> None:
        """Nobody in the organisation starts a request for `seconds` (a 429's Retry-After)."""
        until = DATABASE_CLOCK + timedelta(seconds=seconds)
        statement = insert(budget_orgs).values(org=self.org, paused_until=until)
        excluded = statement.excluded.paused_until
        current = func.coalesce(budget_orgs.c.paused_until, excluded)
        with self._engine.begin() as connection:
            connection.execute(
                statement.on_conflict_do_update(
                    index_elements=[budget_orgs.c.org],
                    set_={"paused_until": func.greatest(current, excluded)},
                )
            )

    def register(self, priority: int) -> None:
        """This replica has a waiter of `priority` (kept fresh while it asks nothing)."""
        with self._engine.begin() as connection:
            now = connection.execute(select(DATABASE_CLOCK)).scalar_one()
            self._register(connection, priority, now)

    def unregister(self) -> None:
        """This replica has nobody waiting any more."""
        with self._engine.begin() as connection:
            self._unregister(connection)
        self._registered = False

    def _lock(self, connection: Connection) -> tuple[datetime | None, datetime]:
        query = (
            select(budget_orgs.c.paused_until, DATABASE_CLOCK)
            .where(budget_orgs.c.org == self.org)
            .with_for_update()
        )
        row = connection.execute(query).one_or_none()
        if row is None:
            connection.execute(insert(budget_orgs).values(org=self.org).on_conflict_do_nothing())
            row = connection.execute(query).one()
        return row[0], row[1]

    def _look(self, connection: Connection, now: datetime) -> tuple[int, datetime, int | None]:
        """The starts in the window, the oldest one's time, and the best priority another
        replica has waiting (fresh entries only), in one round trip. A start not yet on the
        wire (stamp in the future) counts as now."""
        starts = (budget_starts.c.org == self.org, budget_starts.c.stamp > now - self._span)
        oldest = func.min(func.least(budget_starts.c.stamp, now))
        others = (
            budget_waiters.c.org == self.org,
            budget_waiters.c.replica != self.replica,
            budget_waiters.c.seen_at > now - self._freshness,
        )
        row = connection.execute(
            select(
                select(func.count()).where(*starts).scalar_subquery(),
                select(oldest).where(*starts).scalar_subquery(),
                select(func.min(budget_waiters.c.priority)).where(*others).scalar_subquery(),
            )
        ).one()
        held, first, best = row
        return int(held), first if first is not None else now, best

    def _register(self, connection: Connection, priority: int, now: datetime) -> None:
        self._registered = True
        statement = insert(budget_waiters).values(
            org=self.org, replica=self.replica, priority=priority, seen_at=now
        )
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=[budget_waiters.c.org, budget_waiters.c.replica],
                set_={"priority": priority, "seen_at": now},
            )
        )

    def _unregister(self, connection: Connection) -> None:
        connection.execute(
            delete(budget_waiters).where(
                budget_waiters.c.org == self.org, budget_waiters.c.replica == self.replica
            )
        )
