"""The near-live stream as an HLS player sees it: a valid live playlist of MPEG-TS segments
that follow each other, and upstream requests that depend on cameras, not viewers."""

from __future__ import annotations

import asyncio
import itertools
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import av
import httpx

from bot.shares.streams import MARGIN
from simulator.media import decode_stripe
from tests.bot_fixtures import bot_simulator_fixture  # noqa: F401
from tests.share_fixtures import (  # noqa: F401
    SharedBot,
    ShareStarter,
    share_starter_fixture,
    sqlite_database_fixture,
)

SEGMENT = 1.0  # seconds (FAST_SHARES)


@dataclass
class Player:
    """Plays a live HLS playlist the way VLC does: reload it, fetch each new segment once."""

    http: httpx.AsyncClient
    playlist: str
    segments: dict[int, bytes] = field(default_factory=dict)
    playlists: list[str] = field(default_factory=list)

    async def play(self, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        until = loop.time() + seconds
        while loop.time() < until:
            answer = await self.http.get(self.playlist)
            assert answer.status_code == 200, answer.text
            self.playlists.append(answer.text)
            lines = answer.text.splitlines()
            sequence = int(next(x for x in lines if x.startswith("#EXT-X-MEDIA-SEQUENCE:"))[22:])
            uris = [line for line in lines if line and not line.startswith("#")]
            for number, uri in enumerate(uris, start=sequence):
                if number not in self.segments:
                    base = self.playlist.rsplit("/", 1)[0]
                    segment = await self.http.get(f"{base}/{uri}")
                    assert segment.status_code == 200, uri
                    self.segments[number] = segment.content
            await asyncio.sleep(SEGMENT / 2)  # a player's reload interval, not a wait


def first_and_last(data: bytes) -> tuple[str, int, int, int, float]:
    """(container, frames, first frame's stripe ms, last frame's stripe ms, first pts s)."""
    with tempfile.NamedTemporaryFile(suffix=".ts") as file:
        Path(file.name).write_bytes(data)
        with av.open(file.name) as container:
            stream = container.streams.video[0]
            frames = list(container.decode(stream))
            name = container.format.name
    first, last = frames[0], frames[-1]
    return (
        name,
        len(frames),
        decode_stripe(first.to_ndarray(format="rgb24")),
        decode_stripe(last.to_ndarray(format="rgb24")),
        float(first.time or 0.0),
    )


async def test_the_playlist_is_live_hls_of_mpeg_ts_segments_that_follow_each_other(
    share_starter: ShareStarter,
) -> None:
    async with share_starter() as shared:
        token = await shared.share("share lobby with guest@example.com")
        player = Player(shared.http, f"/s/{token}/{shared.serial('Lobby')}.m3u8")
        await player.play(4.5)
    text = player.playlists[-1]
    lines = text.splitlines()
    assert lines[0] == "#EXTM3U" and "#EXT-X-ENDLIST" not in text
    assert "#EXT-X-TARGETDURATION:1" in lines
    assert all(float(x[8:-1]) > 0 for x in lines if x.startswith("#EXTINF:"))
    numbers = sorted(player.segments)
    assert len(numbers) >= 4 and numbers == list(range(numbers[0], numbers[-1] + 1))
    decoded = [first_and_last(player.segments[n]) for n in numbers]
    fps = shared.simulator.cfg.fps
    for number, (container, frames, first_ms, last_ms, _) in zip(numbers, decoded, strict=True):
        assert container == "mpegts"
        assert frames == round(SEGMENT * fps)
        # Each segment is the second of footage its sequence number names, whole.
        assert first_ms == round(number * SEGMENT * 1000)
        assert last_ms == first_ms + round((frames - 1) * 1000 / fps)
    # Timestamps run on across segments, so a player needs no discontinuity.
    starts = [pts for *_, pts in decoded]
    assert all(abs(b - a - SEGMENT) < 0.01 for a, b in itertools.pairwise(starts))


async def watch(shared: SharedBot, token: str, serial: str, viewers: int, seconds: float) -> int:
    """Clip requests the simulator received while `viewers` players watched the camera."""
    await shared.running.streams.stopped(serial)
    # Both runs start at the same point of the segment clock, just after a segment became
    # fetchable, so the stream's start and its idle stop fall alike (a wait for a moment).
    lag = shared.settings.clips.availability_lag.total_seconds() + MARGIN
    await asyncio.sleep((lag + 0.1 - time.time()) % SEGMENT)
    before = shared.clip_requests(serial)
    players = [Player(shared.http, f"/s/{token}/{serial}.m3u8") for _ in range(viewers)]
    await asyncio.gather(*(p.play(seconds) for p in players))
    await shared.running.streams.stopped(serial)
    assert all(len(p.segments) >= seconds / SEGMENT - 1 for p in players)
    return shared.clip_requests(serial) - before


async def test_twenty_viewers_cost_the_cloud_what_one_viewer_costs(
    share_starter: ShareStarter,
) -> None:
    async with share_starter() as shared:
        token = await shared.share("share warehouse with guest@example.com")
        serial = shared.serial("Warehouse")
        alone = await watch(shared, token, serial, viewers=1, seconds=6)
        crowd = await watch(shared, token, serial, viewers=20, seconds=6)
    assert alone >= 6
    assert abs(crowd - alone) <= 1, (alone, crowd)


async def test_a_starved_stream_says_delayed_then_skips_back_to_near_live(
    share_starter: ShareStarter,
) -> None:
    async with share_starter() as shared:
        token = await shared.share("share lobby with guest@example.com")
        lobby = shared.serial("Lobby")
        player = Player(shared.http, f"/s/{token}/{lobby}.m3u8")
        await player.play(1)
        # Everything else the bot does outranks viewers: here it holds the budget for a while.
        paused_at = time.time() * 1000
        shared.running.services.meraki.budget.pause_for(5 * SEGMENT)
        delayed = recovered = False
        loop = asyncio.get_running_loop()
        until = loop.time() + 20
        while loop.time() < until and not recovered:
            state = (await shared.http.get(f"/s/{token}/{lobby}/live.json")).json()
            delayed = delayed or state["delayed"]
            newest = state["segments"][-1]["start"]
            recovered = delayed and not state["delayed"] and newest > paused_at
            await asyncio.sleep(SEGMENT / 2)  # the page player's polling interval
        assert delayed and recovered
        await player.play(2)
    assert "#EXT-X-DISCONTINUITY" in "".join(player.playlists[-3:])
