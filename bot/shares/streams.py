"""Near-live video for share viewers, built from back-to-back clip requests.

One `CameraStream` per camera being watched, however many people watch it: it asks the
API for consecutive segments of `segment_length` as soon as the cloud has them (the
availability lag behind live), remuxes each once into MPEG-TS (for HLS players) and
fragmented MP4 (for the page's own Media Source Extensions player), and keeps the last
few. Upstream requests depend on the cameras watched, never on the number of viewers.
A stream starts on the first viewer request and stops once no viewer has asked for a
while. Requests use the budget's viewer priority; when they cannot keep up, the stream
says it is delayed, and skips ahead rather than falling ever further behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path

import av

from bot.media import MediaError
from bot.meraki import InvalidRequest, MerakiClient, MerakiError, Priority, TooRecent
from bot.meraki.explain import explain

log = logging.getLogger(__name__)

WINDOW = 6  # segments listed to players
KEPT = WINDOW + 3  # segments kept on disk: a player may still be reading an unlisted one
BACKLOG = 2  # segments fetched at once on start, so playback has a segment in hand
SKIP_AFTER = 3  # segments behind schedule before jumping back to near-live
# A segment is asked for this long after the cloud should have it, to absorb clock skew.
MARGIN = 0.5
TS_TIME_BASE = Fraction(1, 90_000)
TS_WRAP = 2**33  # MPEG-TS timestamps wrap at 33 bits; muxers and players expect it
LAG_STEP, LAG_MAX = 1.0, 120.0  # how the stream learns that the cloud lags more than assumed


@dataclass(frozen=True)
class Segment:
    """One piece of the stream; `seq` is its start in segment lengths since the epoch, so
    every viewer and every restart agrees on it."""

    seq: int
    start: datetime
    duration: float  # seconds of video it holds
    ts: Path
    mp4: Path
    discontinuity: bool  # footage before it is missing (skipped, or the camera was off)


@dataclass(frozen=True)
class StreamView:
    """What a player needs to know right now."""

    segments: tuple[Segment, ...]
    length: float  # nominal segment length, seconds
    delayed: bool
    codec: str | None  # RFC 6381 string for MSE, e.g. avc1.42c00a
    problem: str | None  # why footage is missing, for the page
    discontinuities: int  # discontinuities no longer listed (EXT-X-DISCONTINUITY-SEQUENCE)


class CameraStream:
    """Fetches one camera's segments while someone watches; `touch` on every viewer request."""

    def __init__(
        self,
        meraki: MerakiClient,
        serial: str,
        folder: Path,
        length: timedelta,
        lag: timedelta,
        clock: Callable[[], datetime],
    ) -> None:
        self.serial = serial
        self._meraki, self._folder, self._clock = meraki, folder, clock
        self._length = length.total_seconds()
        self._lag = lag.total_seconds()
        self._extra_lag = 0.0  # learnt from "too recent" answers
        self._idle = max(3 * self._length, 3.0)
        self._late = 1.5 * self._length  # behind schedule by this much: say "delayed"
        self._segments: list[Segment] = []
        self._seen = asyncio.get_running_loop().time()
        self._delayed = False
        self._due: float | None = None  # when the segment being fetched became fetchable
        self._problem: str | None = None
        self._codec: str | None = None
        self._imager: int | None = None
        self._gap = False  # the first segment of a run follows nothing to break from
        self._dropped_gaps = 0
        self._arrived = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    def touch(self) -> None:
        self._seen = asyncio.get_running_loop().time()

    @property
    def idle(self) -> bool:
        return asyncio.get_running_loop().time() - self._seen > self._idle

    @property
    def delayed(self) -> bool:
        """Whether the stream has fallen behind its schedule (a fetch still waiting for the
        rate budget counts as soon as it is late, not only once it returns)."""
        late = self._due is not None and self._clock().timestamp() - self._due > self._late
        return self._delayed or late

    def view(self) -> StreamView:
        return StreamView(
            tuple(self._segments[-WINDOW:]),
            self._length,
            self.delayed,
            self._codec,
            self._problem,
            self._dropped_gaps,
        )

    async def first_segment(self, timeout: float) -> bool:  # noqa: ASYNC109
        """Wait up to `timeout` seconds for the stream to hold a segment."""
        try:
            async with asyncio.timeout(timeout):
                await self._arrived.wait()
        except TimeoutError:
            return False
        return True

    def segment(self, seq: int) -> Segment | None:
        return next((s for s in self._segments if s.seq == seq), None)

    async def run(self) -> None:
        """Fetch segments until no viewer has asked for `idle` seconds."""
        self._folder.mkdir(parents=True, exist_ok=True)
        length_ms = round(self._length * 1000)
        newest = self._newest_ready()
        seq = newest - BACKLOG + 1
        while not self.idle:
            ready = (seq + 1) * self._length + self._lag + self._extra_lag + MARGIN
            now = self._clock().timestamp()
            if now < ready:
                await asyncio.sleep(min(ready - now, self._idle))
                continue
            behind = now - ready
            self._delayed = behind > self._late
            if behind > SKIP_AFTER * self._length:
                log.info("stream skips ahead serial=%s behind=%.1fs", self.serial, behind)
                seq, self._gap = self._newest_ready(), True
                continue
            self._due = ready
            try:
                fetched = await self._fetch(seq, length_ms)
            finally:
                self._due = None
            if fetched:
                seq += 1

    def _newest_ready(self) -> int:
        """The newest segment the cloud should have by now."""
        now = self._clock().timestamp()
        lag = self._lag + self._extra_lag + MARGIN
        return math.floor((now - lag) / self._length) - 1

    async def _fetch(self, seq: int, length_ms: int) -> bool:
        """Fetch and remux one segment; False to try the same segment again shortly."""
        start = datetime.fromtimestamp(seq * length_ms / 1000, UTC)
        end = start + timedelta(milliseconds=length_ms)
        raw = self._folder / f"{seq}.raw.ts"
        loop = asyncio.get_running_loop()
        began = loop.time()
        try:
            async with asyncio.timeout(max(6 * self._length, 30.0)):
                await self._download(start, end, raw)
            fetched = loop.time()
            segment = await asyncio.to_thread(
                remux_segment, raw, self._folder, seq, start, self._gap
            )
        except TooRecent:
            self._extra_lag = min(self._extra_lag + LAG_STEP, LAG_MAX)
            await asyncio.sleep(LAG_STEP)
            return False
        except TimeoutError:
            self._delayed = True
            return False
        except (MerakiError, MediaError) as error:
            # Footage that will never come (camera offline, outside retention): move on.
            log.info("stream segment missing serial=%s seq=%d error=%r", self.serial, seq, error)
            self._problem = explain(error) if isinstance(error, MerakiError) else str(error)
            if _retryable(error):
                self._delayed = True
                await asyncio.sleep(1.0)
                return False
            self._gap = True
            return True
        finally:
            raw.unlink(missing_ok=True)
        log.debug(
            "stream segment serial=%s seq=%d fetch=%.3fs remux=%.3fs",
            self.serial,
            seq,
            fetched - began,
            loop.time() - fetched,
        )
        self._codec = self._codec or await asyncio.to_thread(segment_codec, segment.ts)
        self._segments.append(segment)
        if len(self._segments) > WINDOW and self._segments[-WINDOW - 1].discontinuity:
            self._dropped_gaps += 1
        self._gap, self._problem = False, None
        self._arrived.set()
        for old in self._segments[:-KEPT]:
            old.ts.unlink(missing_ok=True)
            old.mp4.unlink(missing_ok=True)
        del self._segments[:-KEPT]
        return True

    async def _download(self, start: datetime, end: datetime, dest: Path) -> None:
        try:
            await self._meraki.download_clip(
                self.serial, start, end, dest, imager=self._imager, priority=Priority.VIEWER
            )
        except InvalidRequest as error:
            # A multi-imager camera refuses a request without an imager: use the first.
            if self._imager is not None or "imager" not in " ".join(error.details).lower():
                raise
            self._imager = 1
            await self._download(start, end, dest)

    def discard(self) -> None:
        shutil.rmtree(self._folder, ignore_errors=True)
        self._segments.clear()


def _retryable(error: Exception) -> bool:
    status = getattr(error, "status", None)
    return isinstance(error, MerakiError) and (status is None or status == 429 or status >= 500)


class StreamHub:
    """The camera streams being watched; `watch(serial)` on every viewer request."""

    def __init__(
        self,
        meraki: MerakiClient,
        folder: Path,
        length: timedelta,
        lag: timedelta,
        clock: Callable[[], datetime],
    ) -> None:
        self._meraki, self._folder = meraki, folder
        self._length, self._lag, self._clock = length, lag, clock
        self._streams: dict[str, CameraStream] = {}

    def watch(self, serial: str) -> CameraStream:
        """The camera's stream, started if nobody was watching it."""
        stream = self._streams.get(serial)
        if stream is None:
            folder = self._folder / "".join(c if c.isalnum() else "_" for c in serial)
            stream = CameraStream(
                self._meraki, serial, folder, self._length, self._lag, self._clock
            )
            stream.task = asyncio.create_task(self._run(stream), name=f"stream {serial}")
            self._streams[serial] = stream
        stream.touch()
        return stream

    @property
    def watched(self) -> list[str]:
        return sorted(self._streams)

    async def stopped(self, serial: str) -> None:
        """Wait until the camera's stream (if any) has stopped."""
        stream = self._streams.get(serial)
        if stream is not None and stream.task is not None:
            await asyncio.shield(stream.task)

    async def close(self) -> None:
        streams = list(self._streams.values())
        for stream in streams:
            if stream.task is not None:
                stream.task.cancel()
        for stream in streams:
            if stream.task is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await stream.task

    async def _run(self, stream: CameraStream) -> None:
        log.info("stream starts serial=%s", stream.serial)
        try:
            await stream.run()
        except Exception:
            log.exception("stream failed serial=%s", stream.serial)
        finally:
            # Between the idle check and here nothing awaited, so no viewer came meanwhile.
            if self._streams.get(stream.serial) is stream:
                del self._streams[stream.serial]
            stream.discard()
            log.info("stream stops serial=%s", stream.serial)


# Remuxing ------------------------------------------------------------------------------


def remux_segment(raw: Path, folder: Path, seq: int, start: datetime, gap: bool) -> Segment:
    """Write the clip `raw` as segment `seq`: MPEG-TS on a timeline that follows the wall
    clock (so consecutive segments play on without a discontinuity), and fragmented MP4.

    Only video is kept (seed 001: shares carry no audio); leading frames before the first
    keyframe are dropped, since no player can show them.
    """
    ts, mp4 = folder / f"{seq}.ts", folder / f"{seq}.mp4"
    try:
        with av.open(str(raw), "r", format="mpegts") as source:
            if not source.streams.video:
                raise MediaError("the clip holds no video")
            video = source.streams.video[0]
            with (
                av.open(str(ts), "w", format="mpegts") as ts_out,
                av.open(
                    str(mp4),
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
    except (av.FFmpegError, OSError) as error:
        ts.unlink(missing_ok=True)
        mp4.unlink(missing_ok=True)
        raise MediaError(f"the segment could not be remuxed ({error})") from error
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
