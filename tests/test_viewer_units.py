"""Unit tests: the viewer's rate limiter, playlists, segment remuxing (PIN attempts:
test_shares_lockout.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import av
import numpy as np
import pytest

from bot.media import MediaError
from bot.shares.streams import Segment, StreamView, remux_segment, segment_codec
from bot.web.viewer.media import live_state, playlist
from bot.web.viewer.page import message_page, stream_page
from bot.web.viewer.ratelimit import RateLimiter
from simulator.media import decode_stripe, encode_clip, paint_stripe


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_rate_limiter_allows_a_burst_then_the_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(120, clock=clock)  # 2 per second, bursts of 30
    assert [limiter.wait("a") for _ in range(30)] == [0.0] * 30
    assert limiter.wait("a") == pytest.approx(0.5)
    assert limiter.wait("b") == 0.0, "each address has its own budget"
    clock.now += 1.0
    assert [limiter.wait("a") for _ in range(2)] == [0.0, 0.0]
    assert limiter.wait("a") > 0


def segment(seq: int, gap: bool = False) -> Segment:
    start = datetime.fromtimestamp(seq * 10, UTC)
    return Segment(seq, start, 10.0, Path(f"{seq}.ts"), Path(f"{seq}.mp4"), gap)


def test_playlist_marks_gaps_and_counts_dropped_ones() -> None:
    view = StreamView((segment(7), segment(9, gap=True)), 10.0, False, "avc1.42c00a", None, 2)
    text = playlist(view, "Q2XX-AAAA-0001", proof="abc")
    lines = text.splitlines()
    assert lines[:5] == [
        "#EXTM3U",
        "#EXT-X-VERSION:3",
        "#EXT-X-TARGETDURATION:10",
        "#EXT-X-MEDIA-SEQUENCE:7",
        "#EXT-X-DISCONTINUITY-SEQUENCE:2",
    ]
    assert lines.index("#EXT-X-DISCONTINUITY") == lines.index("Q2XX-AAAA-0001/7.ts?k=abc") + 1
    assert "#EXT-X-PROGRAM-DATE-TIME:1970-01-01T00:01:10+00:00" in lines
    state = live_state(view, "Q2XX-AAAA-0001", "/s/t", datetime.fromtimestamp(100, UTC))
    assert [s["url"] for s in state["segments"]] == [
        "/s/t/Q2XX-AAAA-0001/7.mp4",
        "/s/t/Q2XX-AAAA-0001/9.mp4",
    ]
    assert state["segments"][1]["gap"] and state["now"] == 100_000


def test_pages_escape_what_they_show() -> None:
    assert "&lt;script&gt;" in message_page("<script>")


def test_remux_keeps_the_pictures_and_moves_the_timeline_to_the_wall_clock(
    tmp_path: Path,
) -> None:
    start_ms = 1_700_000_000_000

    def render(ms: int) -> np.ndarray:
        frame = np.zeros((108, 192, 3), np.uint8)
        paint_stripe(frame, ms)
        return frame

    raw = tmp_path / "raw.ts"
    encode_clip(render, start_ms, 10, 5, raw)
    start = datetime.fromtimestamp(start_ms / 1000, UTC)
    made = remux_segment(raw, tmp_path, 42, start, gap=False)
    assert made.duration == pytest.approx(2.0)
    assert segment_codec(made.ts) == "avc1.42c00a"  # what the page's MediaSource is told
    with av.open(str(made.ts)) as ts:
        assert ts.format.name == "mpegts"
        frames = list(ts.decode(video=0))
        assert float(frames[0].time or 0) == pytest.approx(start_ms / 1000 % (2**33 / 90_000))
        assert decode_stripe(frames[0].to_ndarray(format="rgb24")) == start_ms
    with av.open(str(made.mp4)) as mp4:
        assert len(list(mp4.decode(video=0))) == 10
    assert b"moof" in made.mp4.read_bytes()[:4096], "fragmented, for Media Source Extensions"


def test_remux_refuses_what_is_not_video(tmp_path: Path) -> None:
    raw = tmp_path / "raw.ts"
    raw.write_bytes(b"not a transport stream")
    with pytest.raises(MediaError):
        remux_segment(raw, tmp_path, 1, datetime.now(UTC), gap=False)
    assert not list(tmp_path.glob("1.*"))


def test_the_page_shows_the_camera_and_its_switcher() -> None:
    from bot.shares.model import CameraFacts, Share

    def share(serial: str, name: str) -> Share:
        camera = CameraFacts(serial, name, "MV12", "HQ", "Acme", "1 Main St <b>")
        now = datetime.now(UTC)
        return Share(
            "id" + serial, "a@b.co", camera, None, None, now, "x", None, now, None, None, None
        )

    one, two = share("S1", "Lobby"), share("S2", "Garage & Gate")
    html = stream_page("t" * 43, two, [one, two], proof=None, segment_length=10.0)
    assert "Garage &amp; Gate" in html and "1 Main St &lt;b&gt;" in html
    assert 'href="/s/' + "t" * 43 + '?camera=S1"' in html
    assert html.count('aria-current="page"') == 1
