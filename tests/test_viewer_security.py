"""What a share link reaches and what it does not: its own cameras only, PINs, rate limits,
no caching, and tokens that appear neither in logs nor in the store."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, Row, select

from bot.shares.credentials import token_hash
from bot.shares.tables import share_links
from tests.bot_fixtures import bot_simulator_fixture  # noqa: F401
from tests.db_fixtures import database_url_fixture  # noqa: F401
from tests.share_fixtures import (  # noqa: F401
    SharedBot,
    ShareStarter,
    share_starter_fixture,
    token_in,
)


async def share_with_pin(shared: SharedBot, email: str) -> tuple[str, str]:
    """(token, PIN) of a new PIN-protected share of the Lobby."""
    replies = await shared.ask(f"share lobby with {email} pin")
    pin = next(f.value for r in replies for f in r.fields if f.label == "PIN")
    return token_in(replies), pin[:6]


def links_in(engine: Engine) -> list[Row[Any]]:
    with engine.connect() as connection:
        return list(connection.execute(select(share_links)).all())


async def first_segment(shared: SharedBot, token: str, serial: str) -> str:
    """The path (after /s/<token>/) of the first segment in the camera's playlist."""
    playlist = await shared.http.get(f"/s/{token}/{serial}.m3u8")
    assert playlist.status_code == 200, playlist.text
    return next(line for line in playlist.text.splitlines() if ".ts" in line)


async def test_a_token_reaches_only_its_own_emails_cameras(share_starter: ShareStarter) -> None:
    async with share_starter() as shared:
        mine = await shared.share("share lobby with a@example.com")
        theirs = await shared.share("share warehouse with b@example.com")
        lobby, warehouse = shared.serial("Lobby"), shared.serial("Warehouse")
        their_segment = await first_segment(shared, theirs, warehouse)
        assert (await shared.http.get(f"/s/{mine}/{lobby}.m3u8")).status_code == 200
        for path in (
            f"{warehouse}.m3u8",
            their_segment,
            their_segment.replace(".ts", ".mp4"),
            f"{warehouse}/live.json",
            f"{shared.serial('Server Room')}.m3u8",
        ):
            answer = await shared.http.get(f"/s/{mine}/{path}")
            assert answer.status_code == 404, path
        page = await shared.http.get(f"/s/{mine}?camera={warehouse}")
        assert page.status_code == 200 and "Warehouse" not in page.text
        # Made-up and mangled tokens reach nothing either.
        for token in ("x" * 43, mine[:-1] + ("A" if mine[-1] != "A" else "B"), "short"):
            assert (await shared.http.get(f"/s/{token}/{lobby}.m3u8")).status_code == 404
        # A segment id the stream does not hold is not served, whatever the number.
        gone = await shared.http.get(f"/s/{mine}/{lobby}/12345.ts")
        assert gone.status_code == 404


async def test_a_pin_protected_link_needs_the_pin(share_starter: ShareStarter) -> None:
    async with share_starter() as shared:
        token, pin = await share_with_pin(shared, "guest@example.com")
        link = f"/s/{token}"
        lobby = shared.serial("Lobby")

        form = await shared.http.get(link)
        assert form.status_code == 200 and 'name="pin"' in form.text and "<video" not in form.text
        assert (await shared.http.get(f"{link}/{lobby}.m3u8")).status_code == 403
        wrong = "000000" if pin != "000000" else "111111"
        refused = await shared.http.post(link, data={"pin": wrong})
        assert refused.status_code == 403 and "not right" in refused.text
        assert "mvbot_pin" not in refused.cookies

        accepted = await shared.http.post(link, data={"pin": pin})
        assert accepted.status_code == 303 and accepted.headers["location"] == link
        proof = accepted.cookies["mvbot_pin"]
        cookie = accepted.headers["set-cookie"]
        assert f"Path={link}" in cookie
        assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()
        # The client keeps the cookie, as a browser would.
        page = await shared.http.get(link)
        assert page.status_code == 200 and "<video" in page.text
        assert (await shared.http.get(f"{link}/{lobby}.m3u8")).status_code == 200
        # VLC keeps no cookies: the page's playlist link carries the proof instead.
        vlc = re.search(r'href="([^"]+\.m3u8\?k=[^"]+)"', page.text)
        assert vlc is not None
        async with httpx.AsyncClient(base_url=shared.url) as player:
            outside = await player.get(vlc.group(1))
        assert outside.status_code == 200
        assert all("?k=" in line for line in outside.text.splitlines() if ".ts" in line)
        # A proof is bound to its link: it opens no other.
        other, _ = await share_with_pin(shared, "other@example.com")
        assert (await shared.http.get(f"/s/{other}/{lobby}.m3u8?k={proof}")).status_code == 403


async def test_wrong_pins_lock_the_link_for_a_while(share_starter: ShareStarter) -> None:
    async with share_starter() as shared:
        token, pin = await share_with_pin(shared, "guest@example.com")
        link = f"/s/{token}"
        wrong = "000000" if pin != "000000" else "111111"
        for _ in range(5):
            assert (await shared.http.post(link, data={"pin": wrong})).status_code == 403
        locked = await shared.http.post(link, data={"pin": pin})
        assert locked.status_code == 429 and "Too many" in locked.text


async def test_viewer_requests_are_rate_limited_per_address(share_starter: ShareStarter) -> None:
    async with share_starter(shares={"viewer_rate_limit": 20}) as shared:
        token = await shared.share("share lobby with guest@example.com")
        statuses = [(await shared.http.get(f"/s/{token}")).status_code for _ in range(25)]
        assert statuses[:20] == [200] * 20
        assert statuses[-1] == 429
        limited = await shared.http.get(f"/s/{token}")
        assert int(limited.headers["retry-after"]) >= 1


async def test_no_response_may_be_cached(share_starter: ShareStarter) -> None:
    async with share_starter() as shared:
        token = await shared.share("share lobby with guest@example.com")
        lobby = shared.serial("Lobby")
        segment = await first_segment(shared, token, lobby)
        for path in ("", f"/{lobby}.m3u8", f"/{segment}", f"/{lobby}/live.json", "/nope.m3u8"):
            answer = await shared.http.get(f"/s/{token}{path}")
            assert answer.headers["cache-control"] == "no-store", path
            assert answer.headers["referrer-policy"] == "no-referrer", path
        page = await shared.http.get(f"/s/{token}")
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


async def test_tokens_never_reach_the_logs_or_the_store(
    share_starter: ShareStarter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with share_starter() as shared:
        token, pin = await share_with_pin(shared, "guest@example.com")
        lobby = shared.serial("Lobby")
        await shared.http.post(f"/s/{token}", data={"pin": pin})
        await first_segment(shared, token, lobby)
        await shared.http.get(f"/s/{token}/{lobby}/live.json")
        await shared.ask("extend guest@example.com")
        await shared.ask("revoke all guest@example.com")
        await shared.http.get(f"/s/{token}")

        [row] = await asyncio.to_thread(links_in, shared.running.services.store.engine)
        assert row.token_hash == token_hash(token)
        assert token not in str(tuple(row)) and pin not in str(tuple(row))
        if shared.database is not None:  # SQLite: nothing on disk holds the token either
            files = [shared.database, shared.database.with_name(shared.database.name + "-wal")]
            stored = b"".join(path.read_bytes() for path in files if path.exists())
            assert token_hash(token).encode() in stored
            assert token.encode() not in stored
    logged = [
        r.getMessage()
        for r in caplog.records
        if not r.name.startswith(("httpx", "httpcore"))  # this test's own client
    ]
    assert logged, "nothing was logged, so nothing was checked"
    assert not [line for line in logged if token in line]
