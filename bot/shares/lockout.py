"""PIN lock-out: every attempt is counted in the store before its PIN is evaluated.

Counting first, in one transaction that also decides, is what makes the limit hold under
concurrency: fifty guesses sent at once each take a numbered place, and only the first
`ADDRESS_LIMIT` are evaluated. Counting in the store makes the lock outlive a restart and
bind every replica on the same database.

Two scopes: each (link, client address) pair, and the link as a whole for addresses that
never entered its right PIN. An address that did (the recipient, whose cookie was lost or
who moved to another browser) gets a short lock and is not bound by the link-wide one, so
a stranger guessing from many addresses cannot keep the recipient out for long.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, and_, select, update

from bot.shares.tables import share_pin_attempts as attempts
from bot.store.work import transact, upsert_into

ADDRESS_LIMIT = 5  # wrong PINs from one address before it is locked out
LINK_LIMIT = 20  # wrong PINs on one link from addresses that never had it right
RECIPIENT_LOCK = timedelta(minutes=1)  # an address that entered this link's right PIN before
STRANGER_LOCK = timedelta(hours=1)  # any other address, and the link for all of them
WINDOW = timedelta(hours=1)  # failures older than this are forgotten
WHOLE_LINK = "*"  # the address column of the link-wide count (no client address looks so)
_ADDRESS_LENGTH = 64


@dataclass(frozen=True)
class Admission:
    """Whether an attempt may be evaluated; if not, how long until one may."""

    allowed: bool
    retry_after: timedelta = timedelta(0)


@dataclass
class _Count:
    failures: int
    first_at: datetime | None
    locked_until: datetime | None
    right_at: datetime | None

    def settle(self, now: datetime) -> None:
        """Forget a lock that has run out and failures older than the window."""
        ran_out = self.locked_until is not None and self.locked_until <= now
        stale = self.first_at is not None and now - self.first_at >= WINDOW
        if ran_out or stale:
            self.failures, self.first_at, self.locked_until = 0, None, None

    def locked_for(self, now: datetime) -> timedelta:
        if self.locked_until is None or self.locked_until <= now:
            return timedelta(0)
        return self.locked_until - now

    def count(self, now: datetime, limit: int, lock: timedelta) -> None:
        self.failures += 1
        self.first_at = self.first_at or now
        if self.failures >= limit:
            self.locked_until = now + lock


class PinLockout:
    """Admits PIN attempts per link and client address; may be awaited from the event loop."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime]) -> None:
        self._engine = engine
        self.clock = clock

    async def admit(self, link_id: str, address: str) -> Admission:
        """Count an attempt and say whether its PIN may be evaluated (before reading it)."""
        address = address[:_ADDRESS_LENGTH]
        now = self.clock()

        def work(connection: Connection) -> Admission:
            whole, mine = _locked_counts(connection, link_id, address)
            mine.settle(now)
            whole.settle(now)
            known = mine.right_at is not None
            wait = max(mine.locked_for(now), timedelta(0) if known else whole.locked_for(now))
            if wait > timedelta(0):
                return Admission(False, wait)
            mine.count(now, ADDRESS_LIMIT, RECIPIENT_LOCK if known else STRANGER_LOCK)
            _store(connection, link_id, address, mine)
            if not known:
                whole.count(now, LINK_LIMIT, STRANGER_LOCK)
                _store(connection, link_id, WHOLE_LINK, whole)
            return Admission(True)

        return await transact(self._engine, work)

    async def succeeded(self, link_id: str, address: str) -> None:
        """The PIN was right: the address starts afresh, known as the recipient's from now on,
        and the link-wide count gives back the attempt it took."""
        address = address[:_ADDRESS_LENGTH]
        now = self.clock()

        def work(connection: Connection) -> None:
            whole, mine = _locked_counts(connection, link_id, address)
            if mine.right_at is None and whole.failures > 0:
                whole.failures -= 1
                _store(connection, link_id, WHOLE_LINK, whole)
            _store(connection, link_id, address, _Count(0, None, None, now))

        await transact(self._engine, work)


def _locked_counts(connection: Connection, link_id: str, address: str) -> tuple[_Count, _Count]:
    """The link-wide count and the address's, locked until the transaction ends.

    The first statement writes (ensuring both rows exist), so SQLite takes its write lock
    before anything is read; PostgreSQL locks the two rows, always in the same order."""
    keys = sorted({WHOLE_LINK, address})
    connection.execute(
        upsert_into(connection, attempts)
        .values([{"link_id": link_id, "address": key, "failures": 0} for key in keys])
        .on_conflict_do_nothing()
    )
    query = (
        select(attempts)
        .where(attempts.c.link_id == link_id, attempts.c.address.in_(keys))
        .order_by(attempts.c.address)
        .with_for_update()
    )
    rows = {
        row.address: _Count(row.failures, row.first_at, row.locked_until, row.right_at)
        for row in connection.execute(query)
    }
    return rows[WHOLE_LINK], rows[address]


def _store(connection: Connection, link_id: str, address: str, count: _Count) -> None:
    connection.execute(
        update(attempts)
        .where(and_(attempts.c.link_id == link_id, attempts.c.address == address))
        .values(
            failures=count.failures,
            first_at=count.first_at,
            locked_until=count.locked_until,
            right_at=count.right_at,
        )
    )
