"""Benchmark: a 15-minute clip end to end, mvbot's clip pipeline vs a naive sequential one.

Run by hand: ``.venv/bin/python bench/clip_pipeline.py`` (``--runs N``, default 3; add
``--no-write`` to leave docs/benchmarks.md alone). A 15-minute clip is three 5-minute API
parts. mvbot: ``bot.clips.parts.fetch_clip`` with a ``MerakiClient`` at the simulator's 5 req/s,
which asks for every part at once under the rate budget and joins them to MP4. Baseline:
what a naive integration does, one part after another (ask for the link, download it, next
part), then the same join (``bot.media.join_clips``), so the ratio shows the scheduling and
not a different muxer. Every run gets a fresh simulator and a span of its own, so no clip
comes from the simulator's cache.
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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import replace_section  # noqa: E402
from bot.clips.parts import ClipSpec, fetch_clip, plan_parts  # noqa: E402
from bot.media import join_clips_async  # noqa: E402
from bot.meraki import MerakiClient, format_timestamp  # noqa: E402
from simulator import SimulatorConfig, SimulatorServer  # noqa: E402

API_KEY = "demo-key"
RATE = 5.0  # the simulator's default limit, and mvbot's default budget
LENGTH = timedelta(minutes=15)
CAMERA = "Lobby"
SECTION = "## Clip pipeline"
CHUNK = 256 * 1024  # as mvbot's downloader reads


@dataclass(frozen=True)
class Sample:
    """One clip, end to end: from the first API request to the MP4 on disk."""

    wall: float
    remux: float | None  # the join alone, where the contender's steps can be timed apart
    api_requests: int
    served_bytes: int  # MPEG-TS the simulated cloud generated and served
    output_bytes: int
    duration: float  # seconds of video in the result


Contender = Callable[[SimulatorServer, str, datetime, Path], Awaitable[Sample]]


async def with_mvbot(sim: SimulatorServer, serial: str, start: datetime, out: Path) -> Sample:
    spec = ClipSpec(serial=serial, camera=CAMERA, start=start, end=start + LENGTH)
    async with MerakiClient(API_KEY, sim.api_url, rate=RATE) as client:
        mark = len(sim.state.requests)
        began = time.perf_counter()
        info = await fetch_clip(client, spec, out)
        wall = time.perf_counter() - began
    return Sample(wall, None, len(sim.state.requests) - mark, 0, info.size_bytes, info.duration)


async def with_naive(sim: SimulatorServer, serial: str, start: datetime, out: Path) -> Sample:
    headers = {"Authorization": f"Bearer {API_KEY}"}
    url = f"{sim.api_url}/devices/{serial}/camera/clip"
    parts: list[Path] = []
    async with httpx.AsyncClient(timeout=300) as http:
        mark = len(sim.state.requests)
        began = time.perf_counter()
        for number, (s, e) in enumerate(plan_parts(start, start + LENGTH)):
            params = {"startTimestamp": format_timestamp(s), "endTimestamp": format_timestamp(e)}
            answer = await http.get(url, params=params, headers=headers)
            answer.raise_for_status()
            parts.append(await _download(http, answer.json()["url"], out / f"{number}.ts"))
        joining = time.perf_counter()
        info = await join_clips_async(parts, out / "clip.mp4", container="mp4")
        done = time.perf_counter()
    requests = len(sim.state.requests) - mark
    return Sample(done - began, done - joining, requests, 0, info.size_bytes, info.duration)


async def _download(http: httpx.AsyncClient, url: str, dest: Path) -> Path:
    """Stream to disk the way mvbot's downloader does, so only the order differs."""
    async with http.stream("GET", url) as response:
        response.raise_for_status()
        file = await asyncio.to_thread(dest.open, "wb")
        try:
            async for chunk in response.aiter_bytes(CHUNK):
                await asyncio.to_thread(file.write, chunk)
        finally:
            await asyncio.to_thread(file.close)
    return dest


async def measure(contender: Contender, start: datetime) -> Sample:
    with tempfile.TemporaryDirectory(prefix="mvbot-bench-") as scratch:
        cache, out = Path(scratch) / "cloud", Path(scratch) / "out"
        out.mkdir()
        config = SimulatorConfig(api_key=API_KEY, rate=RATE, cache_dir=cache)
        with SimulatorServer(config) as sim:
            serial = next(c.serial for c in sim.fleet.cameras if c.name == CAMERA)
            sample = await contender(sim, serial, start, out)
            served = await asyncio.to_thread(_bytes_in, cache)
    return replace(sample, served_bytes=served)


def _bytes_in(cache: Path) -> int:
    """What the cloud served: it generated each part once, and each was fetched once."""
    return sum(path.stat().st_size for path in cache.glob("*.ts"))


async def run(runs: int) -> dict[str, list[Sample]]:
    contenders: list[tuple[str, Contender]] = [("naive", with_naive), ("mvbot", with_mvbot)]
    samples: dict[str, list[Sample]] = {name: [] for name, _ in contenders}
    base = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=2)
    for number in range(runs):
        # Alternate who goes first so that neither always meets a warmer machine.
        order = contenders if number % 2 == 0 else contenders[::-1]
        for name, contender in order:
            slot = 2 * number + (name == "mvbot")
            start = base - slot * (LENGTH + timedelta(minutes=1))
            print(f"run {number + 1}/{runs}: {name} ...", flush=True)
            sample = await measure(contender, start)
            print(f"  {sample.wall:.2f} s", flush=True)
            samples[name].append(sample)
    return samples


def report(samples: dict[str, list[Sample]]) -> str:
    naive = samples["naive"]
    wall = {name: statistics.median(s.wall for s in runs) for name, runs in samples.items()}
    remuxes = [s.remux for s in naive if s.remux is not None]
    remux = statistics.median(remuxes)
    fetch = wall["naive"] - remux
    cloud = SimulatorConfig()
    epoch = datetime.fromtimestamp(0, UTC)
    lines = [
        f"One {LENGTH.total_seconds() / 60:g}-minute clip of {CAMERA} "
        f"({len(plan_parts(epoch, epoch + LENGTH))} API parts of 5 min), simulator limit "
        f"{RATE:g} requests/s, {cloud.width}x{cloud.height} at {cloud.fps} fps; median of "
        f"{len(naive)} runs, each on a fresh simulator with a span of its own.",
        "",
        "| pipeline | wall time (s), median | runs (s) | API requests | MPEG-TS served (MB) "
        "| MP4 written (MB) | video (s) |",
        "|---|---:|---|---:|---:|---:|---:|",
    ]
    for name, label in (
        ("naive", "naive: parts one after another, then join"),
        ("mvbot", "mvbot `fetch_clip`"),
    ):
        runs_of = samples[name]
        last = runs_of[-1]
        lines.append(
            f"| {label} | {wall[name]:.2f} | {', '.join(f'{s.wall:.2f}' for s in runs_of)} | "
            f"{last.api_requests} | {last.served_bytes / 1e6:.1f} | "
            f"{last.output_bytes / 1e6:.1f} | {last.duration:.1f} |"
        )
    lines += [
        "",
        f"Remux alone (`join_clips`, three 5-minute MPEG-TS parts to one MP4, no re-encoding): "
        f"median {remux:.2f} s (runs {', '.join(f'{r:.2f}' for r in remuxes)}); "
        f"the naive pipeline's fetching took the other {fetch:.2f} s.",
        "",
        f"Ratio mvbot / naive wall time: {wall['mvbot'] / wall['naive']:.2f} "
        f"(mvbot is {wall['naive'] / wall['mvbot']:.2f}x as fast).",
    ]
    return "\n".join(lines)


WHY = """\
Why: the simulated cloud generates a clip when its URL is first downloaded (about 2 s of
encoding per 5-minute part here, two at a time), as the real cloud needs time to assemble
footage. The naive pipeline waits for each part before asking for the next, so it pays
every part's generation and transfer in turn. mvbot asks for all three parts at once (three
requests are well inside the 5/s budget) and downloads them concurrently, so the cloud's
work overlaps; the join is the same code and the same cost in both. Both run in one
process with the simulator on a 2-core machine, so the cloud's encoding and the bot share
the CPU: the gain is bounded by the cores, not by the API rate."""


def write_section(docs: Path, body: str, runs: int, load: float) -> None:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    command = ".venv/bin/python bench/clip_pipeline.py"
    if runs != 3:
        command += f" --runs {runs}"
    section = (
        f"{SECTION}\n\n"
        f"Command: `{command}` (measured {stamp}, Python {platform.python_version()}, "
        f"{platform.machine()}, {os.cpu_count()} cores, 1-minute load average {load:.2f} "
        "at the start).\n\n"
        "Baseline: a naive integration that asks for the three 5-minute parts one after "
        "another, downloading each before asking for the next, then joins them with the same "
        "`bot.media.join_clips`; against mvbot's `bot.clips.parts.fetch_clip` with "
        f"`MerakiClient(rate={RATE:g})`.\n\n{body}\n\n{WHY}\n"
    )
    replace_section(docs, SECTION, section)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args()
    load = os.getloadavg()[0]  # other work on the machine skews wall times
    body = report(asyncio.run(run(args.runs)))
    print(body)
    if not args.no_write:
        write_section(ROOT / "docs" / "benchmarks.md", body, args.runs, load)
        print("wrote docs/benchmarks.md")


if __name__ == "__main__":
    main()
