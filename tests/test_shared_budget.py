"""One rate budget per organisation across replicas, through PostgreSQL (real time, real sockets).

Each "replica" is a SharedBudget on its own engine under its own replica id (one test runs them
as separate processes). The shared parts run only on PostgreSQL; SQLite keeps the in-memory
budget, which tests/test_meraki_budget.py covers.
"""

from __future__ import annotations

import asyncio
import bisect
import sys
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, insert, make_url, select

from adapters.memory import MemoryAdapter
from bot.app import running_bot
from bot.meraki import MerakiClient, Priority, RateBudget
from bot.meraki.shared_budget import SharedBudget, organisation_budget
from bot.meraki.tables import budget_starts, budget_waiters
from bot.store import Store, create_database_engine
from simulator import Faults, SimulatorServer
from simulator.state import RequestRecord
from tests.bot_fixtures import bot_settings
from tests.bot_process import ROOT, mvbot_run, process_env
from tests.db_fixtures import database_url_fixture  # noqa: F401
from tests.test_meraki_e2e import camera_named, utc_now

SPAN = 1.05  # the budget's window and margin
ORG = "org-1"
RATE = 5.0
WAIT = 30.0  # a bound on any wait below; none takes more than a few seconds

Factory = Callable[..., SimulatorServer]


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    opened = await Store.open(database_url)
    yield opened
    await opened.close()


@pytest.fixture
async def postgres(store: Store) -> str:
    if store.engine.dialect.name != "postgresql":
        pytest.skip("the shared budget lives in PostgreSQL")
    return store.engine.url.render_as_string(hide_password=False)


@asynccontextmanager
async def replicas(
    url: str, *names: str, rate: float = RATE, **options: Any
) -> AsyncIterator[list[SharedBudget]]:
    """One SharedBudget per name, each on an engine of its own, closed afterwards."""
    async with AsyncExitStack() as stack:
        budgets = []
        for name in names:
            engine = create_database_engine(url)
            stack.callback(engine.dispose)
            budget = SharedBudget(engine, ORG, name, rate, **options)
            stack.push_async_callback(budget.aclose)
            budgets.append(budget)
        yield budgets


def most_in_any_window(times: list[float], span: float) -> int:
    times = sorted(times)
    return max(bisect.bisect_left(times, t + span) - i for i, t in enumerate(times))


def accepted_times(sim: SimulatorServer) -> list[float]:
    return [r.at for r in sim.state.requests if r.status not in (401, 429)]


def stamps(engine: Engine) -> list[float]:
    """Every start the database logged, as seconds of the database's clock."""
    with engine.connect() as connection:
        rows = connection.execute(select(budget_starts.c.stamp)).scalars()
        return [stamp.timestamp() for stamp in rows]


def answered(monkeypatch: pytest.MonkeyPatch, budget: SharedBudget, call: str) -> asyncio.Event:
    """An event set each time the budget's ledger has done `call` in the database."""
    loop = asyncio.get_running_loop()
    done = asyncio.Event()
    real = getattr(budget._ledger, call)

    def signalling(*args: Any) -> Any:
        result = real(*args)
        loop.call_soon_threadsafe(done.set)
        return result

    monkeypatch.setattr(budget._ledger, call, signalling)
    return done


async def test_the_store_chooses_the_budget(store: Store) -> None:
    budget = organisation_budget(store.engine, ORG, "a", RATE, margin=0.25)
    assert budget.margin == 0.25  # [meraki] rate_margin widens the window it counts over
    if store.engine.dialect.name == "postgresql":
        assert isinstance(budget, SharedBudget)
        await budget.aclose()
    else:
        assert isinstance(budget, RateBudget)


@pytest.mark.slow
async def test_three_replicas_hammering_never_overfill_a_window(
    postgres: str, store: Store, simulator_factory: Factory
) -> None:
    sim = simulator_factory(rate=RATE)
    async with replicas(postgres, "a", "b", "c") as budgets:
        clients = [MerakiClient("demo-key", sim.api_url, rate=RATE, budget=b) for b in budgets]
        try:
            lobby = await camera_named(clients[0], "Lobby")
            base = utc_now() - timedelta(minutes=10)

            async def hammer(client: MerakiClient, first: int) -> None:
                starts = [base - timedelta(seconds=5 * (first + i)) for i in range(10)]
                await asyncio.gather(
                    *(client.clip_link(lobby.serial, s, s + timedelta(seconds=5)) for s in starts)
                )

            await asyncio.gather(*(hammer(c, 10 * i) for i, c in enumerate(clients)))
        finally:
            for client in clients:
                await client.aclose()
    clips = [r for r in sim.state.requests if r.path.endswith("/camera/clip")]
    assert [r.status for r in clips].count(200) == 30
    # The database's own record: never more than the capacity in one window and margin.
    # Only the record: the simulator runs in this process's threads, and when the replicas
    # keep the interpreter busy it takes requests in late and bunched, so that one may meet
    # a 429 (seen twice in ~10 full runs, even with a 0.3 s margin); the replicas as
    # processes are held to no 429 at all (below).
    logged = await asyncio.to_thread(stamps, store.engine)
    assert len(logged) == len(sim.state.requests)  # one grant per request sent
    assert most_in_any_window(logged, SPAN) == RATE


@pytest.mark.slow
async def test_a_person_on_one_replica_goes_before_viewers_on_another(
    postgres: str, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    order: list[str] = []
    window_full = asyncio.Event()

    async def take(budget: SharedBudget, priority: Priority, name: str) -> None:
        slot = await budget.acquire(priority)
        order.append(name)
        if len(order) == RATE:
            window_full.set()
        slot.release()

    async with replicas(postgres, "a", "b") as (a, b):
        viewers = [asyncio.create_task(take(b, Priority.VIEWER, f"v{i}")) for i in range(12)]
        await asyncio.wait_for(window_full.wait(), WAIT)
        asked = answered(monkeypatch, a, "try_grant")
        person = asyncio.create_task(take(a, Priority.INTERACTIVE, "person"))
        await asyncio.wait_for(asked.wait(), WAIT)
        assert a.waiting == 1  # refused (the window is full), so its place is registered
        served_before = len(order)
        await asyncio.gather(person, *viewers)
    assert served_before < 12  # B still had viewers waiting when A's person came
    assert order[served_before] == "person"
    assert sorted(order) == sorted(["person", *(f"v{i}" for i in range(12))])


async def test_a_pause_on_one_replica_holds_every_replica(
    postgres: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with replicas(postgres, "a", "b") as (a, b):
        stored = answered(monkeypatch, a, "pause")
        loop = asyncio.get_running_loop()
        asked = loop.time()
        a.pause_for(2.0)  # what A's transport does when the API answers 429 Retry-After: 2
        await asyncio.wait_for(stored.wait(), WAIT)
        slot = await b.acquire(Priority.INTERACTIVE)
        granted = loop.time()
        slot.release()
        assert b.paused_until > asked + 1.5  # B learnt of the pause from the database
    assert granted >= asked + 2.0


async def test_a_dead_replicas_waiter_stops_holding_others_back(
    postgres: str, store: Store
) -> None:
    def leave_dead_waiter() -> float:
        """A replica that died waiting for a person's request left its entry behind."""
        with store.engine.begin() as connection:
            now = connection.execute(select(func.clock_timestamp())).scalar_one()
            connection.execute(
                insert(budget_waiters).values(
                    org=ORG, replica="dead", priority=int(Priority.INTERACTIVE), seen_at=now
                )
            )
            return float(now.timestamp())

    async with replicas(postgres, "b", freshness=1.5, refresh=0.5) as (b,):
        died = await asyncio.to_thread(leave_dead_waiter)
        async with asyncio.timeout(WAIT):
            slot = await b.acquire(Priority.BACKGROUND)
        slot.release()
        await b.aclose()  # the stamp is written
    (granted,) = await asyncio.to_thread(stamps, store.engine)
    # Held back while the entry was fresh, served once it was stale.
    assert granted >= died + 1.5


async def test_a_grant_whose_waiter_left_is_given_back(
    postgres: str, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    asking = threading.Event()
    answer = threading.Event()
    async with replicas(postgres, "a") as (a,):
        real = a._ledger.try_grant

        def slow_grant(*args: Any) -> Any:
            asking.set()
            answer.wait(WAIT)
            return real(*args)

        monkeypatch.setattr(a._ledger, "try_grant", slow_grant)
        waiter = asyncio.create_task(a.acquire(Priority.INTERACTIVE))
        await asyncio.to_thread(asking.wait, WAIT)
        waiter.cancel()  # the person gave up while the database was granting
        with pytest.raises(asyncio.CancelledError):
            await waiter
        answer.set()
        await a.aclose()
    assert await asyncio.to_thread(stamps, store.engine) == []


class Proxy:
    """A TCP relay to PostgreSQL that can be cut: while down it drops every connection."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.up = True
        self.dropped = asyncio.Event()
        self._links: set[asyncio.StreamWriter] = set()

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.up:
            self.dropped.set()
            writer.close()
            return
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self.port)
        self._links |= {writer, upstream_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except ConnectionError:
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))

    def cut(self) -> None:
        self.up = False
        for link in self._links:
            link.close()
        self._links.clear()


async def test_an_unreachable_database_grants_nothing_until_it_is_back(postgres: str) -> None:
    target = make_url(postgres)
    proxy = Proxy(target.port or 5432)
    server = await asyncio.start_server(proxy.serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    relayed = target.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)
    async with server, replicas(relayed, "a", retry=0.05, retry_cap=0.2) as (a,):
        (await a.acquire(Priority.INTERACTIVE)).release()
        proxy.cut()
        waiter = asyncio.create_task(a.acquire(Priority.INTERACTIVE))
        await asyncio.wait_for(proxy.dropped.wait(), WAIT)  # it asked and met no database
        proxy.dropped.clear()
        await asyncio.wait_for(proxy.dropped.wait(), WAIT)  # and asked again
        assert not waiter.done()  # fails safe: no grant without the database
        proxy.up = True
        async with asyncio.timeout(WAIT):
            (await waiter).release()
        server.close()


async def replica_process(
    database_url: str, sim: SimulatorServer, name: str, count: int, offset: int, priority: Priority
) -> asyncio.subprocess.Process:
    """A replica process (tests/budget_replica.py), back once it waits for its go."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.budget_replica",
        database_url,
        sim.api_url,
        name,
        str(count),
        str(offset),
        priority.name,
        cwd=ROOT,
        env=process_env({}),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    assert (await asyncio.wait_for(process.stdout.readline(), WAIT)).strip() == b"ready"
    return process


async def go(process: asyncio.subprocess.Process) -> None:
    assert process.stdin is not None
    process.stdin.write(b"go\n")
    await process.stdin.drain()


@pytest.mark.slow
async def test_three_replica_processes_share_the_window(
    postgres: str, simulator_factory: Factory
) -> None:
    sim = simulator_factory(rate=RATE)
    processes = [
        await replica_process(postgres, sim, name, 8, 8 * i, Priority.INTERACTIVE)
        for i, name in enumerate(("a", "b", "c"))
    ]
    for process in processes:
        await go(process)
    async with asyncio.timeout(2 * WAIT):
        outputs = [await process.communicate() for process in processes]
    assert [out.strip() for out, _ in outputs] == [b"done 8"] * 3
    assert [p.returncode for p in processes] == [0, 0, 0]
    clips = [r for r in sim.state.requests if r.path.endswith("/camera/clip")]
    assert [r.status for r in clips] == [200] * 24
    assert [r for r in sim.state.requests if r.status == 429] == []
    assert most_in_any_window(accepted_times(sim), 1.0) <= RATE


@pytest.mark.slow
async def test_a_replica_killed_mid_burst_does_not_block_the_others(
    postgres: str, simulator_factory: Factory
) -> None:
    sim = simulator_factory(rate=RATE)
    people = await replica_process(postgres, sim, "a", 40, 0, Priority.INTERACTIVE)
    viewers = await replica_process(postgres, sim, "b", 5, 40, Priority.VIEWER)
    sim.state.faults = Faults(latency=0.2)  # holds each request a moment: seen in flight
    await go(people)

    def clip_in_flight(held: list[RequestRecord]) -> bool:
        return any(r.path.endswith("/camera/clip") for r in held)

    await asyncio.to_thread(sim.state.wait_delayed, clip_in_flight, WAIT)
    # A is in its burst: a person's waiters registered in the database, starts in flight.
    await go(viewers)
    people.kill()
    await people.wait()
    async with asyncio.timeout(2 * WAIT):
        out, _ = await viewers.communicate()
    assert out.strip() == b"done 5"  # the dead replica's entries stopped holding B back
    assert [r for r in sim.state.requests if r.status == 429] == []
    assert most_in_any_window(accepted_times(sim), 1.0) <= RATE


@pytest.mark.slow
async def test_mvbot_run_replicas_on_postgresql_spend_one_budget(
    postgres: str, store: Store, simulator_factory: Factory, tmp_path: Path
) -> None:
    sim = simulator_factory(rate=RATE)

    def env(replica: str) -> dict[str, str]:
        return {
            "MVBOT_MERAKI_API_KEY": "demo-key",
            "MVBOT_MERAKI_BASE_URL": sim.api_url,
            "MVBOT_DATABASE_URL": postgres,
            "MVBOT_DATA_DIR": str(tmp_path / "data"),
            "MVBOT_REPLICA_ID": replica,
        }

    # Each loads the camera directory while it starts, through the organisation's budget.
    async with mvbot_run(env("a")), mvbot_run(env("b")):
        pass

    def granted_to() -> list[str]:
        with store.engine.connect() as connection:
            return list(connection.execute(select(budget_starts.c.replica)).scalars())

    replicas_granted = await asyncio.to_thread(granted_to)
    assert set(replicas_granted) == {"a", "b"}
    assert len(replicas_granted) == len(sim.state.requests)  # nothing sent without a grant
    assert [r for r in sim.state.requests if r.status == 429] == []


async def test_a_start_stuck_before_the_wire_counts_until_it_is_sent(postgres: str) -> None:
    async with replicas(postgres, "a", "b", rate=1.0, hold=0.4) as (a, b):
        slot = await a.acquire(Priority.INTERACTIVE)
        waiter = asyncio.create_task(b.acquire(Priority.INTERACTIVE))
        loop = asyncio.get_running_loop()
        await asyncio.sleep(2.5)  # the request waits for a connection far past the hold
        sent = loop.time()
        slot.mark_sent()
        async with asyncio.timeout(WAIT):
            (await waiter).release()
        granted = loop.time()
    assert granted >= sent + 1.0  # B waited for A's start to leave the window once sent


async def test_the_configured_rate_margin_reaches_the_running_budget(
    database_url: str, tmp_path: Path, simulator: SimulatorServer
) -> None:
    settings = bot_settings(simulator, database_url, tmp_path).with_overrides(
        {"meraki": {"rate_margin": 0.25}}
    )
    async with running_bot(settings, [MemoryAdapter()]) as running:
        assert running.services.meraki.budget.margin == 0.25
