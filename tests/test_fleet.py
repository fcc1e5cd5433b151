"""Replicas on one database: one leader by advisory lock, a survivor elected when it goes,
liveness as other replicas see it, and commands taken over only from dead replicas."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import timedelta

from sqlalchemy import text

from bot.fleet import Fleet, Standing
from bot.fleet.keys import ALIVE, LEADER, lock_key
from bot.inflight import CommandJournal, Tracker
from bot.messages import Message, Person, Place
from bot.runner import Delivery, Runner
from bot.store import Outcome, Store
from tests.db_fixtures import (  # noqa: F401
    database_factory_fixture,
    database_url_fixture,
    postgres_url_fixture,
)

LEASE = timedelta(seconds=3)
WAIT = 15.0  # a bound on an election: a follower tries every second with this lease
ROOM = Place("slack", "C1")


class Duties:
    """Counts how often leading began and ticked."""

    def __init__(self) -> None:
        self.started = 0
        self.ticked = asyncio.Event()

    async def start(self) -> None:
        self.started += 1

    async def tick(self) -> None:
        self.ticked.set()


@asynccontextmanager
async def fleet_on(
    url: str, *ids: str, lost: Callable[[], None] = lambda: None
) -> AsyncIterator[tuple[Store, list[Fleet], list[Duties]]]:
    async with AsyncExitStack() as stack:
        store = await Store.open(url)
        stack.push_async_callback(store.close)
        fleets, duties = [], []
        for replica_id in ids:
            fleet = Fleet(replica_id, store.engine, url, LEASE, on_lost=lost)
            await fleet.start()
            stack.push_async_callback(fleet.stop)
            work = Duties()
            await fleet.lead(work.start, work.tick)
            fleets.append(fleet)
            duties.append(work)
        yield store, fleets, duties


def test_lock_keys_differ_by_schema_purpose_and_replica() -> None:
    keys = {
        lock_key("s1", LEADER),
        lock_key("s2", LEADER),
        lock_key("s1", ALIVE, "a"),
        lock_key("s1", ALIVE, "b"),
        lock_key("s2", ALIVE, "a"),
    }
    assert len(keys) == 5
    assert all(-(2**63) <= key < 2**63 for key in keys)
    assert lock_key("s1", LEADER) == lock_key("s1", LEADER)


async def test_one_leads_the_other_follows_and_takes_over_when_it_goes(
    postgres_url: str,
) -> None:
    async with fleet_on(postgres_url, "a", "b") as (_, (a, b), (on_a, on_b)):
        assert (a.role, b.role) == (Standing.LEADER, Standing.FOLLOWER)
        assert (on_a.started, on_b.started) == (1, 0)
        assert await a.alive("b") and await b.alive("a") and await b.alive("b")
        assert not await a.alive("c")
        seen = {(r.id, r.role) for r in await a.seen()}
        assert seen == {("a", "leader"), ("b", "follower")}
        await asyncio.wait_for(on_a.ticked.wait(), WAIT)

        await a.stop()  # its session ends: the database frees its locks
        await asyncio.wait_for(b.elected.wait(), WAIT)
        assert b.role is Standing.LEADER and on_b.started == 1
        assert not await b.alive("a")
        await asyncio.wait_for(on_b.ticked.wait(), WAIT)


async def test_a_second_process_under_a_live_replicas_id_is_refused(postgres_url: str) -> None:
    async with fleet_on(postgres_url, "a") as (store, _, _):
        twin = Fleet("a", store.engine, postgres_url, LEASE)
        try:
            await twin.start()
        except RuntimeError as error:
            assert "another mvbot process runs as replica 'a'" in str(error)
        else:
            raise AssertionError("a second replica 'a' started")
        finally:
            await twin.stop()


async def test_fleets_in_two_schemas_each_have_their_leader(
    database_factory: Callable[[], str],
) -> None:
    first, second = database_factory(), database_factory()
    async with fleet_on(first, "a") as (_, (a,), _), fleet_on(second, "a") as (_, (b,), _):
        assert (a.role, b.role) == (Standing.LEADER, Standing.LEADER)


async def test_losing_the_lock_connection_stops_the_replica(postgres_url: str) -> None:
    lost = asyncio.Event()
    async with fleet_on(postgres_url, "a", lost=lost.set) as (store, (a,), _):
        with store.engine.begin() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": a.session})
        await asyncio.wait_for(lost.wait(), WAIT)


# Commands --------------------------------------------------------------------------------


class StubBot:
    """Records the commands it runs and leaves them unfinished (as a crash would)."""

    def __init__(self) -> None:
        self.handled: list[str] = []

    async def handle(self, message: Message, tracker: Tracker | None = None) -> Outcome:
        self.handled.append(message.text)
        return Outcome.OK

    async def preview(self, message: Message) -> str:
        return message.text

    async def abandon(self, message: Message, tracker: Tracker, reason: str) -> None:
        raise AssertionError("nothing here is too late")


def unreadable(platform: str, key: str, raw: object) -> None:
    return None


def said(words: str) -> Message:
    return Message(words, Person("slack", "U1"), ROOM)


def liveness(*alive: str) -> Callable[[str], asyncio.Future[bool]]:
    async def check(owner: str) -> bool:
        return owner in alive

    return check  # type: ignore[return-value]


async def test_commands_are_taken_over_from_dead_replicas_only(database_url: str) -> None:
    store = await Store.open(database_url)
    try:
        journal = CommandJournal(store.engine)
        for owner in ("a", "gone", "b"):
            assert await journal.add("slack", f"Ev-{owner}", None, said(f"from {owner}"), owner)
        bot = StubBot()
        b = Runner(bot, journal=journal, owner="b", alive=liveness("a", "b"))
        # At its start a replica takes what its own earlier life and dead replicas left.
        assert await b.resume(unreadable) == 2
        await b.idle()
        assert sorted(bot.handled) == ["from b", "from gone"]
        # Taken over: nobody else may take it from "gone" any more.
        assert not await journal.claim("slack", "Ev-gone", "c", "gone")
        # Periodically the leader takes none of its own running commands, nor a live one's.
        assert await b.take_over(unreadable) == 0
        # Once "a" has died, it does.
        b_later = Runner(bot, journal=journal, owner="b", alive=liveness("b"))
        assert await b_later.take_over(unreadable) == 1
        await b_later.idle()
        assert sorted(bot.handled) == ["from a", "from b", "from gone"]
    finally:
        await store.close()


async def test_a_retry_delivered_to_another_replica_runs_nothing(database_url: str) -> None:
    store = await Store.open(database_url)
    try:
        journal = CommandJournal(store.engine)
        first, second = StubBot(), StubBot()
        a = Runner(first, journal=journal, owner="a", alive=liveness("a", "b"))
        b = Runner(second, journal=journal, owner="b", alive=liveness("a", "b"))
        assert await a.accept(Delivery.of(said("clip lobby"), "Ev1")) is not None
        # Slack doubted its delivery and retried it; the load balancer chose replica b.
        assert await b.accept(Delivery.of(said("clip lobby"), "Ev1")) is None
        await a.idle()
        await b.idle()
        assert (first.handled, second.handled) == (["clip lobby"], [])
        record = await journal.record("slack", "Ev1")
        assert record is not None and record.owner == "a"
    finally:
        await store.close()
