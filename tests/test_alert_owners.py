"""Alerts among replicas: the replica that stores an alert claims and tells it; another takes
it over only once that replica is gone (or never claimed it), and never tells it twice.

One bot (SQLite, a memory room) stands for "this replica"; the other replicas are names in
the alerts' `owner` column and an `alive` answer of the test's choosing. The last test runs
two replicas on PostgreSQL.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from adapters.memory import MemoryAdapter
from bot.app import running_bot
from bot.events.ledger import AlertStatus, NewAlert, alert_entry, alert_values, insert_alert
from bot.events.tables import alerts
from bot.fleet.fleet import Standing
from bot.messages import Place, Reply
from bot.store.work import transact, write
from simulator import SimulatorServer
from tests.bot_fixtures import bot_settings, bot_simulator_fixture  # noqa: F401
from tests.db_fixtures import postgres_url_fixture  # noqa: F401
from tests.test_events_hooks import LOBBY, Hooked, is_heads_up, serving_hooks

DEADLINE = 40.0
LEASE = timedelta(seconds=30)


@pytest.fixture(name="hooked")
async def hooked_fixture(tmp_path: Path, bot_simulator: SimulatorServer) -> AsyncIterator[Hooked]:
    # The bot's own leader looks for alerts to take over every third of its lease: long
    # here, so that only the test's calls do (on SQLite every other owner counts as dead).
    async with serving_hooks(tmp_path, bot_simulator, {"replica": {"lease": "1h"}}) as hooked:
        yield hooked


async def stored_alert(hooked: Hooked, *, owner: str | None, age: timedelta) -> int:
    """An alert of the lobby stored `age` ago by replica `owner` (None: not claimed yet)."""
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=40)
    new = NewAlert(Place("memory", "R1"), AlertStatus.PENDING, {"title": "Door forced"})
    values = alert_values("event", new, LOBBY, "Lobby", at, (timedelta(0), timedelta(5)))
    values |= {"created_at": datetime.now(UTC) - age, "owner": owner}
    engine = hooked.bot.store.engine
    return await transact(engine, lambda c: insert_alert(c, values, alert_entry(new, "test")))


def answer(value: bool) -> Callable[[str], Awaitable[bool]]:
    """An `alive` that says `value` of every other replica."""

    async def alive(replica: str) -> bool:
        return value

    return alive


async def heads_ups(hooked: Hooked) -> int:
    await hooked.bot.running.events.alerts.wait_idle(DEADLINE)
    return sum(is_heads_up(p.reply) for p in hooked.bot.room.posted)


async def test_an_alert_a_live_replica_tells_is_left_to_it_until_it_dies(hooked: Hooked) -> None:
    alerts_here = hooked.bot.running.events.alerts
    alert_id = await stored_alert(hooked, owner="b", age=timedelta(minutes=5))

    assert await alerts_here.take_over(answer(True), unclaimed_after=LEASE) == 0
    assert await heads_ups(hooked) == 0

    # B died: this replica finishes it, once, however often it looks again.
    assert await alerts_here.take_over(answer(False), unclaimed_after=LEASE) == 1
    assert await alerts_here.take_over(answer(False), unclaimed_after=LEASE) == 0
    await hooked.bot.room.wait_for(is_heads_up, DEADLINE)
    assert await heads_ups(hooked) == 1
    told = await hooked.bot.running.events.alert_ledger.alert(alert_id)
    assert told is not None and told.status is not AlertStatus.PENDING


async def test_an_alert_never_claimed_is_taken_over_after_the_lease(hooked: Hooked) -> None:
    alerts_here = hooked.bot.running.events.alerts
    await stored_alert(hooked, owner=None, age=timedelta(seconds=1))
    # Just stored: its replica is about to claim it.
    assert await alerts_here.take_over(answer(False), unclaimed_after=LEASE) == 0
    assert await alerts_here.take_over(answer(False), unclaimed_after=timedelta(0)) == 1
    await hooked.bot.room.wait_for(is_heads_up, DEADLINE)
    assert await heads_ups(hooked) == 1


async def test_an_alert_another_replica_took_over_is_not_told_here(hooked: Hooked) -> None:
    """The replica that stored it was slow to claim it; a survivor claimed it first."""
    alert_id = await stored_alert(hooked, owner="survivor", age=timedelta(0))
    hooked.bot.running.events.alerts.post(alert_id)
    assert await heads_ups(hooked) == 0


async def test_two_replicas_taking_over_at_once_tell_a_dead_ones_alert_once(
    hooked: Hooked,
) -> None:
    """Both see the dead owner; the compare-and-set on the owner lets one of them have it."""
    alert_id = await stored_alert(hooked, owner="dead", age=timedelta(minutes=1))
    ledger = hooked.bot.running.events.alert_ledger
    won = await asyncio.gather(
        ledger.claim(alert_id, "b", previous="dead"),
        ledger.claim(alert_id, "c", previous="dead"),
    )
    assert sorted(won) == [False, True]
    # A replica of the same name back after a restart finishes its own earlier alerts.
    engine = hooked.bot.store.engine
    owner = hooked.bot.running.events.alerts.owner
    await write(engine, update(alerts).where(alerts.c.id == alert_id).values(owner=owner))
    assert (
        await hooked.bot.running.events.alerts.take_over(answer(True), unclaimed_after=LEASE) == 1
    )
    await hooked.bot.room.wait_for(is_heads_up, DEADLINE)
    assert await heads_ups(hooked) == 1


async def test_a_followers_alert_whose_delivery_failed_is_told_without_a_restart(
    postgres_url: str, bot_simulator: SimulatorServer, tmp_path: Path
) -> None:
    """B claimed an alert and its delivery failed: to A, B is alive and tells it itself; B
    looks again every third of its lease, as a leader would, not only when it restarts."""
    base = bot_settings(bot_simulator, postgres_url, tmp_path / "data")
    a_settings, b_settings = (
        base.with_overrides({"replica": {"id": name, "lease": "3s"}}) for name in ("a", "b")
    )
    a_room, b_room = MemoryAdapter(), MemoryAdapter()
    async with running_bot(a_settings, [a_room]), running_bot(b_settings, [b_room]) as b:
        assert b.fleet.role is Standing.FOLLOWER
        at = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=40)
        new = NewAlert(Place("memory", "R1"), AlertStatus.PENDING, {"title": "Door forced"})
        values = alert_values(
            "event", new, LOBBY, "Lobby", at, (timedelta(0), timedelta(seconds=5))
        )
        values |= {"owner": "b"}  # claimed by B, then its delivery raised: left open
        engine = b.services.store.engine
        await transact(engine, lambda c: insert_alert(c, values, alert_entry(new, "test")))
        await b_room.wait_for(door_forced, DEADLINE)
        assert await b.events.alerts.wait_idle(DEADLINE)
    assert sum(door_forced(r) for r in b_room.replies) == 1
    assert not any(door_forced(r) for r in a_room.replies)


def door_forced(reply: Reply) -> bool:
    """The heads-up (with the camera's snapshot: the bot's own settings here)."""
    return reply.title == "Door forced — Lobby"
