"""Join back-to-back MPEG-TS clip parts into one MP4 or TS file by copying packets."""

from __future__ import annotations

import asyncio
import logging
import math
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Literal

import av
from av.container import InputContainer, OutputContainer
from av.packet import Packet
from av.stream import Stream

from bot.media.info import MediaError, MediaInfo, probe
from bot.media.timeline import Track, packet_time, start_of

log = logging.getLogger(__name__)

Container = Literal["mp4", "ts"]

# faststart puts the index (moov) before the media so chat clients play while downloading.
_OUTPUT_FORMATS: dict[str, tuple[str, dict[str, str]]] = {
    "mp4": ("mp4", {"movflags": "+faststart"}),
    "ts": ("mpegts", {}),
}
_COPIED_KINDS = ("video", "audio")


def join_clips(parts: Sequence[Path], dest: Path, *, container: Container) -> MediaInfo:
    """Write `parts`, played one after another, as one file at `dest`.

    Each part is shifted so that it starts where the previous one ended, whatever
    timestamps its camera gave it, so the result plays without gaps or overlaps. Video and
    audio are copied, never re-encoded; other streams are dropped. Nothing is left at
    `dest` when this fails.
    """
    if not parts:
        raise MediaError("there are no clip parts to join")
    if container not in _OUTPUT_FORMATS:
        raise ValueError(f"container must be 'mp4' or 'ts', not {container!r}")
    format_name, options = _OUTPUT_FORMATS[container]
    # Unique per call: two rooms may be sent the very same clip at the same moment.
    partial = dest.with_name(f".{dest.name}.{secrets.token_hex(4)}.partial")
    try:
        try:
            with av.open(
                str(partial), "w", format=format_name, container_options=options
            ) as output:
                frames = _copy_parts(parts, output)
        except (av.FFmpegError, OSError) as exc:
            raise MediaError(f"the joined clip could not be written ({_reason(exc)})") from exc
        partial.replace(dest)
    finally:
        partial.unlink(missing_ok=True)
    info = probe(dest)
    return replace(info, frame_count=info.frame_count or frames)


async def join_clips_async(parts: Sequence[Path], dest: Path, *, container: Container) -> MediaInfo:
    """`join_clips` off the event loop."""
    return await asyncio.to_thread(join_clips, parts, dest, container=container)


def _copy_parts(parts: Sequence[Path], output: OutputContainer) -> int:
    """Mux every part into `output`; return the number of video frames written."""
    tracks: list[Track] = []
    cursor: Fraction | None = None  # where the video written so far ends, in seconds
    frames = 0
    for number, path in enumerate(parts, start=1):
        where = f"part {number} of {len(parts)}"
        with _open_part(path, where) as source:
            inputs = _select_streams(source, where)
            if not tracks:
                tracks = _create_tracks(inputs, output)
            mapping = _map_streams(inputs, tracks, where)
            cursor, written = _copy_part(source, output, mapping, cursor, where)
            frames += written
    return frames


def _open_part(path: Path, where: str) -> InputContainer:
    # Clip parts are MPEG-TS; joining finished MP4 files (exports combined) reads MP4.
    source_format = "mp4" if path.suffix == ".mp4" else "mpegts"
    try:
        return av.open(str(path), "r", format=source_format)
    except (av.FFmpegError, OSError) as exc:
        raise MediaError(f"{where} could not be read as MPEG-TS ({_reason(exc)})") from exc


def _select_streams(source: InputContainer, where: str) -> list[Stream]:
    if not source.streams.video:
        raise MediaError(f"{where} could not be read as MPEG-TS (it holds no video)")
    return [stream for kind in _COPIED_KINDS for stream in source.streams if stream.type == kind]


def _create_tracks(inputs: list[Stream], output: OutputContainer) -> list[Track]:
    tracks = []
    for stream in inputs:
        codec = stream.codec_context.name
        if not _fits(output, codec):
            log.warning(
                "dropping %s stream: %s cannot go in %s", stream.type, codec, output.format.name
            )
            continue
        tracks.append(Track(output.add_stream_from_template(stream), stream.type, codec))
    if not tracks or tracks[0].kind != "video":  # inputs come video first
        codec = inputs[0].codec_context.name
        raise MediaError(f"{codec} video cannot be copied into {output.format.name}")
    return tracks


def _fits(output: OutputContainer, codec: str) -> bool:
    # MPEG-TS publishes no codec list to ask, and our parts are MPEG-TS already.
    return output.format.name == "mpegts" or codec in output.supported_codecs


def _map_streams(inputs: list[Stream], tracks: list[Track], where: str) -> dict[int, Track]:
    """Pair this part's streams with the output's, the n-th video with the n-th video."""
    mapping: dict[int, Track] = {}
    for kind in _COPIED_KINDS:
        pending = [track for track in tracks if track.kind == kind]
        for stream, track in zip((s for s in inputs if s.type == kind), pending, strict=False):
            codec = stream.codec_context.name
            if codec != track.codec:
                raise MediaError(
                    f"{where} holds {kind} in {codec} where part 1 holds {track.codec};"
                    " they cannot be joined without re-encoding"
                )
            mapping[stream.index] = track
    return mapping


def _copy_part(
    source: InputContainer,
    output: OutputContainer,
    mapping: dict[int, Track],
    cursor: Fraction | None,
    where: str,
) -> tuple[Fraction, int]:
    """Copy one part so its video starts at `cursor`; return where its video ends.

    The first part keeps its own layout, moved to start at 0. A later part's video picks
    up exactly where the previous video stopped, and its audio moves with it, in sync.
    """
    streams = [stream for stream in source.streams if stream.index in mapping]
    video = [stream for stream in streams if stream.type == "video"]
    start = start_of(streams) if cursor is None else start_of(video)
    target = cursor or Fraction(0)
    end, frames = target, 0
    for packet in _packets(source, streams, where):
        track = mapping[packet.stream.index]
        time_base = packet.time_base
        start = packet_time(packet) if start is None else start
        assert start is not None  # _packets yields only timed packets
        shown_until = track.place(packet, math.floor((target - start) / time_base))
        if shown_until is None:
            continue
        packet.stream, packet.time_base = track.out, time_base
        output.mux_one(packet)
        if track.kind == "video":
            end, frames = max(end, shown_until), frames + 1
    if frames == 0:
        raise MediaError(f"{where} could not be read as MPEG-TS (it holds no video frames)")
    return end, frames


def _packets(source: InputContainer, streams: list[Stream], where: str) -> Iterator[Packet[Stream]]:
    """This part's timed packets, with read errors told as this part's fault."""
    demuxer = source.demux(streams)
    while True:
        try:
            packet = next(demuxer)
        except StopIteration:
            return
        except av.FFmpegError as exc:
            raise MediaError(f"{where} could not be read as MPEG-TS ({_reason(exc)})") from exc
        if packet.dts is not None or packet.pts is not None:
            yield packet


def _reason(exc: Exception) -> str:
    if isinstance(exc, EOFError):  # what FFmpeg says when it finds nothing it can parse
        return "it is empty or holds no MPEG-TS data"
    if isinstance(exc, av.FFmpegError) and exc.strerror:
        return exc.strerror.lower()
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return str(exc)
