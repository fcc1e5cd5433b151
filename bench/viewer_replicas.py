"""Benchmark: the share viewer's upstream cost when K people watch one camera through one
replica, then through three replicas on one PostgreSQL database and one data directory.

Run by hand: ``MVBOT_BENCH_POSTGRES_URL=postgresql+psycopg://… .venv/bin/python
bench/viewer_replicas.py`` (``--seconds S``, ``--viewers K``, ``--replicas N``;
``--no-write`` leaves docs/benchmarks.md alone). It starts N real bots, each with the web app
``mvbot run`` assembles, in one process against a simulator at 5 req/s with footage 5 s
behind live, all on a fresh schema of that database and one shared data directory. One
round plays the share's HLS playlist with K clients all on the first replica (the baseline:
one replica serves everyone); the other spreads the K clients round-robin over the N
replicas. The simulator's log counts the clip API requests; the ideal ratio is 1.0.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from adapters.memory import MemoryAdapter  # noqa: E402
from bench.report import replace_section  # noqa: E402
from bench.viewer_fanout import (  # noqa: E402
    API_KEY,
    CAMERA,
    LAG,
    LINK,
    OPERATOR,
    RATE,
    SEGMENT,
    Player,
    clip_requests,
)
from bot.app import Running, running_bot  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.run import file_links, web_app  # noqa: E402
from bot.shares.streams import MARGIN  # noqa: E402
from bot.web.server import web_server  # noqa: E402
from simulator import SimulatorConfig, SimulatorServer  # noqa: E402
from tests.db_fixtures import fresh_schema  # noqa: E402

SECTION = "## Viewer fan-out across replicas"
VARIABLE = "MVBOT_BENCH_POSTGRES_URL"


@dataclass(frozen=True)
class Served:
    replicas: int  # replicas the viewers were spread over
    clip_requests: int
    with_idle_stop: int
    holders: int  # replicas that fetched the stream at some point (ideal: 1)
    segments: list[int]
    behind_live: list[float]
    refused: int


@asynccontextmanager
async def replica(
    settings: Settings, name: str, room: MemoryAdapter
) -> AsyncIterator[tuple[Running, str]]:
    mine = settings.with_overrides({"replica": {"id": name}})
    async with running_bot(mine, [room]) as running:
        app = web_app(mine, running, file_links(mine, running.signing_key), [])
        async with web_server(app, "127.0.0.1", 0) as server:
            running.shares.public_url = server.url
            yield running, server.url


async def watch(
    sim: SimulatorServer,
    replicas: Sequence[tuple[Running, str]],
    path: str,
    serial: str,
    viewers: int,
    spread: int,
    seconds: float,
) -> Served:
    for running, _ in replicas:
        await running.streams.stopped(serial)
    await asyncio.sleep((LAG + MARGIN + 0.1 - time.time()) % SEGMENT)
    mark = len(sim.state.requests)
    clients = [
        httpx.AsyncClient(
            base_url=replicas[i % spread][1],
            transport=httpx.AsyncHTTPTransport(local_address=f"127.0.0.{2 + i}"),
            timeout=30,
        )
        for i in range(viewers)
    ]
    holders: set[int] = set()

    async def note_holders() -> None:
        while True:
            holders.update(i for i, (r, _) in enumerate(replicas) if r.streams.holding(serial))
            await asyncio.sleep(0.2)

    noting = asyncio.create_task(note_holders())
    try:
        try:
            players = [Player(client, path) for client in clients]
            await asyncio.gather(*(p.play(seconds) for p in players))
        finally:
            for client in clients:
                await client.aclose()
        watched = len(sim.state.requests)
        for running, _ in replicas:
            await running.streams.stopped(serial)
    finally:
        noting.cancel()  # also when a player fails
    return Served(
        replicas=spread,
        clip_requests=clip_requests(sim, serial, mark, watched),
        with_idle_stop=clip_requests(sim, serial, mark, len(sim.state.requests)),
        holders=len(holders),
        segments=[len(p.fetched) for p in players],
        behind_live=[b for p in players for b in p.behind_live],
        refused=sum(p.refused for p in players),
    )


async def run(base: str, viewers: int, count: int, seconds: float) -> list[Served]:
    with tempfile.TemporaryDirectory(prefix="mvbot-bench-") as scratch:
        data = Path(scratch) / "data"
        data.mkdir()
        cloud = SimulatorConfig(api_key=API_KEY, rate=RATE, availability_lag=LAG)
        async with AsyncExitStack() as stack:
            url = stack.enter_context(fresh_schema(base, "mvbot_bench"))
            sim = stack.enter_context(SimulatorServer(cloud))
            settings = Settings().with_overrides(
                {
                    "meraki": {"api_key": API_KEY, "base_url": sim.api_url, "rate": RATE},
                    "store": {"data_dir": data, "database_url": url},
                    "access": {"default_role": "none", "operators": [OPERATOR]},
                    "clips": {"availability_lag": f"{LAG:g}s"},
                    "shares": {"segment_length": f"{SEGMENT:g}s"},
                }
            )
            rooms = [MemoryAdapter() for _ in range(count)]
            replicas = [
                await stack.enter_async_context(replica(settings, f"r{i + 1}", room))
                for i, room in enumerate(rooms)
            ]
            replies = await rooms[0].ask(f"share {CAMERA.lower()} with guest@example.com")
            texts = [
                t
                for r in replies
                for t in (r.text, *(f.value for f in r.fields), *(x.url for x in r.links))
            ]
            token = next(m for t in texts if (m := LINK.search(t))).group(1)
            serial = next(c.serial for c in sim.fleet.cameras if c.name == CAMERA)
            path = f"/s/{token}/{serial}.m3u8"
            rounds = []
            for spread in (1, count):
                print(f"{viewers} viewers over {spread} replica(s), {seconds:g} s ...", flush=True)
                rounds.append(await watch(sim, replicas, path, serial, viewers, spread, seconds))
                print(f"  {rounds[-1].clip_requests} clip requests", flush=True)
    return rounds


def report(rounds: list[Served], viewers: int, count: int, seconds: float) -> str:
    base = rounds[0]
    lines = [
        f"One camera shared; {viewers} viewers play its HLS playlist for {seconds:g} s, first "
        f"all through one replica, then spread round-robin over {count} replicas (each "
        f"viewer kept on its replica); {count} replicas run throughout, on one PostgreSQL "
        f"schema and one data directory; {SEGMENT:g} s segments; simulator limit {RATE:g} "
        f"requests/s, footage available {LAG:g} s after it happens.",
        "",
        "| replicas serving | clip requests while watching | with the idle stop "
        "| ratio to 1 replica | replicas that fetched | segments per viewer (min–max) "
        "| behind live, median (s) | viewer requests refused |",
        "|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for r in rounds:
        behind = r.behind_live or [float("nan")]
        lines.append(
            f"| {r.replicas} | {r.clip_requests} | {r.with_idle_stop} | "
            f"{r.clip_requests / max(1, base.clip_requests):.2f} | {r.holders} | "
            f"{min(r.segments)}–{max(r.segments)} | {statistics.median(behind):.1f} | "
            f"{r.refused} |"
        )
    ratio = rounds[-1].clip_requests / max(1, base.clip_requests)
    lines += [
        "",
        f"Ratio requests({count} replicas) / requests(1 replica), ideal 1.0: {ratio:.2f}.",
    ]
    return "\n".join(lines)


WHY = """\
Why: one replica at a time holds a camera's stream lease (`stream_leases`) and fetches its
segments into the shared data directory; each segment is listed in `stream_segments` once
it is whole on disk, and the other replicas list and serve those same files. Upstream cost
follows the cameras watched, not the viewers nor the replicas they reach."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--viewers", type=int, default=10)
    parser.add_argument("--replicas", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args()
    base = os.environ.get(VARIABLE)
    if not base:
        raise SystemExit(f"set {VARIABLE} to a PostgreSQL URL (a schema is made and dropped)")
    load = os.getloadavg()[0]
    rounds = asyncio.run(run(base, args.viewers, args.replicas, args.seconds))
    body = report(rounds, args.viewers, args.replicas, args.seconds)
    print(body)
    if args.no_write:
        return
    command = f"{VARIABLE}=postgresql+psycopg://… .venv/bin/python bench/viewer_replicas.py"
    if (args.seconds, args.viewers, args.replicas) != (30.0, 10, 3):
        command += (
            f" --seconds {args.seconds:g} --viewers {args.viewers} --replicas {args.replicas}"
        )
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    section = (
        f"{SECTION}\n\n"
        f"Command: `{command}` (measured {stamp}, Python {platform.python_version()}, "
        f"{platform.machine()}, {os.cpu_count()} cores, 1-minute load average {load:.2f} "
        "at the start; all replicas in one process).\n\n"
        "Baseline: the same viewers all through one replica, in the same run. Each round "
        "waits for every replica's stream to stop, so both start from a cold stream.\n\n"
        f"{body}\n\n{WHY}\n"
    )
    replace_section(ROOT / "docs" / "benchmarks.md", SECTION, section)
    print("wrote docs/benchmarks.md")


if __name__ == "__main__":
    main()
