"""Benchmark: 100 clip requests at once against a 5/s simulated org, official SDK vs mvbot.

Run by hand: ``.venv/bin/python bench/clip_burst.py`` (add ``--no-write`` to leave
docs/benchmarks.md alone). Each contender gets a fresh simulator so neither inherits the
other's rate window. The baseline is the official SDK's asyncio client with its defaults
(``meraki.aio.AsyncDashboardAPI``, ``camera.clipDeviceCamera``).
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import meraki.aio

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import replace_section  # noqa: E402
from bot.meraki import MerakiClient, format_timestamp  # noqa: E402
from simulator import SimulatorConfig, SimulatorServer  # noqa: E402

API_KEY = "demo-key"
RATE = 5.0  # the seed's limit: requests per second per organisation
SECTION = "## Clip burst"
WHY = """\
Why: the SDK paces an organisation with a token bucket (9/s, burst 10) only once it has
learnt which organisation a URL belongs to. The burst's device URLs are not mapped yet, so
all 100 first attempts meet only its 100/s global bucket and leave at once; the retries
then meet the org bucket at 9/s, still above this org's 5/s, and each call gives up after
5 rate-limited retries. mvbot's budget is a sliding-window log at the configured rate, so
nothing it sends is refused and the burst drains at the organisation's rate. The SDK's
wall time is short because most of its calls failed, not because it finished the work."""
Workload = Callable[[str, str, list[tuple[datetime, datetime]]], Awaitable[list[Any]]]


@dataclass(frozen=True)
class Outcome:
    name: str
    wall: float
    succeeded: int
    failed: int
    rate_limited: int  # 429 answers the simulator logged
    requests: int  # every API request the simulator logged

    @property
    def per_second(self) -> float:
        return self.succeeded / self.wall


async def with_sdk(api_url: str, serial: str, spans: list[tuple[datetime, datetime]]) -> list[Any]:
    with tempfile.TemporaryDirectory() as scratch:
        # Defaults throughout, except that its org-mapping cache goes to a scratch file
        # rather than ~/.meraki (a fresh cache is what a first run sees anyway).
        cache = str(Path(scratch) / "rate_limit_cache.json")
        async with meraki.aio.AsyncDashboardAPI(
            API_KEY, base_url=api_url, suppress_logging=True, smart_flow_cache_path=cache
        ) as sdk:
            return await _sdk_burst(sdk, serial, spans)


async def _sdk_burst(sdk: Any, serial: str, spans: list[tuple[datetime, datetime]]) -> list[Any]:
    return await asyncio.gather(
        *(
            sdk.camera.clipDeviceCamera(serial, format_timestamp(s), format_timestamp(e))
            for s, e in spans
        ),
        return_exceptions=True,
    )


async def with_mvbot(
    api_url: str, serial: str, spans: list[tuple[datetime, datetime]]
) -> list[Any]:
    async with MerakiClient(API_KEY, api_url, rate=RATE) as client:
        return await asyncio.gather(
            *(client.clip_link(serial, s, e) for s, e in spans), return_exceptions=True
        )


async def measure(name: str, workload: Workload, count: int) -> Outcome:
    with SimulatorServer(SimulatorConfig(api_key=API_KEY, rate=RATE)) as sim:
        async with MerakiClient(API_KEY, sim.api_url, rate=RATE) as lookup:
            lobby = next(c for c in await lookup.cameras() if c.name == "Lobby")
        base = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
        spans = [
            (base - timedelta(seconds=5 * i), base - timedelta(seconds=5 * i - 5))
            for i in range(count)
        ]
        await asyncio.sleep(1.1)  # let the simulator's rate window start empty
        mark = len(sim.state.requests)
        started = time.perf_counter()
        results = await workload(sim.api_url, lobby.serial, spans)
        wall = time.perf_counter() - started
        log = sim.state.requests[mark:]
    failed = sum(isinstance(r, BaseException) for r in results)
    return Outcome(
        name=name,
        wall=wall,
        succeeded=len(results) - failed,
        failed=failed,
        rate_limited=sum(r.status == 429 for r in log),
        requests=len(log),
    )


def report(outcomes: list[Outcome], count: int) -> str:
    sdk, ours = outcomes
    ideal = count / RATE
    lines = [
        f"{count} clip-link requests issued at once; simulator limit {RATE:g} requests/s per org "
        f"(ideal wall time {ideal:.1f} s).",
        "",
        "| client | wall time (s) | succeeded | failed | 429s received | API requests sent "
        "| clip links/s |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for o in outcomes:
        lines.append(
            f"| {o.name} | {o.wall:.1f} | {o.succeeded} | {o.failed} | {o.rate_limited} | "
            f"{o.requests} | {o.per_second:.2f} |"
        )
    lines += [
        "",
        f"Ratio mvbot / SDK: clips obtained {ours.succeeded}/{sdk.succeeded} = "
        f"{ours.succeeded / max(1, sdk.succeeded):.2f}x, clip links per second "
        f"{ours.per_second / max(1e-9, sdk.per_second):.2f}x, wall time "
        f"{ours.wall / sdk.wall:.2f}x; 429s received {ours.rate_limited} vs {sdk.rate_limited}. "
        f"mvbot ran at {ideal / ours.wall:.0%} of the ideal rate.",
    ]
    return "\n".join(lines)


def write_section(docs: Path, body: str) -> None:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    section = (
        f"{SECTION}\n\n"
        f"Command: `.venv/bin/python bench/clip_burst.py` (measured {stamp}, Python "
        f"{platform.python_version()}, meraki SDK {meraki.__version__}, {platform.machine()}).\n\n"
        f"Baseline: the official SDK's asyncio client with its defaults "
        f"(`meraki.aio.AsyncDashboardAPI(..., suppress_logging=True)`, "
        f"`camera.clipDeviceCamera`), against mvbot's `MerakiClient.clip_link` with "
        f"`rate={RATE:g}`; each on a fresh simulator.\n\n{body}\n\n{WHY}\n"
    )
    replace_section(docs, SECTION, section)


async def run(count: int) -> list[Outcome]:
    outcomes = []
    for name, workload in (
        ("meraki SDK (aio, defaults)", with_sdk),
        ("mvbot MerakiClient", with_mvbot),
    ):
        print(f"running {name} ...", flush=True)
        outcomes.append(await measure(name, workload, count))
    return outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args()
    body = report(asyncio.run(run(args.requests)), args.requests)
    print(body)
    if not args.no_write:
        write_section(ROOT / "docs" / "benchmarks.md", body)
        print("wrote docs/benchmarks.md")


if __name__ == "__main__":
    main()
