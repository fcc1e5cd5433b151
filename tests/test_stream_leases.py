"""The stream lease in the store: one holder at a time, taken over only once it lapses, and
a segment listed only by the replica that holds it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.shares.stream_leases import Listed, StreamLeases, StreamState
from bot.store import Store
from tests.db_fixtures import database_url_fixture  # noqa: F401

T0 = datetime(2026, 3, 23, 14, 30, tzinfo=UTC)
LEASE = timedelta(seconds=15)
SERIAL = "Q2XX-AAAA-0001"


def listed(seq: int) -> Listed:
    return Listed(seq, T0 + timedelta(seconds=seq), 1.0, False)


async def test_one_holder_until_its_lease_lapses(database_url: str) -> None:
    store = await Store.open(database_url)
    leases = StreamLeases(store.engine, LEASE)
    try:
        assert await leases.claim(SERIAL, "a", T0) is not None
        assert await leases.claim(SERIAL, "b", T0 + timedelta(seconds=1)) is None
        assert await leases.publish(SERIAL, "a", T0 + timedelta(seconds=2), listed(1), 1)
        # b cannot list a segment of a stream it does not hold.
        assert not await leases.publish(SERIAL, "b", T0 + timedelta(seconds=2), listed(2), 1)
        await leases.watched(SERIAL, T0 + timedelta(seconds=10))
        state = StreamState(codec="avc1.42c00a", discontinuities=2)
        seen = await leases.renew(SERIAL, "a", T0 + timedelta(seconds=12), state)
        assert seen == T0 + timedelta(seconds=10)
        board = await leases.board(SERIAL, T0 + timedelta(seconds=20))
        assert board.holder == "a" and board.state == state
        assert [s.seq for s in board.segments] == [1]
        # a stops renewing: 15 s after its last renewal the lease is b's to take.
        assert await leases.claim(SERIAL, "b", T0 + timedelta(seconds=26)) is None
        taken = await leases.claim(SERIAL, "b", T0 + timedelta(seconds=28))
        assert taken is not None and [s.seq for s in taken.segments] == [1]
        assert await leases.renew(SERIAL, "a", T0 + timedelta(seconds=29), state) is None
        assert await leases.publish(SERIAL, "b", T0 + timedelta(seconds=30), listed(2), 2)
        await leases.release(SERIAL, "a", forget=True)  # not a's to give up any more
        kept = await leases.board(SERIAL, T0 + timedelta(seconds=31))
        assert kept.holder == "b" and [s.seq for s in kept.segments] == [2]  # not wiped
        await leases.release(SERIAL, "b", forget=True)
        gone = await leases.board(SERIAL, T0 + timedelta(seconds=31))
        assert gone.holder is None and gone.segments == ()
    finally:
        await store.close()
