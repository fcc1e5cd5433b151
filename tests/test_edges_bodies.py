"""Bounded bodies: a huge chunked POST to any route is refused 413 after the route's cap,
before anything parses or verifies it, without the process growing or the body being logged."""

from __future__ import annotations

import asyncio
import logging
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.bot_fixtures import bot_simulator_fixture  # noqa: F401
from tests.edge_fixtures import POST_ROUTES, Edge, edge_fixture  # noqa: F401
from tests.fake_webex import fake_webex_fixture  # noqa: F401
from tests.share_fixtures import sqlite_database_fixture  # noqa: F401

BLOCK = b"A" * 65536
CHUNK = b"%x\r\n" % len(BLOCK) + BLOCK + b"\r\n"
HUGE = 200_000_000  # bytes the client offers to send
RSS_BUDGET_KB = 5 * 1024


def _status(name: str) -> int:
    found = re.search(rf"{name}:\s+(\d+)", Path("/proc/self/status").read_text())
    assert found, name
    return int(found.group(1))


def reset_peak_rss() -> int:
    """Reset this process's peak RSS to its current RSS (Linux); returns that, in kB."""
    Path("/proc/self/clear_refs").write_text("5")
    return _status("VmRSS")


async def post_chunked(url: str, path: str, total: int) -> tuple[int, int]:
    """POST `total` bytes of 'A' chunked (stopping early once answered); (status, sent)."""
    parts = urlsplit(url)
    assert parts.hostname and parts.port
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    writer.write(
        f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nTransfer-Encoding: chunked\r\n"
        "Content-Type: application/json\r\nX-Slack-Request-Timestamp: 1\r\n"
        "X-Slack-Signature: v0=0\r\n\r\n".encode()
    )
    answered = asyncio.create_task(reader.readuntil(b"\r\n\r\n"))
    sent = 0
    try:
        while sent < total and not answered.done():
            writer.write(CHUNK)
            await writer.drain()
            await asyncio.sleep(0)  # let the reader see an early answer
            sent += len(BLOCK)
        if not answered.done():
            writer.write(b"0\r\n\r\n")
            await writer.drain()
    except (ConnectionResetError, BrokenPipeError):
        pass  # the server answered and closed: the answer is already in the reader
    head = await asyncio.wait_for(answered, 300)
    writer.close()
    return int(head.split()[1]), sent


@pytest.mark.parametrize("route", [*POST_ROUTES, "/healthz", "/no/such/route"])
async def test_a_200_mb_chunked_body_is_refused_at_the_cap_without_growth_or_logging(
    edge: Edge, route: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = route.replace("{token}", "t" * 43)
    with caplog.at_level(logging.DEBUG):
        before = reset_peak_rss()
        status, sent = await post_chunked(edge.url, path, HUGE)
        growth = _status("VmHWM") - before
    assert growth < RSS_BUDGET_KB, f"peak RSS grew by {growth} kB"
    assert "AAAAAAAAAAAAAAAA" not in caplog.text  # no body, not even a piece of one
    assert status == 413
    assert sent < HUGE  # answered before the client had sent it all
    assert f"method=POST route={route if route in POST_ROUTES else '-'}" in caplog.text


async def test_a_declared_length_past_the_cap_is_refused_unread(edge: Edge) -> None:
    parts = urlsplit(edge.url)
    assert parts.hostname and parts.port
    for route in POST_ROUTES:
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        path = route.replace("{token}", "t" * 43)
        # The length is promised, not sent: the answer must not wait for the body.
        writer.write(
            f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            "Content-Length: 200000000\r\n\r\n{}".encode()
        )
        answer = await asyncio.wait_for(reader.read(), 60)  # until the server closes
        writer.close()
        assert answer.startswith(b"HTTP/1.1 413 "), route
        assert b"larger than this route accepts" in answer


async def test_a_body_within_the_cap_still_reaches_the_route(edge: Edge) -> None:
    # The cap reads the body itself: what it hands on must be the body, whole.
    response = await edge.http.post("/hooks/meraki", content=b'{"sharedSecret": "wrong"}')
    assert response.status_code == 401
