"""Clip and snapshot downloads over httpx.MockTransport on virtual time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from bot.meraki import (
    DownloadTooLarge,
    MediaExpired,
    MerakiClient,
    NotFound,
    RateBudget,
    Unavailable,
)
from tests.test_meraki_virtualtime import run_virtual

KEY = "sekrit-api-key-0123456789"
BASE = "https://api.example.test/api/v1"
TOKEN = "tok-9f8e7d6c5b4a"
START = datetime(2026, 3, 23, 14, 30, tzinfo=UTC)
END = START + timedelta(minutes=2)


class FakeCloud:
    """Answers clip/snapshot link requests and serves media with scripted statuses."""

    def __init__(self, *media: httpx.Response | Exception, body: bytes = b"ts" * 100_000) -> None:
        self.media = list(media) or [httpx.Response(200, content=body)]
        self.body = body
        self.links = 0
        self.api_requests: list[httpx.Request] = []
        self.media_requests: list[httpx.Request] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "api.example.test":
            self.api_requests.append(request)
            self.links += 1
            url = f"https://media.example.test/v2/{TOKEN}{self.links}/clip.ts?sig={TOKEN}"
            return httpx.Response(200, json={"url": url, "expiry": "2026-03-23T15:00:00Z"})
        self.media_requests.append(request)
        answer = self.media.pop(0) if len(self.media) > 1 else self.media[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


async def with_client(cloud: FakeCloud, work: str, dest: Path, **options: object) -> Path:
    async with httpx.AsyncClient(transport=httpx.MockTransport(cloud)) as http:
        client = MerakiClient(KEY, BASE, org_id="o1", http=http, backoff_base=0.5)
        if work == "clip":
            return await client.download_clip("Q2", START, END, dest, **options)  # type: ignore[arg-type]
        return await client.download_snapshot("Q2", dest, **options)  # type: ignore[arg-type]


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_clip_is_streamed_to_dest_without_the_api_key(tmp_path: Path) -> None:
    cloud = FakeCloud()
    dest = tmp_path / "lobby.ts"
    assert run_virtual(with_client(cloud, "clip", dest)) == dest
    assert dest.read_bytes() == cloud.body
    assert leftovers(tmp_path) == ["lobby.ts"]
    (media,) = cloud.media_requests
    assert "authorization" not in media.headers


def test_an_expired_media_url_is_renewed_exactly_once(tmp_path: Path) -> None:
    cloud = FakeCloud(httpx.Response(403), httpx.Response(200, content=b"fresh"))
    dest = tmp_path / "clip.ts"
    run_virtual(with_client(cloud, "clip", dest))
    assert dest.read_bytes() == b"fresh"
    assert cloud.links == 2
    assert cloud.media_requests[1].url.path != cloud.media_requests[0].url.path


def test_a_url_expired_twice_gives_up_with_media_expired(tmp_path: Path) -> None:
    cloud = FakeCloud(httpx.Response(403))
    with pytest.raises(MediaExpired):
        run_virtual(with_client(cloud, "clip", tmp_path / "clip.ts"))
    assert cloud.links == 2
    assert len(cloud.media_requests) == 2
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("declared", [True, False])
def test_a_body_past_max_bytes_is_refused_and_leaves_nothing(
    tmp_path: Path, declared: bool
) -> None:
    class Undeclared(httpx.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            for _ in range(10):
                yield b"x" * 1000

    response = (
        httpx.Response(200, content=b"x" * 10_000)
        if declared
        else httpx.Response(200, stream=Undeclared())
    )
    cloud = FakeCloud(response)
    with pytest.raises(DownloadTooLarge):
        run_virtual(with_client(cloud, "clip", tmp_path / "big.ts", max_bytes=5_000))
    assert leftovers(tmp_path) == []


def test_a_drop_mid_body_is_retried_from_scratch(tmp_path: Path) -> None:
    class Dropped(httpx.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            yield b"half"
            raise httpx.ReadError("connection reset")

    cloud = FakeCloud(
        httpx.Response(200, stream=Dropped()),
        httpx.Response(502),
        httpx.Response(200, content=b"whole clip"),
    )
    dest = tmp_path / "clip.ts"
    run_virtual(with_client(cloud, "clip", dest))
    assert dest.read_bytes() == b"whole clip"
    assert cloud.links == 1
    assert leftovers(tmp_path) == ["clip.ts"]


def test_a_download_past_its_time_bound_is_unavailable(tmp_path: Path) -> None:
    class Trickle(httpx.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            while True:
                await asyncio.sleep(1)
                yield b"."

    cloud = FakeCloud(httpx.Response(200, stream=Trickle()))
    with pytest.raises(Unavailable, match="longer than 30 s"):
        run_virtual(with_client(cloud, "clip", tmp_path / "clip.ts", timeout=30.0))
    assert leftovers(tmp_path) == []


def test_a_snapshot_that_404s_for_a_few_seconds_is_waited_for(tmp_path: Path) -> None:
    cloud = FakeCloud(*[httpx.Response(404)] * 4, httpx.Response(200, content=b"\xff\xd8jpeg"))
    dest = tmp_path / "snap.jpg"
    run_virtual(with_client(cloud, "snapshot", dest))
    assert dest.read_bytes() == b"\xff\xd8jpeg"
    assert len(cloud.media_requests) == 5
    (generate,) = cloud.api_requests
    assert generate.method == "POST"
    assert generate.url.path == "/api/v1/devices/Q2/camera/generateSnapshot"


def test_a_snapshot_never_ready_is_not_found(tmp_path: Path) -> None:
    cloud = FakeCloud(httpx.Response(404))
    with pytest.raises(NotFound, match="not ready"):
        run_virtual(with_client(cloud, "snapshot", tmp_path / "snap.jpg", ready_wait=5.0))


def test_snapshot_at_a_time_sends_the_timestamp(tmp_path: Path) -> None:
    cloud = FakeCloud(httpx.Response(200, content=b"jpg"))
    run_virtual(with_client(cloud, "snapshot", tmp_path / "s.jpg", at=START))
    (generate,) = cloud.api_requests
    assert generate.read() == b'{"timestamp":"2026-03-23T14:30:00.000Z"}'


def test_media_tokens_never_reach_the_logs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cloud = FakeCloud(httpx.Response(403), httpx.Response(500), httpx.Response(200, content=b"x"))
    with caplog.at_level(logging.DEBUG, logger="bot.meraki"):
        run_virtual(with_client(cloud, "clip", tmp_path / "clip.ts"))
    # httpx logs full URLs at INFO itself; mvbot's logging setup keeps it at WARNING.
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("bot."))
    assert "media.example.test" in ours
    assert TOKEN not in ours
    assert KEY not in ours


def test_media_downloads_do_not_wait_for_the_api_budget(tmp_path: Path) -> None:
    cloud = FakeCloud()
    budget = RateBudget(5.0)

    async def handler(request: httpx.Request) -> httpx.Response:
        answer = await cloud(request)
        if request.url.host == "api.example.test":
            budget.pause_for(3600)  # e.g. another caller just met a 429
        return answer

    async def main() -> float:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
            client = MerakiClient(KEY, BASE, org_id="o1", http=http, budget=budget)
            await client.download_clip("Q2", START, END, tmp_path / "clip.ts")
            return asyncio.get_running_loop().time()

    assert run_virtual(main()) < 1.0
    assert (tmp_path / "clip.ts").read_bytes() == cloud.body
