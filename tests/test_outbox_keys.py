"""Outbox.send with an idempotency key: posted once, never again; a lost outcome is looked up."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.console.adapter import ConsoleAdapter
from adapters.memory import MemoryAdapter
from adapters.webex.adapter import WebexAdapter
from adapters.webex.client import WebexClient
from bot.messages import Button, Place, Reply
from bot.outbox import CannotLookUp, Outbox
from bot.store import Store
from bot.store.posts import KEEP, PostLedger
from bot.web.links import FileLinks
from tests.fake_webex import TOKEN, FakeWebex, fake_webex_fixture  # noqa: F401

ROOM = Place("memory", "R1")
HEADS_UP = Reply("Till opened at Lobby", buttons=(Button("Clip 1 min before", "clip lobby"),))


@pytest.fixture
async def ledger(tmp_path: Path) -> AsyncIterator[PostLedger]:
    store = await Store.open(f"sqlite:///{tmp_path / 'mvbot.db'}")
    yield PostLedger(store.engine)
    await store.close()


async def test_a_key_posted_before_is_not_posted_again(ledger: PostLedger) -> None:
    room = MemoryAdapter()
    outbox = Outbox(ledger)
    outbox.add(room)
    first = await outbox.send(ROOM, HEADS_UP, key="alert-1-heads-up")
    again = await outbox.send(ROOM, HEADS_UP, key="alert-1-heads-up")
    assert again == first
    assert len(room.posted) == 1
    await outbox.send(ROOM, HEADS_UP, key="alert-2-heads-up")
    assert len(room.posted) == 2


async def test_a_post_whose_record_a_crash_lost_is_found_not_repeated(ledger: PostLedger) -> None:
    room = MemoryAdapter()
    # The crash: the intent was stored and the post went out, but "posted" never was.
    await ledger.intend("clip-job-7", ROOM)
    sent = await room.send(ROOM, HEADS_UP, key="clip-job-7")
    outbox = Outbox(ledger)
    outbox.add(room)
    assert await outbox.sent(ROOM, "clip-job-7") == sent
    assert await outbox.send(ROOM, HEADS_UP, key="clip-job-7") == sent
    assert len(room.posted) == 1


async def test_an_intent_never_posted_is_posted_after_the_lookup(ledger: PostLedger) -> None:
    room = MemoryAdapter()
    await ledger.intend("alert-3-heads-up", ROOM)  # a crash before the post reached anyone
    outbox = Outbox(ledger)
    outbox.add(room)
    assert await outbox.sent(ROOM, "alert-3-heads-up") is None
    await outbox.send(ROOM, HEADS_UP, key="alert-3-heads-up")
    assert [p.reply for p in room.posted] == [HEADS_UP]


async def test_where_the_platform_cannot_say_the_post_goes_out_again(ledger: PostLedger) -> None:
    console = ConsoleAdapter(out=io.StringIO())
    place = Place("console", "console")
    await ledger.intend("alert-4-heads-up", place)  # posted by a run that died
    outbox = Outbox(ledger)
    outbox.add(console)
    await outbox.send(place, HEADS_UP, key="alert-4-heads-up")
    assert console.replies == [HEADS_UP]  # at least once: never lost
    await outbox.send(place, HEADS_UP, key="alert-4-heads-up")
    assert console.replies == [HEADS_UP]


@pytest.fixture
async def webex(fake_webex: FakeWebex, tmp_path: Path) -> AsyncIterator[WebexAdapter]:
    client = WebexClient(TOKEN, fake_webex.url, backoff=0.01)
    adapter = WebexAdapter(client, "secret", FileLinks(b"k" * 32, "https://x.example", tmp_path))
    yield adapter
    await adapter.stop()


async def test_webex_finds_its_post_by_the_key_on_its_card(
    webex: WebexAdapter, fake_webex: FakeWebex
) -> None:
    place = Place("webex", "room-ops")
    since = datetime.now(UTC) - timedelta(minutes=2)
    await webex.send(place, HEADS_UP, key="alert-5-heads-up")
    await webex.send(place, HEADS_UP, key="alert-6-heads-up")
    found = await webex.find(place, "alert-5-heads-up", since)
    card = next(p.message for p in fake_webex.posted if p.message.get("attachments"))
    assert found is not None and found.id == card["id"]
    assert await webex.find(place, "alert-7-heads-up", since) is None
    fake_webex.refuse_listing = True  # a group space a bot may not list
    with pytest.raises(CannotLookUp):
        await webex.find(place, "alert-5-heads-up", since)


async def test_keys_older_than_a_month_are_forgotten_and_newer_ones_kept(
    ledger: PostLedger,
) -> None:
    await ledger.intend("alert-old-heads-up", ROOM)
    await ledger.intend("alert-new-heads-up", ROOM)
    assert await ledger.forget() == 0  # both just intended
    later = datetime.now(UTC) + KEEP + timedelta(minutes=1)
    assert await ledger.forget(now=later) == 2
    assert await ledger.record("alert-old-heads-up") is None
    await ledger.intend("alert-new-heads-up", ROOM)
    assert await ledger.forget(now=later - timedelta(minutes=2)) == 0
    assert await ledger.record("alert-new-heads-up") is not None
