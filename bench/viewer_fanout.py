"""Benchmark: the share viewer's upstream cost as 1, 5 and 20 people watch one camera.

Run by hand: ``.venv/bin/python bench/viewer_fanout.py`` (``--seconds S``, ``--viewers
1,5,20``; add ``--no-write`` to leave docs/benchmarks.md alone). It starts the real bot
with its real web app (as ``mvbot run`` assembles it) against a simulator at 5 req/s with
footage 5 s behind live, shares Lobby, and for each K plays the share's HLS playlist with
K concurrent httpx clients, each from its own loopback address (so the viewer rate limit
applies per viewer, as it would to people on different networks). The simulator's log
counts the clip API requests; the baseline is K = 1, and the ideal ratio is 1.0.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from adapters.memory import MemoryAdapter  # noqa: E402
from bench.report import replace_section  # noqa: E402
from bot.app import Running, running_bot  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.run import file_links, web_app  # noqa: E402
from bot.shares.streams import BACKLOG, MARGIN  # noqa: E402
from bot.web.server import web_server  # noqa: E402
from simulator import SimulatorConfig, SimulatorServer  # noqa: E402

API_KEY = "demo-key"
RATE = 5.0
SEGMENT = 2.0  # seconds per segment, one clip request each
LAG = 5.0  # the simulated cloud's availability lag, told to the bot as well
OPERATOR = "U1"
CAMERA = "Lobby"
LINK = re.compile(r"/s/([A-Za-z0-9_-]{43})")
SECTION = "## Viewer fan-out"


@dataclass
class Player:
    """Plays a live HLS playlist as the HLS spec asks a client to: reload it after one
    target duration when it changed, half of one when it did not; fetch each new segment."""

    http: httpx.AsyncClient
    playlist: str
    fetched: set[int] = field(default_factory=set)
    behind_live: list[float] = field(default_factory=list)  # seconds, per segment received
    refused: int = 0  # answers other than 200

    async def play(self, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        until = loop.time() + seconds
        first = True
        while loop.time() < until:
            answer = await self.http.get(self.playlist)
            if answer.status_code != 200:
                self.refused += 1
                await asyncio.sleep(max(0.0, min(SEGMENT / 2, until - loop.time())))
                continue
            new = [s for s in _entries(answer.text) if s[0] not in self.fetched]
            for seq, end, uri in new:
                segment = await self.http.get(self.playlist.rsplit("/", 1)[0] + "/" + uri)
                if segment.status_code != 200:
                    self.refused += 1
                    continue
                self.fetched.add(seq)
                if not first:  # the start-up backlog is old on purpose; new ones are live
                    self.behind_live.append(time.time() - end)
            first = False
            pause = SEGMENT if new else SEGMENT / 2
            await asyncio.sleep(max(0.0, min(pause, until - loop.time())))


def _entries(text: str) -> list[tuple[int, float, str]]:
    """(sequence number, end of its footage in epoch seconds, URI) per listed segment."""
    lines = text.splitlines()
    seq = int(next(x for x in lines if x.startswith("#EXT-X-MEDIA-SEQUENCE:")).split(":")[1])
    entries, start, length = [], 0.0, 0.0
    for line in lines:
        if line.startswith("#EXT-X-PROGRAM-DATE-TIME:"):
            start = datetime.fromisoformat(line.split(":", 1)[1]).timestamp()
        elif line.startswith("#EXTINF:"):
            length = float(line[8:].rstrip(",").split(",")[0])
        elif line and not line.startswith("#"):
            entries.append((seq, start + length, line))
            seq += 1
    return entries


@dataclass(frozen=True)
class Round:
    viewers: int
    clip_requests: int  # while the viewers watched
    with_idle_stop: int  # plus the stream's fetches until it noticed nobody watches
    api_requests: int  # every API request while the viewers watched
    upstream_refused: int  # clip requests the cloud refused (too recent, rate limited)
    window: float  # seconds from the first viewer request to the last viewer's last answer
    segments: list[int]  # per viewer
    behind_live: list[float]
    refused: int


def clip_requests(
    sim: SimulatorServer, serial: str, since: int, until: int, *, refused: bool = False
) -> int:
    path = f"/devices/{serial}/camera/clip"
    return sum(
        1
        for r in sim.state.requests[since:until]
        if r.path.endswith(path) and (r.status != 200 or not refused)
    )


async def watch(
    sim: SimulatorServer, running: Running, url: str, serial: str, viewers: int, seconds: float
) -> Round:
    await running.streams.stopped(serial)
    # Every round starts at the same point of the segment clock, just after a segment
    # became fetchable, so the stream's start and its idle stop fall alike.
    await asyncio.sleep((LAG + MARGIN + 0.1 - time.time()) % SEGMENT)
    mark, began = len(sim.state.requests), time.perf_counter()
    clients = [
        httpx.AsyncClient(
            transport=httpx.AsyncHTTPTransport(local_address=f"127.0.0.{2 + i}"), timeout=30
        )
        for i in range(viewers)
    ]
    try:
        players = [Player(client, url) for client in clients]
        await asyncio.gather(*(p.play(seconds) for p in players))
    finally:
        for client in clients:
            await client.aclose()
    watched, window = len(sim.state.requests), time.perf_counter() - began
    await running.streams.stopped(serial)
    return Round(
        viewers=viewers,
        clip_requests=clip_requests(sim, serial, mark, watched),
        with_idle_stop=clip_requests(sim, serial, mark, len(sim.state.requests)),
        api_requests=watched - mark,
        upstream_refused=clip_requests(sim, serial, mark, watched, refused=True),
        window=window,
        segments=[len(p.fetched) for p in players],
        behind_live=[b for p in players for b in p.behind_live],
        refused=sum(p.refused for p in players),
    )


async def run(counts: list[int], seconds: float) -> list[Round]:
    with tempfile.TemporaryDirectory(prefix="mvbot-bench-") as scratch:
        data = Path(scratch) / "data"
        cloud = SimulatorConfig(api_key=API_KEY, rate=RATE, availability_lag=LAG)
        with SimulatorServer(cloud) as sim:
            settings = Settings().with_overrides(
                {
                    "meraki": {"api_key": API_KEY, "base_url": sim.api_url, "rate": RATE},
                    "store": {"data_dir": data, "database_url": f"sqlite:///{data}/mvbot.db"},
                    "access": {"default_role": "none", "operators": [OPERATOR]},
                    "clips": {"availability_lag": f"{LAG:g}s"},
                    "shares": {"segment_length": f"{SEGMENT:g}s"},
                }
            )
            data.mkdir()
            room = MemoryAdapter()
            async with running_bot(settings, [room]) as running:
                app = web_app(settings, running, file_links(settings, running.signing_key), [])
                async with web_server(app, "127.0.0.1", 0) as server:
                    running.shares.public_url = server.url
                    replies = await room.ask(f"share {CAMERA.lower()} with guest@example.com")
                    texts = [t for r in replies for t in (r.text, *(f.value for f in r.fields))]
                    found = next(m for t in texts if (m := LINK.search(t)))
                    serial = next(c.serial for c in sim.fleet.cameras if c.name == CAMERA)
                    url = f"{server.url}/s/{found.group(1)}/{serial}.m3u8"
                    rounds = []
                    for viewers in counts:
                        print(f"{viewers} viewer(s) for {seconds:g} s ...", flush=True)
                        rounds.append(await watch(sim, running, url, serial, viewers, seconds))
                        print(f"  {rounds[-1].clip_requests} clip requests", flush=True)
    return rounds


def report(rounds: list[Round], seconds: float) -> str:
    base = rounds[0]
    ideal = seconds / SEGMENT
    lines = [
        f"One camera shared; K viewers play its HLS playlist for {seconds:g} s each round "
        f"({SEGMENT:g} s segments: one stream of that length costs about {ideal:.0f} clip "
        f"requests, plus {BACKLOG} at its start for the backlog a player starts with); "
        f"simulator limit {RATE:g} requests/s, footage available {LAG:g} s after it happens.",
        "",
        "| viewers K | watched (s) | clip requests while watching | of them refused "
        "| with the idle stop | ratio to K = 1 | segments per viewer (min–max) "
        "| behind live, median (s) | behind live, max (s) | viewer requests refused |",
        "|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|",
    ]
    for r in rounds:
        behind = r.behind_live or [float("nan")]
        lines.append(
            f"| {r.viewers} | {r.window:.1f} | {r.clip_requests} | {r.upstream_refused} | "
            f"{r.with_idle_stop} | "
            f"{r.clip_requests / max(1, base.clip_requests):.2f} | "
            f"{min(r.segments)}–{max(r.segments)} | {statistics.median(behind):.1f} | "
            f"{max(behind):.1f} | {r.refused} |"
        )
    ratios = ", ".join(
        f"K={r.viewers}: {r.clip_requests / max(1, base.clip_requests):.2f}" for r in rounds[1:]
    )
    lines += [
        "",
        f"Ratio requests(K) / requests(1), ideal 1.0: {ratios}.",
        "",
        "Behind live: for each segment a viewer fetched after its first playlist, the time "
        "it arrived minus the wall-clock end of the footage it holds (from the playlist's "
        "`EXT-X-PROGRAM-DATE-TIME` and `EXTINF`).",
    ]
    return "\n".join(lines)


WHY = f"""\
Why: the viewer routes never ask the API themselves; every request for a camera's
playlist or segment goes to that camera's one `CameraStream` (bot/shares/streams.py), which
fetches each {SEGMENT:g}-second segment once, when the cloud should have it, and serves
every viewer from disk. Upstream cost follows the cameras watched, not the people
watching. The floor on "behind live" is the cloud's availability lag ({LAG:g} s) plus the
stream's {MARGIN:g} s margin after the segment's footage ends; the rest is the fetch, the
remux and the player's reload interval (a player showing a segment's first frame is a
further segment length behind). "With the idle stop" adds the segments the stream fetched
after the last viewer left, until it saw nobody had asked for {max(3 * SEGMENT, 3.0):g} s."""


def write_section(docs: Path, body: str, command: str, load: float) -> None:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    section = (
        f"{SECTION}\n\n"
        f"Command: `{command}` (measured {stamp}, Python {platform.python_version()}, "
        f"{platform.machine()}, {os.cpu_count()} cores, 1-minute load average {load:.2f} "
        "at the start).\n\n"
        "Baseline: one viewer (K = 1) of the same share in the same run. Each round waits "
        "for the camera's stream to stop, so every K starts from a cold stream.\n\n"
        f"{body}\n\n{WHY}\n"
    )
    replace_section(docs, SECTION, section)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--viewers", default="1,5,20", help="comma-separated, baseline first")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args()
    load = os.getloadavg()[0]  # other work on the machine skews wall times
    counts = [int(k) for k in args.viewers.split(",")]
    body = report(asyncio.run(run(counts, args.seconds)), args.seconds)
    print(body)
    if not args.no_write:
        command = ".venv/bin/python bench/viewer_fanout.py"
        if args.seconds != 30.0 or counts != [1, 5, 20]:
            command += f" --seconds {args.seconds:g} --viewers {args.viewers}"
        write_section(ROOT / "docs" / "benchmarks.md", body, command, load)
        print("wrote docs/benchmarks.md")


if __name__ == "__main__":
    main()
