"""Starting and stopping simulators: in-process threads, and the blocking `serve` of the CLI."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import httpx

from simulator import SimulatorConfig, SimulatorServer
from simulator.timefmt import format_timestamp

NOW = 1_741_791_600.0
LOBBY = "Q2FV-LBBY-0001"

SERVE = (
    "from simulator import SimulatorConfig; from simulator.server import serve; "
    "serve(SimulatorConfig(api_key='k9'), None, '127.0.0.1', 0)"
)


def test_serve_prints_its_url_and_key_and_stops_on_sigterm() -> None:
    command = [sys.executable, "-c", SERVE]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        try:
            assert process.stdout is not None
            banner = [process.stdout.readline() for _ in range(3)]
            assert "API key: k9" in banner[1]
            api_url = banner[0].split()[-1]
            assert api_url.startswith("http://127.0.0.1:") and api_url.endswith("/api/v1")
            answer = httpx.get(f"{api_url}/organizations", headers={"Authorization": "Bearer k9"})
            assert answer.status_code == 200
        finally:
            process.terminate()
            _, errors = process.communicate(timeout=15)
    # uvicorn shuts down gracefully, then re-raises the signal it caught.
    assert process.returncode in (0, -signal.SIGTERM), errors


def test_two_simulators_in_one_process_are_independent() -> None:
    with (
        SimulatorServer(SimulatorConfig(api_key="a")) as first,
        SimulatorServer(SimulatorConfig(api_key="b")) as second,
    ):
        assert first.url != second.url
        assert httpx.get(
            f"{first.api_url}/organizations", headers={"Authorization": "Bearer a"}
        ).is_success
        assert (
            httpx.get(
                f"{second.api_url}/organizations", headers={"Authorization": "Bearer a"}
            ).status_code
            == 401
        )
        assert len(first.state.requests) == 1 and len(second.state.requests) == 1
    for server in (first, second):
        try:
            httpx.get(f"{server.api_url}/organizations", timeout=2)
        except httpx.ConnectError:
            continue
        raise AssertionError("a stopped simulator still answers")


def test_clips_are_generated_once_and_the_oldest_evicted(tmp_path: Path) -> None:
    config = SimulatorConfig(clock=lambda: NOW, cache_dir=tmp_path, clip_cache_size=2, rate=50.0)
    with SimulatorServer(config) as server:

        def fetch(start: float) -> bytes:
            params = {
                "startTimestamp": format_timestamp(start),
                "endTimestamp": format_timestamp(start + 2),
            }
            answer = httpx.get(
                f"{server.api_url}/devices/{LOBBY}/camera/clip",
                params=params,
                headers={"Authorization": "Bearer demo-key"},
            )
            return httpx.get(answer.json()["url"]).content

        first = fetch(NOW - 600)
        assert fetch(NOW - 600) == first  # a new URL for the same span: the same file
        assert len(list(tmp_path.glob("*.ts"))) == 1
        fetch(NOW - 500)
        fetch(NOW - 400)
        assert len(list(tmp_path.glob("*.ts"))) == 2
    assert len(list(tmp_path.glob("*.ts"))) == 2  # a cache directory of one's own is kept
