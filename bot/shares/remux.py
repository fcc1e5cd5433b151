"""Near-live segments on disk: one clip remuxed into MPEG-TS and fragmented MP4, atomically.

Files appear whole or not at all (written aside, then renamed), so that any replica serving
the shared data directory can hand a segment out as soon as its name exists.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from pathlib import Path

import av

from bot.media import MediaError

TS_TIME_BASE = Fraction(1, 90_000)
TS_WRAP = 2**33  # MPEG-TS timestamps wrap at 33 bits; muxers and players expect it


@dataclass(frozen=True)
class Segment:
    """One piece of the stream; `seq` is its start in segment lengths since the epoch, so
    every viewer, every replica and every restart agrees on it."""

    seq: int
    start: datetime
    duration: float  # seconds of video it holds
    ts: Path
    mp4: Path
    discontinuity: bool  # footage before it is missing (skipped, or the camera was off)


def segment_files(folder: Path, seq: int) -> tuple[Path, Path]:
    """Where segment `seq` lives: (MPEG-TS, fragmented MP4)."""
    return folder / f"{seq}.ts", folder / f"{seq}.mp4"


def remux_segment(raw: Path, folder: Path, seq: int, start: datetime, gap: bool) -> Segment:
    """Write the clip `raw` as segment `seq`: MPEG-TS on a timeline that follows the wall
    clock (so consecutive segments play on without a discontinuity), and fragmented MP4.

    Only video is kept (seed 001: shares carry no audio); leading frames before the first
    keyframe are dropped, since no player can show them.
    """
    ts, mp4 = segment_files(folder, seq)
    aside = f".{secrets.token_hex(4)}.part"
    ts_part, mp4_part = ts.with_name(ts.name + aside), mp4.with_name(mp4.name + aside)
    try:
        with av.open(str(raw), "r", format="mpegts") as source:
            if not source.streams.video:
                raise MediaError("the clip holds no video")
            video = source.streams.video[0]
            with (
                av.open(str(ts_part), "w", format="mpegts") as ts_out,
                av.open(
                    str(mp4_part),
                    "w",
                    format="mp4",
                    options={"movflags": "frag_keyframe+empty_moov+default_base_moof"},
                ) as mp4_out,
            ):
                ts_stream = ts_out.add_stream_from_template(video)
                mp4_stream = mp4_out.add_stream_from_template(video)
                offset = round(start.timestamp() / (video.time_base or TS_TIME_BASE)) % TS_WRAP
                duration = _copy_video(
                    source, video, ((ts_out, ts_stream, offset), (mp4_out, mp4_stream, 0))
                )
        os.replace(ts_part, ts)
        os.replace(mp4_part, mp4)
    except (av.FFmpegError, OSError) as error:
        raise MediaError(f"the segment could not be remuxed ({error})") from error
    finally:
        ts_part.unlink(missing_ok=True)
        mp4_part.unlink(missing_ok=True)
    return Segment(seq, start, duration, ts, mp4, gap)


Output = tuple[av.container.OutputContainer, av.VideoStream, int]  # container, stream, offset


def _copy_video(
    source: av.container.InputContainer, video: av.VideoStream, outputs: tuple[Output, ...]
) -> float:
    """Copy the video packets into every output, moved to start at each output's offset;
    return the seconds of video copied."""
    first: int | None = None
    last_end = 0
    for packet in source.demux(video):
        if packet.dts is None or packet.pts is None:
            continue
        if first is None:
            if not packet.is_keyframe:
                continue
            first = packet.dts
        base = packet.time_base
        pts, dts, length = packet.pts - first, packet.dts - first, packet.duration or 0
        last_end = max(last_end, pts + length)
        for out, stream, offset in outputs:
            # Muxing takes the packet over, so each output gets its own copy.
            copy = av.Packet(bytes(packet))
            copy.pts, copy.dts, copy.duration = pts + offset, dts + offset, length
            copy.time_base, copy.is_keyframe, copy.stream = base, packet.is_keyframe, stream
            out.mux(copy)
    if first is None:
        raise MediaError("the clip holds no keyframe")
    return float(last_end * video.time_base) if video.time_base else 0.0


def segment_codec(path: Path) -> str | None:
    """The RFC 6381 codec string of an H.264 segment, read from its sequence parameter set."""
    try:
        with av.open(str(path), "r") as container:
            for packet in container.demux(container.streams.video[0]):
                data = bytes(packet)
                at = data.find(b"\x00\x00\x01")
                while 0 <= at < len(data) - 6:
                    if data[at + 3] & 0x1F == 7:  # sequence parameter set
                        # profile_idc, constraint flags, level_idc
                        return "avc1." + data[at + 4 : at + 7].hex()
                    at = data.find(b"\x00\x00\x01", at + 3)
                return None
    except (av.FFmpegError, OSError, IndexError):
        return None
    return None
