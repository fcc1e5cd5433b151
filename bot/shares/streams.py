"""Near-live video for share viewers, built from back-to-back clip requests.

One `CameraStream` per camera being watched, however many people watch it: it asks the
API for consecutive segments of `segment_length` as soon as the cloud has them (the
availability lag behind live), remuxes each once into MPEG-TS (for HLS players) and
fragmented MP4 (for the page's own Media Source Extensions player), and keeps the last
few. Upstream requests depend on the cameras watched, never on the number of viewers.
A stream starts on the first viewer request and stops once no viewer has asked for a
while. Requests use the budget's viewer priority; when they cannot keep up, the stream
says it is delayed, and skips ahead rather than falling ever further behind.

With several replicas the same holds across them: the replica holding the camera's lease
(bot/shares/stream_leases.py) fetches into the shared data directory and lists each segment
in the store; the others follow that list, so every replica's playlist names the same
segments and N viewers on M replicas cost what one viewer costs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.media import MediaError
from bot.meraki import InvalidRequest, MerakiClient, MerakiError, Priority, TooRecent
from bot.meraki.explain import explain
from bot.shares.remux import Segment, remux_segment, segment_codec, segment_files
from bot.shares.stream_leases import Board, Leases, Listed, SoloLeases, StreamState

__all__ = ["CameraStream", "Segment", "StreamHub", "StreamView", "remux_segment", "segment_codec"]

log = logging.getLogger(__name__)

WINDOW = 6  # segments listed to players
KEPT = WINDOW + 3  # segments kept on disk: a player may still be reading an unlisted one
BACKLOG = 2  # segments fetched at once on start, so playback has a segment in hand
SKIP_AFTER = 3  # segments behind schedule before jumping back to near-live
# A segment is asked for this long after the cloud should have it, to absorb clock skew.
MARGIN = 0.5
LAG_STEP, LAG_MAX = 1.0, 120.0  # how the stream learns that the cloud lags more than assumed
FOLLOW_EVERY = 0.5  # seconds at most between a following replica's looks at the index
RELEASE_WAIT = 5.0  # seconds a stopping holder gives the store to take its lease back


class LeaseLost(Exception):
    """Another replica holds the camera's lease now: this one stops fetching."""


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
    """One camera's stream on this replica, fetched here (holding the lease) or followed
    (another replica holds it); `touch` on every viewer request."""

    def __init__(
        self,
        meraki: MerakiClient,
        serial: str,
        folder: Path,
        length: timedelta,
        lag: timedelta,
        clock: Callable[[], datetime],
        leases: Leases | None = None,
        holder: str = "solo",
    ) -> None:
        self.serial = serial
        self._meraki, self._folder, self._clock = meraki, folder, clock
        self._leases: Leases = leases or SoloLeases()
        self._holder = holder
        self._length = length.total_seconds()
        self._lag = lag.total_seconds()
        self._extra_lag = 0.0  # learnt from "too recent" answers
        self._idle = max(3 * self._length, 3.0)
        self._late = 1.5 * self._length  # behind schedule by this much: say "delayed"
        self._renew_every = min(self._length, self._leases.lease.total_seconds() / 3)
        self._follow_every = min(FOLLOW_EVERY, self._length / 4)
        self._segments: list[Segment] = []
        self._seen = asyncio.get_running_loop().time()
        self._reported = -math.inf  # the viewer request this replica last told the store of
        self._watched_elsewhere: datetime | None = None  # from the store, while holding
        self._delayed = False
        self._due: float | None = None  # when the segment being fetched became fetchable
        self._problem: str | None = None
        self._codec: str | None = None
        self._imager: int | None = None
        self._gap = False  # the first segment of a run follows nothing to break from
        self._dropped_gaps = 0
        self._arrived = asyncio.Event()
        self.holding = False
        self.task: asyncio.Task[None] | None = None

    def touch(self) -> None:
        self._seen = asyncio.get_running_loop().time()

    @property
    def idle(self) -> bool:
        """Whether no viewer of this replica has asked for a while."""
        return asyncio.get_running_loop().time() - self._seen > self._idle

    def _idle_everywhere(self) -> bool:
        """Whether no viewer of any replica has asked for a while (the holder stops then)."""
        if not self.idle:
            return False
        elsewhere = self._watched_elsewhere
        return elsewhere is None or (self._clock() - elsewhere).total_seconds() > self._idle

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

    def file(self, seq: int, kind: str) -> Path | None:
        """Segment `seq`'s MPEG-TS (`ts`) or MP4 (`mp4`) file, if it is on disk: listed here,
        or written by the holder since this replica last read the index."""
        if kind not in ("ts", "mp4"):
            return None
        ts, mp4 = segment_files(self._folder, seq)
        path = ts if kind == "ts" else mp4
        return path if path.is_file() else None

    async def run(self) -> None:
        """Fetch or follow the stream until no viewer of this replica has asked for `idle`
        seconds (the holder: of any replica)."""
        self._folder.mkdir(parents=True, exist_ok=True)
        while not self.idle:
            board = await self._leases.claim(self.serial, self._holder, self._clock())
            if board is None:
                await self._follow()
            elif await self._hold(board):
                return

    # Holding: fetch, list, renew --------------------------------------------------------

    async def _hold(self, board: Board) -> bool:
        """Fetch while anyone watches: True once nobody does, False if the lease was lost."""
        self.holding = True
        log.info("stream lease taken serial=%s holder=%s", self.serial, self._holder)
        fetching = asyncio.create_task(self._fetch_all(self._adopt(board)))
        try:
            while True:
                await asyncio.wait([fetching], timeout=self._renew_every)
                if fetching.done():
                    fetching.result()  # LeaseLost, or the stream's own failure, go on up
                    await self._stop_holding()
                    return True
                now = self._clock()
                watched = await self._leases.renew(self.serial, self._holder, now, self._state())
                if watched is None:
                    raise LeaseLost()
                self._watched_elsewhere = watched
        except LeaseLost:
            log.info("stream lease lost serial=%s holder=%s", self.serial, self._holder)
            return False
        except BaseException:  # stopped (cancelled) or failed: let another replica carry on
            await _stopped(fetching)  # its download's cleanup first, then the folder's
            await self._hand_over()
            raise
        finally:
            self.holding = False
            await _stopped(fetching)

    def _adopt(self, board: Board) -> int:
        """Carry on from the segments the previous holder listed, if they are recent; the
        first segment to fetch."""
        newest = self._newest_ready()
        listed = board.segments
        if listed and listed[-1].seq >= newest - KEPT:
            self._segments = [self._on_disk(s) for s in listed[-KEPT:]]
            self._codec = board.state.codec
            self._dropped_gaps = board.state.discontinuities
            self._arrived.set()
            return listed[-1].seq + 1
        return newest - BACKLOG + 1

    async def _stop_holding(self) -> None:
        """Nobody watches anywhere: delete the segments, then give the lease up."""
        self.discard()
        await self._leases.release(self.serial, self._holder, forget=True)

    async def _hand_over(self) -> None:
        """This replica stops while people may still watch: leave the segments listed and
        free the lease at once, so that another replica carries on without waiting for it
        to lapse (alone, there is nobody to hand over to)."""
        if not self._leases.shared:
            self.discard()
            return
        with contextlib.suppress(Exception):
            async with asyncio.timeout(RELEASE_WAIT):
                await self._leases.release(self.serial, self._holder, forget=False)

    def _state(self) -> StreamState:
        due = datetime.fromtimestamp(self._due, UTC) if self._due is not None else None
        return StreamState(self._codec, self._problem, due, self.delayed, self._dropped_gaps)

    async def _fetch_all(self, seq: int) -> None:
        """Fetch segments from `seq` on until nobody anywhere has asked for `idle` seconds."""
        length_ms = round(self._length * 1000)
        while not self._idle_everywhere():
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
        """Fetch, remux and list one segment; False to try the same segment again shortly."""
        start = datetime.fromtimestamp(seq * length_ms / 1000, UTC)
        end = start + timedelta(milliseconds=length_ms)
        # Named for this fetch alone: a holder whose lease lapsed may still be finishing it.
        raw = self._folder / f".{seq}.{secrets.token_hex(4)}.raw.ts"
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
        kept = [*self._segments, segment][-KEPT:]
        listed = Listed(seq, start, segment.duration, segment.discontinuity)
        # Listed before this replica shows it: no playlist anywhere names a segment that
        # another replica could not find in the index.
        if not await self._leases.publish(
            self.serial, self._holder, self._clock(), listed, kept[0].seq
        ):
            raise LeaseLost()
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

    # Following: another replica fetches -------------------------------------------------

    async def _follow(self) -> None:
        """Show what the holder lists until the lease is free or lapsed, or nobody here
        watches; say when viewers here last asked, so that the holder goes on for them."""
        loop = asyncio.get_running_loop()
        while not self.idle:
            now = self._clock()
            board = await self._leases.board(self.serial, now)
            if board.holder is None:
                return
            self._show(board)
            if self._seen > self._reported:
                # When the viewer asked, not when this was noticed: the holder stops on it.
                seen = now - timedelta(seconds=loop.time() - self._seen)
                self._reported = self._seen
                await self._leases.watched(self.serial, seen)
            await asyncio.sleep(self._follow_every)

    def _show(self, board: Board) -> None:
        self._segments = [self._on_disk(s) for s in board.segments]
        state = board.state
        self._codec, self._problem = state.codec, state.problem
        self._delayed, self._dropped_gaps = state.delayed, state.discontinuities
        self._due = state.due_at.timestamp() if state.due_at is not None else None
        if self._segments:
            self._arrived.set()

    def _on_disk(self, listed: Listed) -> Segment:
        ts, mp4 = segment_files(self._folder, listed.seq)
        return Segment(listed.seq, listed.start, listed.duration, ts, mp4, listed.discontinuity)

    def discard(self) -> None:
        shutil.rmtree(self._folder, ignore_errors=True)
        self._segments.clear()


async def _stopped(task: asyncio.Task[None]) -> None:
    """Cancel `task` and wait for it; whatever it ended with was already dealt with."""
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task


def _retryable(error: Exception) -> bool:
    status = getattr(error, "status", None)
    return isinstance(error, MerakiError) and (status is None or status == 429 or status >= 500)


class StreamHub:
    """The camera streams being watched; `watch(serial)` on every viewer request.

    `leases` decides which replica fetches a camera (SoloLeases: this process, always);
    `holder` names this replica in them.
    """

    def __init__(
        self,
        meraki: MerakiClient,
        folder: Path,
        length: timedelta,
        lag: timedelta,
        clock: Callable[[], datetime],
        leases: Leases | None = None,
        holder: str = "solo",
    ) -> None:
        self._meraki, self._folder = meraki, folder
        self._length, self._lag, self._clock = length, lag, clock
        self._leases: Leases = leases or SoloLeases()
        self.holder = holder
        self._streams: dict[str, CameraStream] = {}

    def watch(self, serial: str) -> CameraStream:
        """The camera's stream, started if nobody here was watching it."""
        stream = self._streams.get(serial)
        if stream is None:
            folder = self._folder / "".join(c if c.isalnum() else "_" for c in serial)
            stream = CameraStream(
                self._meraki,
                serial,
                folder,
                self._length,
                self._lag,
                self._clock,
                self._leases,
                self.holder,
            )
            stream.task = asyncio.create_task(self._run(stream), name=f"stream {serial}")
            self._streams[serial] = stream
        stream.touch()
        return stream

    @property
    def watched(self) -> list[str]:
        return sorted(self._streams)

    def holding(self, serial: str) -> bool:
        """Whether this replica fetches the camera's stream right now."""
        stream = self._streams.get(serial)
        return stream is not None and stream.holding

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
        ended = False
        try:
            await stream.run()
            ended = True
        except Exception:
            log.exception("stream failed serial=%s", stream.serial)
        finally:
            if self._streams.get(stream.serial) is stream:
                del self._streams[stream.serial]
            log.info("stream stops serial=%s", stream.serial)
        # A viewer who came while the stream gave its lease up gets a fresh one.
        if ended and not stream.idle:
            self.watch(stream.serial)
