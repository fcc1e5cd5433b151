"""Three `mvbot run` replicas on one PostgreSQL database (tests/fleet_process.py): clips
spread over the fleet, deferred clips and a share expiry taken over when the leader is
killed with SIGKILL, each delivered once. PostgreSQL only: SQLite serves one process."""

from __future__ import annotations

import asyncio
import itertools
import json
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

from bot.inflight import CommandJournal
from bot.shares import ShareStore
from bot.shares.model import AccessEvent
from bot.store import Store
from simulator import SimulatorServer
from tests.bot_fixtures import SIMULATOR_SETTINGS, SimulatorFactory
from tests.db_fixtures import postgres_url_fixture  # noqa: F401
from tests.fake_slack import Call, FakeSlack, fake_slack_fixture  # noqa: F401
from tests.fleet_process import ELECTED, Replicas, fleet_env, replicas
from tests.slack_requests import send_command
from tests.test_channel_turns import assert_paced
from tests.test_health import LOBBY, reporting_alert
from tests.test_health import SECRET as HOOK_SECRET

pytestmark = pytest.mark.long  # minutes in all: started first (tests/conftest.py)

WAIT = 240.0  # a bound on each wait: 60 clips at 5 requests/s take about a minute
CLIPS = 60
DEFERRED = 20
LAG = 15.0  # footage reaches the simulated cloud this late: deferred clips wait for it
EMAIL = "guest@example.com"
T = TypeVar("T")
# What shows in the channel, each in its turn of the channel's pace (adapters/slack/pacing.py).
CHANNEL_POSTS = {"chat.postMessage", "chat.update", "files.completeUploadExternal"}


def uploads(fake: FakeSlack) -> list[Call]:
    return fake.to("files.completeUploadExternal")


def titles(calls: list[Call]) -> list[str]:
    """Each clip's comment: the camera and the span it covers."""
    return [str(c.params.get("initial_comment", "")) for c in calls]


async def uploads_reach(fake: FakeSlack, count: int) -> None:
    await fake.wait_for(lambda _: len(uploads(fake)) >= count, WAIT)


def posts_saying(fake: FakeSlack, words: str) -> int:
    """Messages posted with `words` anywhere in them (text or blocks)."""
    return sum(words in json.dumps(c.params) for c in fake.to("chat.postMessage"))


def said(fake: FakeSlack, words: str) -> int:
    return sum(words in str(c.params.get("text", "")) for c in fake.calls)


async def first_line(fleet: Replicas, ids: list[str], pattern: str) -> tuple[str, float]:
    """The replica among `ids` that logs `pattern` first, and when (time.monotonic)."""
    waits = {asyncio.create_task(fleet.running[i].wait_for_line(pattern, WAIT)): i for i in ids}
    done, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    at = time.monotonic()
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    (task,) = done
    task.result()
    return waits[task], at


async def until(url: str, check: Callable[[Store], Awaitable[bool]]) -> None:
    """Wait for the shared store to show `check` (no process here to notify the test)."""
    store = await Store.open(url)
    try:
        async with asyncio.timeout(WAIT):
            while not await check(store):  # noqa: ASYNC110 - other processes write it
                await asyncio.sleep(0.5)
    finally:
        await store.close()


async def commands_finished(store: Store) -> bool:
    return not await CommandJournal(store.engine).unfinished()


async def jobs_done(store: Store, count: int) -> bool:
    jobs = await store.jobs(kind="clip")
    return len(jobs) >= count and all(job.status == "done" for job in jobs)


def config(folder: Path, toml: str) -> str:
    path = folder / "mvbot.toml"
    path.write_text(toml)
    return str(path)


def five_per_second(simulator_factory: SimulatorFactory, **extra: float) -> SimulatorServer:
    return simulator_factory(**{**SIMULATOR_SETTINGS, "rate": 5.0, **extra})


async def clips_through(
    url: str, fleet: Replicas, fake: FakeSlack, first_minute: int
) -> tuple[float, list[float]]:
    """CLIPS slash commands sent round-robin to the fleet; seconds until all are posted, and
    for each k the k-th clip's post less the k-th command's send (a delivery time)."""
    before = len(uploads(fake))
    ids = list(fleet.running)
    started = time.monotonic()
    sent: list[float] = []
    for n in range(CLIPS):
        to = fleet.running[ids[n % len(ids)]].url
        answer = await send_command(to, fake, f"clip lobby {first_minute + n}m ago 5s")
        assert answer.status_code == 200
        sent.append(time.monotonic())
    posted: list[float] = []

    def note(_: Call) -> bool:  # asked at each call the fake records: stamps new uploads
        posted.extend(time.monotonic() for _ in uploads(fake)[before + len(posted) :])
        return len(posted) >= CLIPS

    await fake.wait_for(note, WAIT)
    took = time.monotonic() - started
    # Stopped only once every command is finished: one cut short after its post would be
    # run again by the next replica to start, as after a restart (and post twice).
    await until(url, commands_finished)
    return took, [done - asked for asked, done in zip(sent, posted, strict=False)]


async def test_sixty_clips_over_three_replicas_are_each_posted_once(
    postgres_url: str,
    simulator_factory: SimulatorFactory,
    fake: FakeSlack,
    tmp_path: Path,
) -> None:
    simulator = five_per_second(simulator_factory)
    # The simulator counts a request when its thread gets to it, and this process also runs
    # the fake Slack and the test: with three test workers on two cores one request was
    # refused in two of three runs, which the default margin (50 ms) allows only if it got
    # there that much later, relative to the others, than it was sent. A margin wider than
    # that lag keeps what is tested: the fleet's starts fit the window.
    env = {
        **fleet_env(postgres_url, simulator, fake, tmp_path / "data"),
        "MVBOT_CONFIG": config(tmp_path, "[meraki]\nrate_margin = 0.25\n"),
    }
    async with replicas(env, ["solo"]) as one:
        alone, alone_each = await clips_through(postgres_url, one, fake, first_minute=10)
    alone_posts = len(fake.calls)
    async with replicas(env, ["a", "b", "c"]) as three:
        together, each = await clips_through(postgres_url, three, fake, first_minute=10 + CLIPS)
        assert {r["id"] for r in (await three.health("b"))["replicas"]} >= {"a", "b", "c"}
    # Slack takes about one message a second in a channel, from the whole fleet.
    shown = [c.at for c in fake.calls[alone_posts:] if c.method in CHANNEL_POSTS]
    gaps = [later - earlier for earlier, later in itertools.pairwise(shown)]
    print(f"\nposts into the channel by three replicas: {len(shown)}, least gap {min(gaps):.2f} s")
    assert_paced(shown, 1.0)
    assert together <= 1.1 * alone
    for name, took, times in (("one replica", alone, alone_each), ("three", together, each)):
        p50, p99 = statistics.quantiles(times, n=100)[49], statistics.quantiles(times, n=100)[98]
        print(f"\n{CLIPS} clips, {name}: {took:.1f} s, delivery p50 {p50:.1f} s p99 {p99:.1f} s")
    posted = titles(uploads(fake))
    assert len(posted) == 2 * CLIPS
    assert len(set(posted)) == 2 * CLIPS, posted  # each span once
    refused = [r for r in simulator.state.requests if r.status == 429]
    assert refused == [], f"{len(refused)} requests answered 429"


async def test_deferred_clips_of_a_killed_leader_are_delivered_once_by_the_survivors(
    postgres_url: str,
    simulator_factory: SimulatorFactory,
    fake: FakeSlack,
    tmp_path: Path,
) -> None:
    simulator = five_per_second(simulator_factory, availability_lag=LAG)
    env = {
        **fleet_env(postgres_url, simulator, fake, tmp_path / "data"),
        "MVBOT_CONFIG": config(tmp_path, f'[clips]\navailability_lag = "{LAG:.0f}s"\n'),
    }
    async with replicas(env, ["a", "b", "c"]) as fleet:
        assert await fleet.leader() == "a"
        for _ in range(DEFERRED):
            answer = await send_command(fleet.running["a"].url, fake, "clip lobby now")
            assert answer.status_code == 200
        await fake.wait_for(lambda _: said(fake, "I'll post it here") >= DEFERRED, WAIT)
        # Asked: each command answered and finished (a command cut short between its answer
        # and its end is run again by the survivors, and asks for a second clip).
        await until(postgres_url, commands_finished)
        assert uploads(fake) == []  # all still waiting for the footage: A delivered none
        await fleet.kill("a")
        killed = time.monotonic()
        leader, elected = await first_line(fleet, ["b", "c"], ELECTED)
        await uploads_reach(fake, DEFERRED)
        await until(postgres_url, lambda store: jobs_done(store, DEFERRED))
    # B and C were stopped: everything they did is in the fake's record and the store.
    print(
        f"\nfailover: {leader} took the leader's jobs over {elected - killed:.1f} s after kill -9"
    )
    assert len(uploads(fake)) == DEFERRED
    store = await Store.open(postgres_url)
    try:
        jobs = await store.jobs(kind="clip")
        audit = await store.audit_rows()
    finally:
        await store.close()
    assert [job.status for job in jobs] == ["done"] * DEFERRED
    delivered = [row for row in audit if row.action == "clip" and row.outcome == "delivered"]
    assert len(delivered) == DEFERRED


async def test_a_share_whose_leader_is_killed_before_expiry_ends_once(
    postgres_url: str,
    simulator_factory: SimulatorFactory,
    fake: FakeSlack,
    tmp_path: Path,
) -> None:
    simulator = five_per_second(simulator_factory)
    env = {
        **fleet_env(postgres_url, simulator, fake, tmp_path / "data"),
        "MVBOT_ACCESS_ADMINS": "U1",
        "MVBOT_CONFIG": config(tmp_path, '[shares]\nexpiry = "20s"\nreminder_lead = "0s"\n'),
    }
    async with replicas(env, ["a", "b", "c"]) as fleet:
        assert await fleet.leader() == "a"
        answer = await send_command(fleet.running["b"].url, fake, f"share lobby with {EMAIL}")
        assert answer.status_code == 200
        await fake.wait_for(lambda _: said(fake, "Shared *Lobby*") >= 1, WAIT)
        shares = await share_store(postgres_url, lambda s: s.shares(email=EMAIL))
        (share,) = shares
        # Killed just before the expiry it would have run.
        await asyncio.sleep(max((share.expires_at - datetime.now(UTC)).total_seconds() - 3, 0))
        await fleet.kill("a")
        killed = time.monotonic()
        leader, elected = await first_line(fleet, ["b", "c"], ELECTED)
        ended, _ = await first_line(fleet, ["b", "c"], "share expired")
        assert ended == leader
    print(
        f"\nfailover: {leader} took the leader's jobs over {elected - killed:.1f} s after kill -9"
    )
    rows = await share_store(postgres_url, lambda s: s.access_rows(email=EMAIL))
    assert [row.event for row in rows].count(AccessEvent.DISABLED) == 1
    (share,) = await share_store(postgres_url, lambda s: s.shares(email=EMAIL))
    assert share.ended_at is not None


async def share_store(url: str, read: Callable[[ShareStore], Awaitable[T]]) -> T:
    store = await Store.open(url)
    try:
        return await read(ShareStore(store.engine))
    finally:
        await store.close()


async def test_a_camera_alert_that_reaches_a_follower_is_told_once_by_the_leader(
    postgres_url: str,
    simulator_factory: SimulatorFactory,
    fake: FakeSlack,
    tmp_path: Path,
) -> None:
    simulator = simulator_factory(**SIMULATOR_SETTINGS)
    settings = '[health]\npoll_interval = "0s"\ndebounce = "1s"\n'
    env = {
        **fleet_env(postgres_url, simulator, fake, tmp_path / "data"),
        "MVBOT_CONFIG": config(tmp_path, settings),
        "MVBOT_WEBHOOK_SECRET": HOOK_SECRET,
        "MVBOT_ACCESS_OPERATORS": "U1",
    }
    async with replicas(env, ["a", "b"]) as fleet:
        assert await fleet.leader() == "a"
        answer = await send_command(fleet.running["b"].url, fake, "follow health")
        assert answer.status_code == 200
        await fake.wait_for(lambda _: posts_saying(fake, "follows camera health") >= 1, WAIT)
        async with httpx.AsyncClient(base_url=fleet.running["b"].url, timeout=WAIT) as http:
            down = reporting_alert(LOBBY, "stopped_reporting", "a-1")
            answer = await http.post("/hooks/meraki", content=down)
        assert answer.json()["status"] == "health", answer.text
        # B stored it; A, which holds the cameras' states, judges it and tells the room.
        await fake.wait_for(lambda _: posts_saying(fake, "is offline since") >= 1, WAIT)
        await asyncio.sleep(3.0)  # a few more leader ticks: nothing is told twice
    assert posts_saying(fake, "is offline since") == 1
