"""Benchmark: exports against the simulator — memory, request count, and people's clips.

Run by hand: ``.venv/bin/python bench/export.py`` (``--no-write`` leaves docs/benchmarks.md
alone; ``--hours 12`` is the long export's length). One simulator serves three runs of mvbot,
each in its own process so that its peak memory (ru_maxrss) is its own:

1. a 30 s clip (the baseline) and 2. a 2-hour export: peak memory side by side;
3. a 12-hour export: clip requests and 429s in the simulator's log, and a person's 30 s
   clip asked while it runs, against the same clip asked idle in the same process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import replace_section  # noqa: E402

API_KEY = "demo-key"
RATE = 5.0  # the seed's limit: requests per second per organisation
SECTION = "## Exports"
PEOPLE_CLIPS = 3  # interactive clips timed idle, and as many while the export runs


async def child(api_url: str, data: Path, ask: str, interactive: bool) -> dict[str, Any]:
    """One mvbot (MemoryAdapter room) against the simulator: run `ask`, wait for it."""
    from adapters.memory import MemoryAdapter
    from bot.app import running_bot
    from bot.config import Settings

    settings = Settings().with_overrides(
        {
            "meraki": {"api_key": API_KEY, "base_url": api_url, "rate": RATE},
            "store": {"data_dir": data, "database_url": None},
            "access": {"default_role": "admin"},
            "clips": {"availability_lag": "3s"},
        }
    )
    room = MemoryAdapter()
    result: dict[str, Any] = {}
    async with running_bot(settings, [room]) as running:

        async def person_clip(minutes_ago: int) -> float:
            began = time.monotonic()
            await running.bot.handle(room.message(f"clip garage entrance {minutes_ago}m ago 30s"))
            return time.monotonic() - began

        if interactive:
            result["idle"] = [await person_clip(20 + n) for n in range(PEOPLE_CLIPS)]
        began = time.monotonic()
        await running.bot.handle(room.message(ask))
        if interactive:
            await asyncio.sleep(5)  # the export is well under way
            result["busy"] = [await person_clip(40 + n) for n in range(PEOPLE_CLIPS)]
        assert await running.exports.wait_idle(4 * 3600), "the export did not finish"
        assert await running.pending.wait_idle(60)
        result["seconds"] = time.monotonic() - began
        result["failed"] = [p.reply.text for p in room.posted if p.reply.failed]
        done = await running.exports.store.recent(room.message("").place.room_id, 1)
        result["export_bytes"] = done[0].size_bytes if done else None
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def run_child(api_url: str, ask: str, interactive: bool = False) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as scratch:
        command = [sys.executable, __file__, "--child", ask, "--api", api_url, "--data", scratch]
        if interactive:
            command.append("--interactive")
        out = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT)
        return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def clip_requests(sim: Any, since: float) -> tuple[int, int]:
    clips = [r for r in sim.state.requests if r.at >= since and r.path.endswith("/camera/clip")]
    limited = [r for r in sim.state.requests if r.at >= since and r.status == 429]
    return len(clips), len(limited)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--hours", type=int, default=12)
    parser.add_argument("--child")
    parser.add_argument("--api")
    parser.add_argument("--data")
    parser.add_argument("--interactive", action="store_true")
    args = parser.parse_args()
    if args.child:
        found = asyncio.run(child(args.api, Path(args.data), args.child, args.interactive))
        print(json.dumps(found))
        return 0

    from simulator import SimulatorConfig, SimulatorServer

    config = SimulatorConfig(
        api_key=API_KEY, rate=RATE, availability_lag=3.0, width=192, height=108
    )
    with SimulatorServer(config) as sim:
        clip = run_child(sim.api_url, "clip lobby 40m ago 30s")
        two_hours = run_child(sim.api_url, "export lobby 3h ago 2h")
        since = time.time()
        long = run_child(sim.api_url, f"export lobby {args.hours + 1}h ago {args.hours}h", True)
        requests, limited = clip_requests(sim, since)
    requests -= 2 * PEOPLE_CLIPS  # the people's clips are one request each
    idle, busy = statistics.median(long["idle"]), statistics.median(long["busy"])
    rows = [
        ("30 s clip (baseline): peak memory", f"{clip['peak_mb']:.0f} MB"),
        ("2-hour export: peak memory", f"{two_hours['peak_mb']:.0f} MB"),
        ("2-hour export minus 30 s clip", f"{two_hours['peak_mb'] - clip['peak_mb']:+.0f} MB"),
        (
            "2-hour export: file, wall time",
            f"{two_hours['export_bytes'] / 1e6:.0f} MB, {two_hours['seconds']:.0f} s",
        ),
        (f"{args.hours}-hour export: clip requests", str(requests)),
        (f"{args.hours}-hour export: 429 answers", str(limited)),
        (f"{args.hours}-hour export: wall time", f"{long['seconds']:.0f} s"),
        ("person's 30 s clip, idle (median of 3)", f"{idle:.2f} s"),
        ("same, while the export runs (median of 3)", f"{busy:.2f} s"),
        ("ratio busy / idle", f"{busy / idle:.2f}x"),
    ]
    failures = clip["failed"] + two_hours["failed"] + long["failed"]
    table = "\n".join(f"| {name} | {value} |" for name, value in rows)
    section = f"""{SECTION}

`.venv/bin/python bench/export.py` on {platform.machine()} {platform.system()}, Python
{platform.python_version()}, simulator at {RATE:g} requests/s, 192x108 frames at 5 fps.
Each run is its own mvbot process (peak memory is its ru_maxrss); the people's clips are
asked in the same process as the {args.hours}-hour export, first idle, then while it runs.

| measure | value |
|---|---|
{table}

Targets (issue 14): peak memory of the 2-hour export within 100 MB of the 30 s clip's; at
most 144 clip requests and zero 429s for 12 hours; a person's clip within 1.5x its idle
latency while an export runs. Failures seen: {len(failures)}.
"""
    print(section)
    if not args.no_write:
        replace_section(ROOT / "docs" / "benchmarks.md", SECTION, section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
