"""PIN guessing over real HTTP: a burst is cut at the limit, a restart keeps the lock, and the
recipient's lock is short while a stranger's is long. Addresses come from X-Forwarded-For,
which the server trusts from loopback (as behind a reverse proxy on the same host)."""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.bot_fixtures import bot_simulator_fixture  # noqa: F401
from tests.db_fixtures import database_url_fixture  # noqa: F401
from tests.share_fixtures import (  # noqa: F401
    SharedBot,
    ShareStarter,
    share_starter_fixture,
    token_in,
)

LIMIT = 5  # wrong PINs per address before a lock-out, as docs/shares.md says
RECIPIENT = "192.0.2.10"
# As behind a reverse proxy on the same host: browsers' addresses arrive in X-Forwarded-For
# from loopback, which the server is told to believe ([http] trusted_proxies).
BEHIND_A_PROXY = ("127.0.0.1",)
STRANGER = "198.51.100.7"


class HashCount:
    """Counts PBKDF2 computations: each is one PIN evaluated."""

    def __init__(self, real: Callable[..., bytes]) -> None:
        self.calls = 0
        self._real = real
        self._lock = threading.Lock()

    def __call__(self, *args: Any, **kwargs: Any) -> bytes:
        with self._lock:
            self.calls += 1
        return self._real(*args, **kwargs)


@pytest.fixture
def pbkdf2(monkeypatch: pytest.MonkeyPatch) -> HashCount:
    count = HashCount(hashlib.pbkdf2_hmac)
    monkeypatch.setattr(hashlib, "pbkdf2_hmac", count)
    return count


async def share_with_pin(shared: SharedBot) -> tuple[str, str, str]:
    """(token, PIN, a wrong PIN) of a new PIN-protected share of the Lobby."""
    replies = await shared.ask("share lobby with guest@example.com pin")
    pin = next(f.value for r in replies for f in r.fields if f.label == "PIN")[:6]
    return token_in(replies), pin, "000000" if pin != "000000" else "111111"


@asynccontextmanager
async def person(shared: SharedBot, address: str) -> AsyncIterator[httpx.AsyncClient]:
    """A browser at `address`."""
    headers = {"X-Forwarded-For": address}
    async with httpx.AsyncClient(base_url=shared.url, headers=headers, timeout=30) as client:
        yield client


async def enter(client: httpx.AsyncClient, token: str, pin: str) -> int:
    return (await client.post(f"/s/{token}", data={"pin": pin})).status_code


async def test_a_burst_of_wrong_pins_is_cut_at_the_limit(
    share_starter: ShareStarter, pbkdf2: HashCount
) -> None:
    async with (
        share_starter(trusted_proxies=BEHIND_A_PROXY) as shared,
        person(shared, STRANGER) as stranger,
    ):
        token, pin, wrong = await share_with_pin(shared)
        before = pbkdf2.calls
        statuses = await asyncio.gather(*(enter(stranger, token, wrong) for _ in range(50)))
        evaluated = pbkdf2.calls - before
        assert evaluated <= LIMIT
        assert sorted(statuses) == [403] * evaluated + [429] * (50 - evaluated)
        assert await enter(stranger, token, pin) == 429
        assert pbkdf2.calls - before == evaluated, "a locked-out PIN was evaluated"


async def test_a_restart_keeps_the_lock_out(share_starter: ShareStarter) -> None:
    async with (
        share_starter(trusted_proxies=BEHIND_A_PROXY) as shared,
        person(shared, STRANGER) as stranger,
    ):
        token, pin, wrong = await share_with_pin(shared)
        assert [await enter(stranger, token, wrong) for _ in range(LIMIT)] == [403] * LIMIT
    async with share_starter(trusted_proxies=BEHIND_A_PROXY) as shared:
        async with person(shared, STRANGER) as stranger:
            locked = await stranger.post(f"/s/{token}", data={"pin": pin})
        assert locked.status_code == 429 and "Too many" in locked.text
        assert int(locked.headers["retry-after"]) > 30 * 60
        # The lock is the stranger's: another address still gets in with the PIN.
        async with person(shared, RECIPIENT) as recipient:
            assert await enter(recipient, token, pin) == 303


async def test_the_recipients_lock_out_is_shorter_than_a_strangers(
    share_starter: ShareStarter,
) -> None:
    async with (
        share_starter(trusted_proxies=BEHIND_A_PROXY) as shared,
        person(shared, RECIPIENT) as recipient,
        person(shared, STRANGER) as stranger,
    ):
        token, pin, wrong = await share_with_pin(shared)
        assert await enter(recipient, token, pin) == 303
        recipient.cookies.clear()  # a new browser, or cookies cleared: the PIN is asked again
        assert [await enter(recipient, token, wrong) for _ in range(LIMIT)] == [403] * LIMIT
        assert [await enter(stranger, token, wrong) for _ in range(LIMIT)] == [403] * LIMIT
        assert await enter(recipient, token, pin) == 429
        assert await enter(stranger, token, pin) == 429

        pins = shared.running.shares.pins
        pins.clock = later(pins.clock, timedelta(minutes=2))
        assert await enter(recipient, token, pin) == 303
        page = await recipient.get(f"/s/{token}")
        assert page.status_code == 200 and "<video" in page.text
        assert await enter(stranger, token, pin) == 429


def later(clock: Callable[[], datetime], by: timedelta) -> Callable[[], datetime]:
    return lambda: clock() + by
