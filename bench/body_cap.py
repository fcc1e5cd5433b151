"""Benchmark: what a 200 MB chunked POST costs mvbot, with the per-route body cap and without.

Run by hand: ``.venv/bin/python bench/body_cap.py`` (``--megabytes N``; ``--no-write``
leaves docs/benchmarks.md alone). One endpoint that reads its whole body (as
/slack/events did before bot.web.bodies) is served twice on loopback: inside mvbot's web
app, where the route declares a 1 MiB cap, and in a bare Starlette app (the baseline).
A client streams 'A's chunked until it is answered. Reported per run: the answer, the
bytes sent before it, the time to it and the server process's peak RSS growth (Linux:
the high-water mark is reset before each run through /proc/self/clear_refs).
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import re
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from starlette.applications import Starlette  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import PlainTextResponse, Response  # noqa: E402
from starlette.routing import Route  # noqa: E402

from bench.report import replace_section  # noqa: E402
from bot.telemetry.metrics import Metrics  # noqa: E402
from bot.web import create_app  # noqa: E402
from bot.web.bodies import CappedRoute  # noqa: E402
from bot.web.server import web_server  # noqa: E402

SECTION = "## Body cap"
BLOCK = b"A" * 65536
CHUNK = b"%x\r\n" % len(BLOCK) + BLOCK + b"\r\n"


@dataclass
class Run:
    name: str
    status: int
    sent_mb: float
    seconds: float
    rss_growth_mb: float


def _kb(name: str) -> int:
    found = re.search(rf"{name}:\s+(\d+)", Path("/proc/self/status").read_text())
    assert found
    return int(found.group(1))


async def _whole(request: Request) -> Response:
    body = await request.body()
    return PlainTextResponse(f"{len(body)} bytes read", status_code=401)


async def _post(url: str, path: str, total: int) -> tuple[int, int]:
    parts = urlsplit(url)
    assert parts.hostname and parts.port
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    writer.write(
        f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        "Transfer-Encoding: chunked\r\n\r\n".encode()
    )
    answered = asyncio.create_task(reader.readuntil(b"\r\n\r\n"))
    sent = 0
    try:
        while sent < total and not answered.done():
            writer.write(CHUNK)
            await writer.drain()
            await asyncio.sleep(0)
            sent += len(BLOCK)
        if not answered.done():
            writer.write(b"0\r\n\r\n")
            await writer.drain()
    except (ConnectionResetError, BrokenPipeError):
        pass
    head = await answered
    writer.close()
    return int(head.split()[1]), sent


def _reset_peak() -> int:
    """Reset the peak RSS to the current RSS (Linux); returns that, in kB."""
    Path("/proc/self/clear_refs").write_text("5")
    return _kb("VmRSS")


async def _measure(name: str, url: str, path: str, total: int) -> Run:
    before = _reset_peak()
    started = time.perf_counter()
    status, sent = await _post(url, path, total)
    seconds = time.perf_counter() - started
    return Run(name, status, sent / 1e6, seconds, (_kb("VmHWM") - before) / 1024)


async def measure(total: int) -> list[Run]:
    async def health() -> dict[str, str]:
        return {"store": "ok"}

    capped = create_app(
        metrics=Metrics(), health=health, routes=[CappedRoute("/events", _whole, cap=1 << 20)]
    )
    bare = Starlette(routes=[Route("/events", _whole, methods=["POST"])])
    async with (
        web_server(capped, "127.0.0.1", 0) as with_cap,
        web_server(bare, "127.0.0.1", 0) as without,
    ):
        baseline = await _measure("no cap (baseline)", without.url, "/events", total)
        bounded = await _measure("1 MiB cap (mvbot)", with_cap.url, "/events", total)
    return [baseline, bounded]


def report(runs: list[Run], total: int) -> str:
    baseline, bounded = runs
    lines = [
        SECTION,
        "",
        f"`bench/body_cap.py`, {datetime.now(UTC):%Y-%m-%d}, {platform.machine()}, "
        f"Python {platform.python_version()}: one {total / 1e6:.0f} MB chunked POST to an "
        "endpoint that reads its whole body.",
        "",
        "| run | answer | sent before the answer | time to the answer | peak RSS growth |",
        "|---|---|---|---|---|",
    ]
    for run in runs:
        lines.append(
            f"| {run.name} | {run.status} | {run.sent_mb:.1f} MB | {run.seconds:.2f} s | "
            f"{run.rss_growth_mb:.1f} MB |"
        )
    ratio = bounded.rss_growth_mb / baseline.rss_growth_mb if baseline.rss_growth_mb else 0.0
    lines += [
        "",
        f"Peak RSS growth with the cap / without: {ratio:.3f}.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=200)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    total = args.megabytes * 1_000_000
    runs = asyncio.run(measure(total))
    section = report(runs, total)
    print(section)
    if not args.no_write:
        replace_section(ROOT / "docs" / "benchmarks.md", SECTION, section)


if __name__ == "__main__":
    main()
