"""Clips and snapshots are real media covering exactly the span asked for, per the stripe."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import av
import httpx
import numpy as np
from av.video.frame import PictureType
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from simulator import SimulatorServer
from simulator.media import STRIPE_BITS, decode_imager, decode_stripe, paint_stripe
from simulator.timefmt import format_timestamp
from tests.conftest import SimulatorFactory

LOBBY, PARKING = "Q2FV-LBBY-0001", "Q2LV-PRKG-0006"
AUTH = {"Authorization": "Bearer demo-key"}
NOW = 1_741_791_600.0  # Wed 2025-03-12 15:00 UTC: working hours in New York and Amsterdam


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def clip_url(server: SimulatorServer, serial: str, start: float, end: float, **extra: str) -> str:
    params = {
        "startTimestamp": format_timestamp(start),
        "endTimestamp": format_timestamp(end),
        **extra,
    }
    answer = httpx.get(
        f"{server.api_url}/devices/{serial}/camera/clip", params=params, headers=AUTH
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["url"])


def download(url: str, path: Path) -> Path:
    with httpx.stream("GET", url) as answer, path.open("wb") as out:
        assert answer.status_code == 200
        for chunk in answer.iter_bytes():
            out.write(chunk)
    return path


def test_a_two_minute_clip_is_h264_mpegts_covering_exactly_the_span(
    simulator_factory: SimulatorFactory, tmp_path: Path
) -> None:
    server = simulator_factory(clock=Clock(NOW))
    start = NOW - 900.25  # a fraction of a second on purpose
    path = download(clip_url(server, LOBBY, start, start + 120), tmp_path / "lobby.ts")
    with av.open(str(path)) as container:
        assert "mpegts" in container.format.name
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert container.duration is not None and abs(container.duration / 1e6 - 120) <= 0.5
        keyframes: list[int] = []
        frames = []
        for index, frame in enumerate(container.decode(stream)):
            assert frame.pict_type != PictureType.B
            if frame.key_frame:
                keyframes.append(index)
            if index == 0 or index >= 595:
                frames.append(frame.to_ndarray(format="rgb24"))
        count = index + 1
    assert count == 600  # 120 s at 5 fps
    assert max(np.diff(keyframes)) <= 5  # a keyframe at least every second
    assert decode_stripe(frames[0]) == round(start * 1000)
    assert decode_stripe(frames[-1]) == round((start + 120) * 1000) - 200
    stripes = [decode_stripe(f) for f in frames[1:]]
    assert stripes == [round(start * 1000) + 200 * i for i in range(595, 600)]


def test_a_clip_url_serves_the_same_file_until_it_expires(
    simulator_factory: SimulatorFactory, tmp_path: Path
) -> None:
    clock = Clock(NOW)
    server = simulator_factory(clock=clock, url_ttl=120.0)
    url = clip_url(server, LOBBY, NOW - 300, NOW - 290)
    first = hashlib.sha256(download(url, tmp_path / "a.ts").read_bytes()).hexdigest()
    again = hashlib.sha256(download(url, tmp_path / "b.ts").read_bytes()).hexdigest()
    assert first == again
    clock.now += 121
    assert httpx.get(url).status_code == 403


def test_each_imager_of_a_multi_imager_camera_has_its_own_picture(
    simulator_factory: SimulatorFactory, tmp_path: Path
) -> None:
    server = simulator_factory(clock=Clock(NOW))
    pictures = []
    for imager in ("1", "4"):
        path = download(
            clip_url(server, PARKING, NOW - 600, NOW - 599, imagerId=imager), tmp_path / "i.ts"
        )
        with av.open(str(path)) as container:
            frame = next(container.decode(video=0)).to_ndarray(format="rgb24")
        assert decode_stripe(frame) == round((NOW - 600) * 1000)
        pictures.append(frame[40:].astype(int))
    assert np.abs(pictures[0] - pictures[1]).mean() > 5


def test_each_imager_tints_its_time_stripe_so_a_test_can_tell_which_it_is(
    simulator_factory: SimulatorFactory, tmp_path: Path
) -> None:
    server = simulator_factory(clock=Clock(NOW))
    asks = [(PARKING, imager, imager) for imager in (1, 2, 3, 4)] + [(LOBBY, None, 1)]
    for serial, imager, expected in asks:
        extra = {"imagerId": str(imager)} if imager else {}
        path = download(clip_url(server, serial, NOW - 600, NOW - 599, **extra), tmp_path / "i.ts")
        with av.open(str(path)) as container:
            frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
        assert [decode_imager(f) for f in frames] == [expected] * len(frames), (serial, imager)
        assert decode_stripe(frames[0]) == round((NOW - 600) * 1000)


def test_a_snapshot_is_a_jpeg_of_the_time_asked_for(simulator_factory: SimulatorFactory) -> None:
    clock = Clock(NOW)
    server = simulator_factory(clock=clock, snapshot_ready_delay=2.0)
    moment = NOW - 3600.4
    answer = httpx.post(
        f"{server.api_url}/devices/{LOBBY}/camera/generateSnapshot",
        json={"timestamp": format_timestamp(moment)},
        headers=AUTH,
    )
    assert answer.status_code == 200 and set(answer.json()) == {"url", "expiry"}
    url = answer.json()["url"]
    assert url.startswith(server.url + "/media/snapshots/")
    assert httpx.get(url).status_code == 404  # not uploaded yet, as in the real cloud
    clock.now += 2
    image = Image.open(io.BytesIO(httpx.get(url).content))
    assert image.format == "JPEG" and image.size == (480, 270)
    assert decode_stripe(np.asarray(image.convert("RGB"))) == round(moment * 1000)


def test_a_live_fullframe_snapshot_is_larger_and_shows_now(
    simulator_factory: SimulatorFactory,
) -> None:
    server = simulator_factory(clock=Clock(NOW), snapshot_ready_delay=0.0)
    answer = httpx.post(
        f"{server.api_url}/devices/{LOBBY}/camera/generateSnapshot",
        json={"fullframe": True},
        headers=AUTH,
    )
    image = Image.open(io.BytesIO(httpx.get(answer.json()["url"]).content))
    assert image.size == (960, 540)
    assert decode_stripe(np.asarray(image.convert("RGB"))) == round(NOW * 1000)


@given(
    st.integers(min_value=0, max_value=2**STRIPE_BITS - 1), st.sampled_from([(270, 480), (100, 97)])
)
def test_the_stripe_decodes_what_was_painted_despite_noise(
    value: int, shape: tuple[int, int]
) -> None:
    frame = np.full((*shape, 3), 128, dtype=np.uint8)
    paint_stripe(frame, value)
    noise = np.random.default_rng(value % 1000).integers(-60, 60, frame.shape)
    noisy = np.clip(frame.astype(int) + noise, 0, 255).astype(np.uint8)
    assert decode_stripe(noisy) == value
