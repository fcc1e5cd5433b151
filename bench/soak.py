"""Benchmark: a soak — mixed load on a real `mvbot run` for 30 minutes, with one kill -9.

Run by hand: ``.venv/bin/python bench/soak.py`` (``--minutes 3`` for a short run,
``--postgres URL`` for an empty PostgreSQL database instead of SQLite, ``--no-write`` to
leave docs/benchmarks.md alone). mvbot runs as its own process against the simulator (in
this process, with 10 % of API requests answered 5xx and 10 % of connections dropped),
Mosquitto on a free port and the fake Slack of tests/ as the rooms. The load: signed slash
commands (clip, snapshot, cameras, occupancy) from five channels and two people at a
steady rate; every 30 s a room watches a new plate and a burst of reads carries it; five
share viewers follow Lobby's HLS playlist. Halfway, mvbot is killed with SIGKILL and
started again on the same data dir. Every few seconds /proc/<pid> gives RSS, open files
and threads, and /metrics the asyncio task count. The baselines are measured in the same
run: each process's RSS after its warm-up against its RSS at the end, and what was asked
against what fake Slack received.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from statistics import median

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import replace_section  # noqa: E402
from bench.soak_load import (  # noqa: E402
    Load,
    Tally,
    command_tallies,
    commands,
    plate_tallies,
    plates,
    settled,
    share_playlist,
    viewer,
)
from bench.soak_stack import (  # noqa: E402
    MvbotProcess,
    Sample,
    config_toml,
    free_port,
    sample_every,
)
from simulator import Faults, SimulatorConfig, SimulatorServer  # noqa: E402
from tests.fake_slack import FakeSlack, running_fake_slack  # noqa: E402
from tests.mosquitto import Mosquitto  # noqa: E402

SECTION = "## Soak"
LAG = 10.0  # the simulated cloud's availability lag, told to mvbot too
VIEWERS = 5
SAMPLE_EVERY = 5.0
DRAIN = 180.0  # after the load stops, how long answers may still come
RSS_LIMIT = 30.0  # MB of growth after warm-up
FD_SLACK = 16  # open files that come and go with connections in flight
BROKER_EXTRA = "max_queued_messages 0\n"  # reads sent while mvbot is down all wait for it


@dataclass
class Run:
    minutes: float
    database: str
    load: Load
    samples: list[Sample]
    starts: list[float]  # seconds into the run each mvbot became healthy
    killed_at: float
    api: Counter[int]  # simulator answers by status (0: dropped)
    loads: list[float]  # 1-minute load average at the start, the kill, the end
    viewer_segments: list[int]


async def soak(args: argparse.Namespace) -> Run:
    seconds = args.minutes * 60
    faults = Faults(error_rate=args.errors, drop_rate=args.drops, seed=13)
    with tempfile.TemporaryDirectory(prefix="mvbot-soak-") as scratch:
        work = Path(scratch)
        (work / "broker").mkdir()
        data = work / "data"
        broker = Mosquitto(work / "broker", extra=BROKER_EXTRA).start()
        cloud = SimulatorConfig(availability_lag=LAG, faults=faults)
        try:
            with SimulatorServer(cloud) as sim:
                async with running_fake_slack(work / "slack") as fake:
                    port = free_port()
                    database = args.postgres or f"sqlite:///{data}/mvbot.db"
                    config = work / "mvbot.toml"
                    config.write_text(config_toml(sim, fake, broker.url, data, port, database))
                    mvbot = MvbotProcess(ROOT, config, port, work / "mvbot.log")
                    try:
                        run = await drive(args, seconds, sim, fake, broker, mvbot)
                    except BaseException:
                        print((work / "mvbot.log").read_text()[-4000:], file=sys.stderr)
                        raise
                    finally:
                        await mvbot.stop()
                    run.database = "PostgreSQL" if args.postgres else "SQLite"
                    return run
        finally:
            broker.stop()


async def drive(
    args: argparse.Namespace,
    seconds: float,
    sim: SimulatorServer,
    fake: FakeSlack,
    broker: Mosquitto,
    mvbot: MvbotProcess,
) -> Run:
    loads = [os.getloadavg()[0]]
    async with httpx.AsyncClient(timeout=30) as http:
        await mvbot.start(http)
    began = time.monotonic()
    until, kill_at = began + seconds, began + seconds / 2
    load = Load(fake, mvbot.url)
    playlist = await share_playlist(load)
    samples: list[Sample] = []
    mark = len(sim.state.requests)

    async def kill_and_restart() -> float:
        await asyncio.sleep(kill_at - time.monotonic())  # the one scheduled event of the run
        loads.append(os.getloadavg()[0])
        print(f"kill -9 at {time.monotonic() - began:.0f} s", flush=True)
        await mvbot.kill_nine()
        killed = time.monotonic() - began
        async with httpx.AsyncClient(timeout=30) as http:
            await mvbot.start(http)
        print(f"restarted, healthy at {time.monotonic() - began:.0f} s", flush=True)
        return killed

    async def progress() -> None:
        while time.monotonic() < until:
            await asyncio.sleep(60)  # a progress line a minute for the person watching
            last = samples[-1] if samples else None
            print(
                f"{(time.monotonic() - began) / 60:.0f} min: {len(load.sent)} commands sent, "
                f"{load.reads} plate reads, RSS {last.rss_mb if last else 0:.0f} MB",
                flush=True,
            )

    results = await asyncio.gather(
        commands(load, until, args.period, time.time()),
        plates(load, broker.port, until, 30.0, args.burst),
        *(viewer(load, playlist, until, f"127.0.0.{2 + i}") for i in range(VIEWERS)),
        sample_every(mvbot, SAMPLE_EVERY, until, began, samples),
        kill_and_restart(),
        progress(),
    )
    done = settled(load)
    deadline = time.monotonic() + DRAIN
    while not done() and time.monotonic() < deadline:  # noqa: ASYNC110 - another process answers
        await asyncio.sleep(1.0)
    await sample_every(mvbot, SAMPLE_EVERY, time.monotonic() + 0.1, began, samples)
    loads.append(os.getloadavg()[0])
    api = Counter(r.status for r in sim.state.requests[mark:])
    return Run(
        minutes=args.minutes,
        database="",
        load=load,
        samples=samples,
        starts=[s - began for s in mvbot.starts],
        killed_at=results[VIEWERS + 3],
        api=api,
        loads=loads,
        viewer_segments=list(results[2 : 2 + VIEWERS]),
    )


@dataclass(frozen=True)
class Life:
    """One mvbot process's samples after its warm-up: the first and last, and the medians
    of its first and last quarters (descriptors and threads come and go with requests in
    flight, so single samples would call a busy moment a leak)."""

    pid: int
    warm: Sample
    end: Sample
    peak_rss: float
    peak_tasks: int
    fds: tuple[float, float]
    threads: tuple[float, float]

    @property
    def flat(self) -> bool:
        # Slack: the default executor starts its (cores + 4) threads as work first needs
        # them, and each open connection is a descriptor; a leak outgrows both.
        return self.fds[1] <= self.fds[0] + FD_SLACK and self.threads[1] <= self.threads[0] + 6


def lives(run: Run) -> list[Life]:
    out = []
    for pid in dict.fromkeys(s.pid for s in run.samples):
        mine = [s for s in run.samples if s.pid == pid]
        warm_up = min(180.0, 0.2 * (mine[-1].at - mine[0].at))
        after = [s for s in mine if s.at >= mine[0].at + warm_up] or mine[-1:]
        quarter = max(1, len(after) // 4)
        early, late = after[:quarter], after[-quarter:]
        tasks = [s.tasks for s in after if s.tasks is not None] or [0]
        out.append(
            Life(
                pid,
                after[0],
                after[-1],
                max(s.rss_mb for s in after),
                max(tasks),
                (median(s.fds for s in early), median(s.fds for s in late)),
                (median(s.threads for s in early), median(s.threads for s in late)),
            )
        )
    return out


def report(run: Run) -> tuple[str, bool]:
    rows: list[Tally] = command_tallies(run.load) + plate_tallies(run.load)
    load = run.load
    lines = [
        "| what | expected | answered once | lost | doubled |",
        "|---|---:|---:|---:|---:|",
        *(
            f"| {r.kind} | {r.expected} | {r.answered_once} | {r.lost} | {r.doubled} |"
            for r in rows
        ),
        "",
        "| mvbot process | RSS after warm-up (MB) | RSS at end (MB) | growth (MB) | peak RSS "
        "| open files, median first → last quarter | threads, likewise "
        "| asyncio tasks after warm-up → end (peak) |",
        "|---|---:|---:|---:|---:|---|---|---|",
    ]
    flat = True
    growths = []
    for n, life in enumerate(lives(run), 1):
        w, e = life.warm, life.end
        growths.append(e.rss_mb - w.rss_mb)
        flat = flat and life.flat
        lines.append(
            f"| {n} (pid {life.pid}) | {w.rss_mb:.1f} | {e.rss_mb:.1f} | "
            f"{e.rss_mb - w.rss_mb:+.1f} | {life.peak_rss:.1f} | "
            f"{life.fds[0]:g} → {life.fds[1]:g} | {life.threads[0]:g} → {life.threads[1]:g} | "
            f"{w.tasks} → {e.tasks} ({life.peak_tasks}) |"
        )
    mvbot_5xx = sum(n for (route, status), n in load.statuses.items() if status >= 500)
    by_route = ", ".join(
        f"{route} {status}: {n}" for (route, status), n in sorted(load.statuses.items())
    )
    faults = run.api[500] + run.api[503]
    total = sum(run.api.values())
    lost = sum(r.lost for r in rows)
    doubled = sum(r.doubled for r in rows)
    ok = lost == 0 and doubled == 0 and mvbot_5xx == 0 and max(growths) < RSS_LIMIT and flat
    lines += [
        "",
        f"mvbot's own routes answered: {by_route}; none reachable while it was down: "
        f"{dict(load.unreachable) or 'none'} (not counted as sent).",
        f"Simulator: {total} API requests, {faults} answered 5xx ({faults / max(1, total):.0%}), "
        f"{run.api[0]} dropped ({run.api[0] / max(1, total):.0%}), {run.api[429]} 429. "
        f"Plate reads published: {load.reads}. Share viewers' segments: "
        f"{', '.join(map(str, run.viewer_segments))}.",
        f"kill -9 at {run.killed_at:.0f} s; healthy again at {run.starts[-1]:.0f} s.",
        f"1-minute load average: {run.loads[0]:.2f} at the start, {run.loads[1]:.2f} at the "
        f"kill, {run.loads[-1]:.2f} at the end (2 cores, shared with other work).",
        "",
        f"Verdict: lost {lost}, doubled {doubled}, 5xx from mvbot {mvbot_5xx}, RSS growth "
        f"after warm-up {', '.join(f'{g:+.1f}' for g in growths)} MB (limit {RSS_LIMIT:g}), "
        f"open files and threads {'flat' if flat else 'growing'} — "
        f"{'PASS' if ok else 'FAIL'}.",
    ]
    return "\n".join(lines), ok


def write_section(body: str, args: argparse.Namespace, run: Run) -> None:
    command = ".venv/bin/python bench/soak.py"
    if args.minutes != 30:
        command += f" --minutes {args.minutes:g}"
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    section = (
        f"{SECTION}\n\n"
        f"Command: `{command}` (measured {stamp}, Python {platform.python_version()}, "
        f"{platform.machine()}, {os.cpu_count()} cores, {run.database}).\n\n"
        f"{run.minutes:g} minutes of mixed load on one `mvbot run` process: a slash command "
        f"every {args.period:g} s (clip, snapshot, cameras, occupancy in turn) from 5 channels "
        f"and 2 people; every 30 s a room watches a new plate and {args.burst} reads plus "
        "two of the watched plate follow over MQTT; 5 share viewers follow Lobby's HLS "
        f"playlist. The simulator answers {args.errors:.0%} of API requests 5xx and drops "
        f"{args.drops:.0%} of connections. Halfway mvbot is killed with SIGKILL and started "
        "on the same data dir. Expected: every command mvbot acknowledged answered once "
        '(matched by its room, person and text in the reply\'s "asked" note), every '
        "confirmed watch announced once with one clip in its thread. Baselines from the "
        "same run: RSS after each process's warm-up (20 % of its life, at most 3 min) "
        "against its RSS at the end.\n\n"
        f"{body}\n"
    )
    replace_section(ROOT / "docs" / "benchmarks.md", SECTION, section)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--period", type=float, default=2.0, help="seconds between commands")
    parser.add_argument("--burst", type=int, default=40, help="other plates per burst")
    parser.add_argument("--errors", type=float, default=0.10, help="API requests answered 5xx")
    parser.add_argument("--drops", type=float, default=0.10, help="API connections dropped")
    parser.add_argument("--postgres", help="an empty PostgreSQL database URL instead of SQLite")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--calls", help="write every request fake Slack received here (JSONL)")
    args = parser.parse_args()
    run = asyncio.run(soak(args))
    if args.calls:
        with open(args.calls, "w", encoding="utf-8") as out:  # for reading a failed verdict
            for call in run.load.fake.calls:
                out.write(json.dumps({"method": call.method, **call.params}) + "\n")
    body, ok = report(run)
    print(body)
    if not args.no_write:
        write_section(body, args, run)
        print("wrote docs/benchmarks.md")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
