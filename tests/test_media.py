"""Joining clip parts: continuous timelines, playable files, honest errors."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from bot.media import (
    Container,
    MediaError,
    join_clips,
    join_clips_async,
    probe,
    sha256_file,
    sha256_file_async,
)

FPS = 5
PART_FRAMES = 25  # 5 s per part
FRAME_MS = 1000 // FPS
WIDTH, HEIGHT = 320, 180
EPOCH_MS = 1_774_276_200_000  # 2026-03-23T14:30:00Z
WRAP_FRAMES = (1 << 33) // (90_000 // FPS)  # the frame index where 33-bit PTS wraps


@dataclass(frozen=True)
class Part:
    """How to make one fake clip part."""

    first_ms: int
    start_frame: int = 0  # the camera's PTS of the first frame, in frames
    codec: str = "libx264"
    b_frames: int = 0
    audio: bool = False
    data: bool = False


def stripe_frame(epoch_ms: int) -> np.ndarray:
    """A grey picture whose top 16 px carry `epoch_ms` as the simulator's 48-block stripe."""
    image = np.full((HEIGHT, WIDTH, 3), 96, np.uint8)
    for block in range(48):
        bit = (epoch_ms >> (47 - block)) & 1
        image[:16, block * WIDTH // 48 : (block + 1) * WIDTH // 48] = 255 if bit else 0
    return image


def read_stripe(luma: np.ndarray) -> int:
    value = 0
    for block in range(48):
        left, right = block * luma.shape[1] // 48, (block + 1) * luma.shape[1] // 48
        value = value << 1 | int(luma[:16, left:right].mean() >= 128)
    return value


def write_part(path: Path, part: Part) -> Path:
    with av.open(str(path), "w", format="mpegts") as output:
        video = output.add_stream(
            part.codec, rate=FPS, options={"bf": str(part.b_frames), "g": "10"}
        )
        assert isinstance(video, av.VideoStream)
        video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        video.codec_context.time_base = Fraction(1, FPS)
        audio = output.add_stream("aac", rate=16_000, layout="mono") if part.audio else None
        assert audio is None or isinstance(audio, av.AudioStream)
        data = output.add_data_stream("klv") if part.data else None
        for index in range(PART_FRAMES):
            frame = av.VideoFrame.from_ndarray(stripe_frame(part.first_ms + index * FRAME_MS))
            frame.pts, frame.time_base = part.start_frame + index, Fraction(1, FPS)
            output.mux(video.encode(frame))
            if data is not None:
                packet = av.Packet(b"\x06\x0e\x2b\x34 not for chat")
                packet.stream, packet.time_base = data, Fraction(1, FPS)
                packet.pts = packet.dts = part.start_frame + index
                output.mux(packet)
        output.mux(video.encode(None))
        if audio is not None:
            samples = 16_000 * PART_FRAMES // FPS
            for start in range(0, samples, 1024):
                tone = np.sin(np.arange(start, start + 1024, dtype=np.float32) / 8)
                sound = av.AudioFrame.from_ndarray(tone[None, :], format="fltp", layout="mono")
                sound.sample_rate, sound.pts = 16_000, start
                output.mux(audio.encode(sound))
            output.mux(audio.encode(None))
    return path


MakeParts = Callable[..., list[Path]]


@pytest.fixture
def make_parts(tmp_path: Path) -> MakeParts:
    """Back-to-back parts: part k shows the 5 s after part k-1, whatever its PTS."""

    def make(
        *start_frames: int, audio: bool = False, data: bool = False, b_frames: int = 0
    ) -> list[Path]:
        return [
            write_part(
                tmp_path / f"part{number}.ts",
                Part(
                    EPOCH_MS + number * PART_FRAMES * FRAME_MS,
                    start,
                    audio=audio,
                    data=data,
                    b_frames=b_frames,
                ),
            )
            for number, start in enumerate(start_frames)
        ]

    return make


def decoded(path: Path) -> list[tuple[float, int]]:
    """(presentation time, stripe) of every frame as a player shows them."""
    with av.open(str(path)) as container:
        return [
            (float(frame.time or 0.0), read_stripe(frame.to_ndarray(format="gray")))
            for frame in container.decode(video=0)
        ]


def assert_continuous(path: Path, frame_count: int) -> None:
    frames = decoded(path)
    times, stripes = [t for t, _ in frames], [s for _, s in frames]
    assert len(frames) == frame_count
    assert stripes[0] == EPOCH_MS
    assert stripes[-1] == EPOCH_MS + (frame_count - 1) * FRAME_MS
    assert stripes == sorted(set(stripes)), "frames repeated or out of order across a join"
    steps = {round(b - a, 3) for a, b in itertools.pairwise(times)}
    assert steps == {1 / FPS}, f"gaps or overlaps in the timeline: {sorted(steps)}"


@pytest.mark.parametrize(("container", "suffix"), [("mp4", ".mp4"), ("ts", ".ts")])
def test_three_parts_play_as_one_fifteen_second_clip(
    make_parts: MakeParts, tmp_path: Path, container: Container, suffix: str
) -> None:
    dest = tmp_path / f"clip{suffix}"

    info = join_clips(make_parts(0, 0, 0), dest, container=container)

    assert info.path == dest and info.container == container
    assert abs(info.duration - 15.0) <= 1 / FPS
    assert (info.video_codec, info.width, info.height) == ("h264", WIDTH, HEIGHT)
    assert info.frame_count == 3 * PART_FRAMES
    assert info.size_bytes == dest.stat().st_size
    assert_continuous(dest, 3 * PART_FRAMES)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_checksum_is_the_files_sha256(make_parts: MakeParts, tmp_path: Path) -> None:
    dest = tmp_path / "clip.mp4"
    info = join_clips(make_parts(0, 0), dest, container="mp4")
    expected = hashlib.sha256(dest.read_bytes()).hexdigest()
    assert info.sha256 == expected == sha256_file(dest) == probe(dest).sha256


def test_mp4_puts_its_index_before_the_media(make_parts: MakeParts, tmp_path: Path) -> None:
    dest = tmp_path / "clip.mp4"
    join_clips(make_parts(0, 0, 0), dest, container="mp4")

    atoms, data, offset = [], dest.read_bytes(), 0
    while offset + 8 <= len(data):
        atoms.append(data[offset + 4 : offset + 8].decode("latin-1"))
        offset += int.from_bytes(data[offset : offset + 4], "big")
    assert atoms[0] == "ftyp"
    assert atoms.index("moov") < atoms.index("mdat")


def test_parts_with_large_and_wrapping_pts_join_continuously(
    make_parts: MakeParts, tmp_path: Path
) -> None:
    ten_hours = 10 * 3600 * FPS
    parts = make_parts(ten_hours, WRAP_FRAMES - PART_FRAMES // 2, 0)
    with av.open(str(parts[1])) as wrapping:  # the fixture really crosses the wrap
        assert wrapping.streams.video[0].start_time is not None
        assert wrapping.streams.video[0].start_time < 0

    dest = tmp_path / "clip.mp4"
    info = join_clips(parts, dest, container="mp4")

    assert abs(info.duration - 15.0) <= 1 / FPS
    assert_continuous(dest, 3 * PART_FRAMES)


def test_parts_with_b_frames_join_continuously(make_parts: MakeParts, tmp_path: Path) -> None:
    dest = tmp_path / "clip.mp4"
    info = join_clips(make_parts(0, 0, 0, b_frames=2), dest, container="mp4")
    assert abs(info.duration - 15.0) <= 1 / FPS
    assert_continuous(dest, 3 * PART_FRAMES)


def test_a_single_part_is_remuxed(make_parts: MakeParts, tmp_path: Path) -> None:
    dest = tmp_path / "clip.mp4"
    info = join_clips(make_parts(12_345), dest, container="mp4")
    assert abs(info.duration - 5.0) <= 1 / FPS
    assert_continuous(dest, PART_FRAMES)


def test_audio_is_copied_and_data_streams_dropped(make_parts: MakeParts, tmp_path: Path) -> None:
    dest = tmp_path / "clip.mp4"
    join_clips(make_parts(0, 0, 0, audio=True, data=True), dest, container="mp4")

    with av.open(str(dest)) as clip:
        assert [s.type for s in clip.streams] == ["video", "audio"]
        audio = clip.streams.audio[0]
        assert audio.codec_context.name == "aac"
        sounds = [(float(f.time or 0.0), f.samples / f.sample_rate) for f in clip.decode(audio=0)]
    ends = [start + length for start, length in sounds]
    assert all(b >= a - 1e-3 for a, b in zip(ends, [s for s, _ in sounds[1:]], strict=False)), (
        "audio overlaps itself at a join"
    )
    assert abs(sum(length for _, length in sounds) - 15.0) < 0.2
    assert abs(ends[-1] - 15.0) < 0.2
    assert_continuous(dest, 3 * PART_FRAMES)


@pytest.mark.parametrize("damage", [b"", bytes(range(256)) * 200])
def test_an_unreadable_part_is_named_and_leaves_nothing(
    make_parts: MakeParts, tmp_path: Path, damage: bytes
) -> None:
    parts = make_parts(0, 0, 0)
    parts[1].write_bytes(damage)
    dest = tmp_path / "clip.mp4"

    with pytest.raises(MediaError) as caught:
        join_clips(parts, dest, container="mp4")

    assert str(caught.value).startswith("part 2 of 3 could not be read as MPEG-TS")
    assert "Traceback" not in str(caught.value) and "av." not in str(caught.value)
    assert not dest.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["part0.ts", "part1.ts", "part2.ts"]


def test_a_part_in_another_codec_is_refused(make_parts: MakeParts, tmp_path: Path) -> None:
    parts = make_parts(0, 0)
    write_part(parts[1], Part(EPOCH_MS + 5000, codec="mpeg2video"))
    dest = tmp_path / "clip.mp4"

    with pytest.raises(MediaError, match=r"part 2 of 2 holds video in mpeg2video"):
        join_clips(parts, dest, container="mp4")
    assert not dest.exists()


def test_no_parts_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="no clip parts"):
        join_clips([], tmp_path / "clip.mp4", container="mp4")


def test_probe_refuses_a_file_that_is_not_video(tmp_path: Path) -> None:
    junk = tmp_path / "notes.mp4"
    junk.write_text("not a video")
    with pytest.raises(MediaError, match=r"notes\.mp4 could not be read"):
        probe(junk)


async def test_async_wrappers_give_the_same_answers(make_parts: MakeParts, tmp_path: Path) -> None:
    dest = tmp_path / "clip.ts"
    info = await join_clips_async(make_parts(0, 0), dest, container="ts")
    assert info.container == "ts"
    assert abs(info.duration - 10.0) <= 1 / FPS
    assert await sha256_file_async(dest) == info.sha256
