"""PIN attempts counted in the store: limits per address and per link, locks that run out,
and a decision that holds when many attempts arrive at once, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.shares.lockout import (
    ADDRESS_LIMIT,
    LINK_LIMIT,
    RECIPIENT_LOCK,
    STRANGER_LOCK,
    PinLockout,
)
from bot.store import create_database_engine, migrate
from tests.db_fixtures import database_url_fixture  # noqa: F401

T0 = datetime(2025, 3, 3, 14, 30, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def lockouts(database_url: str) -> AsyncIterator[tuple[PinLockout, PinLockout, Clock]]:
    """Two lockouts on one database (two replicas, or before and after a restart)."""
    clock = Clock()
    engines = [create_database_engine(database_url) for _ in range(2)]
    await asyncio.to_thread(migrate, engines[0])
    yield PinLockout(engines[0], clock), PinLockout(engines[1], clock), clock
    for engine in engines:
        engine.dispose()


async def allowed(pins: PinLockout, link: str, address: str) -> bool:
    return (await pins.admit(link, address)).allowed


async def test_wrong_pins_block_a_link_for_the_window(
    lockouts: tuple[PinLockout, PinLockout, Clock],
) -> None:
    attempts, _, clock = lockouts
    for _ in range(ADDRESS_LIMIT):
        assert await allowed(attempts, "link", "a")
    refused = await attempts.admit("link", "a")
    assert not refused.allowed and refused.retry_after == STRANGER_LOCK
    assert await allowed(attempts, "other", "a")
    clock.now += STRANGER_LOCK + timedelta(seconds=1)
    assert await allowed(attempts, "link", "a")


async def test_replicas_share_the_count(lockouts: tuple[PinLockout, PinLockout, Clock]) -> None:
    one, two, _ = lockouts
    for pins in [one, two] * (ADDRESS_LIMIT // 2) + [one] * (ADDRESS_LIMIT % 2):
        assert await allowed(pins, "link", "a")
    assert not await allowed(two, "link", "a")
    assert not await allowed(one, "link", "a")


async def test_attempts_at_once_are_admitted_up_to_the_limit(
    lockouts: tuple[PinLockout, PinLockout, Clock],
) -> None:
    one, two, _ = lockouts
    results = await asyncio.gather(
        *(allowed(pins, "link", "a") for _ in range(25) for pins in (one, two))
    )
    assert results.count(True) == ADDRESS_LIMIT


async def test_a_right_pin_starts_the_address_afresh_and_shortens_its_lock(
    lockouts: tuple[PinLockout, PinLockout, Clock],
) -> None:
    pins, _, clock = lockouts
    for _ in range(ADDRESS_LIMIT - 1):
        assert await allowed(pins, "link", "recipient")
    assert await allowed(pins, "link", "recipient")
    await pins.succeeded("link", "recipient")  # the last one was right
    for _ in range(ADDRESS_LIMIT):
        assert await allowed(pins, "link", "recipient")
    refused = await pins.admit("link", "recipient")
    assert not refused.allowed and refused.retry_after == RECIPIENT_LOCK
    clock.now += RECIPIENT_LOCK
    assert await allowed(pins, "link", "recipient")


async def test_strangers_on_many_addresses_lock_the_link_but_not_its_recipient(
    lockouts: tuple[PinLockout, PinLockout, Clock],
) -> None:
    pins, _, clock = lockouts
    assert await allowed(pins, "link", "recipient")
    await pins.succeeded("link", "recipient")
    strangers = [f"198.51.100.{n}" for n in range(LINK_LIMIT)]
    for address in strangers:  # one guess each: no address reaches its own limit
        assert await allowed(pins, "link", address)
    assert not await allowed(pins, "link", "203.0.113.1"), "a new address is refused"
    assert not await allowed(pins, "link", strangers[0])
    assert await allowed(pins, "link", "recipient")
    assert await allowed(pins, "other", "203.0.113.1"), "other links are not locked"
    clock.now += STRANGER_LOCK
    assert await allowed(pins, "link", "203.0.113.1")
