"""Where each copied packet lands on the joined clip's timeline."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from av.packet import Packet
from av.stream import Stream


@dataclass
class Track:
    """One output stream and how far its timeline has got, in seconds."""

    out: Stream
    kind: str
    codec: str
    last_dts: Fraction | None = None
    end: Fraction | None = None  # when the last packet written stops showing
    frame_ticks: int = 0  # spacing of recent packets, for packets that carry no duration

    def place(self, packet: Packet[Stream], offset: int) -> Fraction | None:
        """Move `packet` by `offset` ticks; return when it stops showing, None to drop it.

        Decoding timestamps must rise strictly within a stream, so where B-frames or a
        camera's rounding reach back across a join the packet is nudged forward. Audio that
        overlaps what the previous part already played is dropped instead: an audio frame
        stands alone, and nudging would push the rest of the part out of sync.
        """
        time_base = packet.time_base
        dts = packet.dts if packet.dts is not None else packet.pts
        pts = packet.pts if packet.pts is not None else dts
        if dts is None or pts is None:
            return None
        dts, pts = dts + offset, pts + offset
        duration = packet.duration or self.frame_ticks
        overlap = self.end is not None and (pts + Fraction(duration, 2)) * time_base < self.end
        if overlap and self.kind != "video":
            return None
        if self.last_dts is not None:
            gap = dts * time_base - self.last_dts
            if gap <= 0:
                dts = math.floor(self.last_dts / time_base) + 1
                pts = max(pts, dts)
            else:
                self.frame_ticks = int(gap / time_base)
                duration = packet.duration or self.frame_ticks
        packet.dts, packet.pts, packet.duration = dts, pts, duration
        self.last_dts = dts * time_base
        end = (pts + duration) * time_base
        self.end = end if self.end is None else max(self.end, end)
        return end


def start_of(streams: Iterable[Stream]) -> Fraction | None:
    """Earliest presentation time of `streams` in seconds, as the demuxer found it."""
    starts = [
        stream.start_time * stream.time_base
        for stream in streams
        if stream.start_time is not None and stream.time_base is not None
    ]
    return min(starts, default=None)


def packet_time(packet: Packet[Stream]) -> Fraction | None:
    """When `packet` is presented (or decoded, when it has no presentation time)."""
    ticks = packet.pts if packet.pts is not None else packet.dts
    return None if ticks is None else ticks * packet.time_base
