"""Any replica serves any link: one signing key per installation, kept in the database, and
the key file an earlier single-process mvbot left in its data directory adopted."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from adapters.memory import MemoryAdapter
from bot.app import running_bot
from bot.run import file_links, stored_signing_key, web_app
from bot.store import Store
from bot.web.links import KEY_FILE, FileLinks, signing_key
from bot.web.server import web_server
from simulator import SimulatorServer
from tests.bot_fixtures import bot_settings, bot_simulator_fixture  # noqa: F401
from tests.db_fixtures import database_url_fixture  # noqa: F401


async def test_replicas_starting_together_agree_on_one_key(
    database_url: str, tmp_path: Path
) -> None:
    stores = [await Store.open(database_url) for _ in range(4)]
    try:
        # Each replica with its own (empty) data directory: the key comes from the database.
        keys = await asyncio.gather(
            *(signing_key(s.engine, tmp_path / f"replica{i}") for i, s in enumerate(stores))
        )
        again = await signing_key(stores[0].engine, tmp_path / "later")
    finally:
        for store in stores:
            await store.close()
    assert len(keys[0]) == 32
    assert set(keys) == {keys[0]} and again == keys[0]
    assert not any((tmp_path / f"replica{i}" / KEY_FILE).exists() for i in range(4))


async def test_the_key_file_of_an_earlier_mvbot_is_adopted(
    database_url: str, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    (data / "media").mkdir(parents=True)
    (data / "media" / "lobby.mp4").write_bytes(b"\x00" * 100)
    old_key = bytes(range(32))
    (data / KEY_FILE).write_bytes(old_key)
    handed_out = FileLinks(old_key, "http://x", data / "media").url_for(
        data / "media" / "lobby.mp4"
    )
    store = await Store.open(database_url)
    try:
        adopted = await signing_key(store.engine, data)
        (data / KEY_FILE).unlink()  # from now on the database alone holds it
        assert await signing_key(store.engine, data) == adopted
    finally:
        await store.close()
    assert adopted == old_key
    token = handed_out.split("/")[-2]
    assert FileLinks(adopted, "http://x", data / "media").resolve(token) is not None


async def test_a_link_one_replica_signed_opens_on_another(
    database_url: str, tmp_path: Path, bot_simulator: SimulatorServer
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("replicas share PostgreSQL; SQLite serves one process")
    data = tmp_path / "shared"  # the replicas' shared volume
    base = bot_settings(bot_simulator, database_url, data)
    settings = [base.with_overrides({"replica": {"id": name}}) for name in ("a", "b")]
    async with (
        running_bot(settings[0], [MemoryAdapter()]) as a,
        running_bot(settings[1], [MemoryAdapter()]) as b,
    ):
        assert a.signing_key == b.signing_key == await stored_signing_key(settings[1])
        app = web_app(settings[1], b, file_links(settings[1], b.signing_key), [])
        clip = data / "media" / "lobby_2026-03-23T143000Z_60s.mp4"
        clip.write_bytes(b"\x01" * 5000)
        url = file_links(settings[0], a.signing_key).url_for(clip)
        foreign = FileLinks(b"k" * 32, "http://x", data / "media").url_for(clip)
        async with web_server(app, "127.0.0.1", 0) as server, httpx.AsyncClient() as http:
            answer = await http.get(f"{server.url}/{url.split('/', 3)[3]}")
            forged = await http.get(f"{server.url}/{foreign.split('/', 3)[3]}")
    assert answer.status_code == 200 and answer.content == b"\x01" * 5000
    assert forged.status_code == 410
