"""Benchmark: how fast a fresh `mvbot run` acknowledges its first Slack slash command.

Run by hand: ``.venv/bin/python bench/first_ack.py`` (``--no-write`` leaves docs/benchmarks.md
alone). Each round starts a new `mvbot run` process (HTTP-mode Slack against the fake Slack of
tests/, the simulator for the Dashboard API), waits for /healthz, then times signed
`/mv clip lobby 10m ago 1m` requests until the acknowledgement arrives. The baseline is the
same process's later acknowledgements (commands 2–10), measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import socket
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import replace_section  # noqa: E402
from simulator import SimulatorConfig, SimulatorServer  # noqa: E402
from tests.fake_slack import BOT_TOKEN, SIGNING_SECRET, running_fake_slack  # noqa: E402
from tests.slack_requests import form_body, signed_headers, slash_command  # noqa: E402

SECTION = "## First slash command after a start"
COMMAND = "clip lobby 10m ago 1m"
LATER = 9  # acknowledgements after the first, the same-run baseline
BEFORE = """\
Before the warm start (main at 904a4d3, same machine and command, 3 processes): first
acknowledgement 1,157 ms median against 44 ms for the later ones (26×). The first command
waited for the camera directory (organisation, cameras, networks, availabilities and one
Sense-settings request per camera: 10 requests at 5/s); mvbot now loads it while starting."""


@dataclass(frozen=True)
class Round:
    first: float  # seconds
    later: list[float]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def one_round(simulator: SimulatorServer, slack_url: str, response_url: str) -> Round:
    port = free_port()
    with tempfile.TemporaryDirectory() as data:
        env = {
            **os.environ,
            "MVBOT_MERAKI_API_KEY": simulator.cfg.api_key,
            "MVBOT_MERAKI_BASE_URL": simulator.api_url,
            "MVBOT_SLACK_BOT_TOKEN": BOT_TOKEN,
            "MVBOT_SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "MVBOT_SLACK_API_URL": slack_url,
            "MVBOT_HTTP_PORT": str(port),
            "MVBOT_DATA_DIR": data,
            "MVBOT_ACCESS_DEFAULT_ROLE": "admin",
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run", env=env, cwd=ROOT,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            async with httpx.AsyncClient(timeout=10.0) as http:
                await wait_healthy(http, url)
                times = [await ack_time(http, url, response_url) for _ in range(1 + LATER)]
        finally:
            process.terminate()
            await process.wait()
    return Round(times[0], times[1:])


async def wait_healthy(http: httpx.AsyncClient, url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if (await http.get(f"{url}/healthz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.05)  # polling a process we do not control: no event to wait on
    raise RuntimeError("mvbot did not become healthy within 60 s")


async def ack_time(http: httpx.AsyncClient, url: str, response_url: str) -> float:
    body = form_body(slash_command(COMMAND, user="U1", channel="C1", response_url=response_url))
    started = time.perf_counter()
    answer = await http.post(f"{url}/slack/events", content=body, headers=signed_headers(body))
    elapsed = time.perf_counter() - started
    answer.raise_for_status()
    return elapsed


async def run(rounds: int) -> list[Round]:
    results: list[Round] = []
    with tempfile.TemporaryDirectory() as files, SimulatorServer(SimulatorConfig()) as simulator:
        async with running_fake_slack(Path(files)) as fake:
            for _ in range(rounds):
                results.append(await one_round(simulator, fake.api_url, fake.response_url()))
    return results


def report(results: list[Round]) -> str:
    firsts = [r.first * 1000 for r in results]
    later = [t * 1000 for r in results for t in r.later]
    first, warm = statistics.median(firsts), statistics.median(later)
    return "\n".join(
        [
            "| | median | min | max |",
            "|---|---|---|---|",
            f"| first acknowledgement (ms) | {first:.0f} | {min(firsts):.0f} | {max(firsts):.0f} |",
            f"| later acknowledgements (ms, baseline) | {warm:.0f} | {min(later):.0f} "
            f"| {max(later):.0f} |",
            "",
            f"Ratio first / later: {first / warm:.1f}× over {len(results)} fresh processes.",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    body = report(asyncio.run(run(args.rounds)))
    print(body)
    if not args.no_write:
        section = (
            f"{SECTION}\n\n`{COMMAND}` as a signed Slack slash command to a fresh `mvbot run` "
            f"(HTTP mode, fake Slack, simulator), timed until the acknowledgement arrives; "
            f"{platform.python_implementation()} {platform.python_version()}, "
            f"{os.cpu_count()} cores.\n\n{body}\n\n{BEFORE}\n\n"
            f"Reproduce: `.venv/bin/python bench/first_ack.py --rounds {args.rounds}`\n"
        )
        replace_section(ROOT / "docs" / "benchmarks.md", SECTION, section)


if __name__ == "__main__":
    main()
