"""The stream's descriptions for players: an HLS playlist, and the page player's live.json."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any
from urllib.parse import quote

from bot.grammar.formatting import iso_utc
from bot.shares.streams import StreamView


def playlist(view: StreamView, serial: str, proof: str | None) -> str:
    """A live HLS media playlist (no ENDLIST: players reload it) of MPEG-TS segments."""
    key = f"?k={quote(proof)}" if proof else ""
    segments = view.segments
    target = max([view.length, *(s.duration for s in segments)])
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:3",
        f"#EXT-X-TARGETDURATION:{math.ceil(target)}",
        f"#EXT-X-MEDIA-SEQUENCE:{segments[0].seq if segments else 0}",
        f"#EXT-X-DISCONTINUITY-SEQUENCE:{view.discontinuities}",
    ]
    for segment in segments:
        if segment.discontinuity:
            lines.append("#EXT-X-DISCONTINUITY")
        lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{_program_time(segment.start)}")
        lines.append(f"#EXTINF:{segment.duration:.3f},")
        lines.append(f"{quote(serial)}/{segment.seq}.ts{key}")
    return "\n".join(lines) + "\n"


def live_state(view: StreamView, serial: str, base: str, now: datetime) -> dict[str, Any]:
    """What the page's player polls: the fragmented-MP4 segments and the stream's health."""
    return {
        "segments": [
            {
                "seq": s.seq,
                "url": f"{base}/{quote(serial)}/{s.seq}.mp4",
                "start": round(s.start.timestamp() * 1000),
                "duration": s.duration,
                "gap": s.discontinuity,
            }
            for s in view.segments
        ],
        "length": view.length,
        "delayed": view.delayed,
        "codec": view.codec,
        "problem": view.problem,
        "now": round(now.timestamp() * 1000),
    }


def _program_time(moment: datetime) -> str:
    return iso_utc(moment, precise=True).replace("Z", "+00:00")
