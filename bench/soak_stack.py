"""The soak benchmark's world: mvbot as a real `mvbot run` process, killed and restarted on
one data dir, and what is sampled from /proc while it runs."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from simulator import SimulatorServer
from tests.fake_slack import BOT_TOKEN, SIGNING_SECRET, FakeSlack

START_TIMEOUT = 120.0  # a start meets the same simulated faults as everything else


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Sample:
    """One look at the mvbot process (seconds since the run began)."""

    at: float
    pid: int
    rss_mb: float
    fds: int
    threads: int
    tasks: int | None  # mvbot_tasks from /metrics; None when it did not answer


def config_toml(
    sim: SimulatorServer, fake: FakeSlack, mqtt_url: str, data: Path, port: int, db: str
) -> str:
    return f"""\
[meraki]
api_key = "{sim.cfg.api_key}"
base_url = "{sim.api_url}"
[store]
data_dir = "{data}"
database_url = "{db}"
[http]
port = {port}
public_url = "http://127.0.0.1:{port}"
[access]
default_role = "admin"
[mqtt]
url = "{mqtt_url}"
client_id = "mvbot-soak"
[slack]
bot_token = "{BOT_TOKEN}"
signing_secret = "{SIGNING_SECRET}"
api_url = "{fake.api_url}"
[clips]
availability_lag = "{sim.cfg.availability_lag:g}s"
"""


class MvbotProcess:
    """`python -m bot.cli run` on a fixed port and data dir; kill -9 and start again."""

    def __init__(self, root: Path, config: Path, port: int, log: Path) -> None:
        self.root, self.config, self.port, self.log = root, config, port, log
        self.url = f"http://127.0.0.1:{port}"
        self.process: asyncio.subprocess.Process | None = None
        self.starts: list[float] = []  # monotonic time each start became healthy

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process and self.process.returncode is None else None

    async def start(self, http: httpx.AsyncClient) -> None:
        env = {**os.environ, "MVBOT_CONFIG": str(self.config)}
        with self.log.open("ab") as log:  # mvbot's log outlives each process
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.cli", "run", env=env, cwd=self.root,
                stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log,
            )  # fmt: skip
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.returncode is not None:
                raise RuntimeError(f"mvbot exited with {self.process.returncode}; see {self.log}")
            try:
                if (await http.get(f"{self.url}/healthz")).status_code == 200:
                    self.starts.append(time.monotonic())
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)  # polling a process we do not control: no event to wait on
        raise RuntimeError(f"mvbot was not healthy within {START_TIMEOUT:g} s; see {self.log}")

    async def kill_nine(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            try:
                async with asyncio.timeout(30):
                    await self.process.wait()
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


def proc_sample(pid: int, at: float, tasks: int | None) -> Sample | None:
    """RSS, open descriptors and threads from /proc; None if the process is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        fds = len(os.listdir(f"/proc/{pid}/fd"))
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    rss_kb = int(fields["VmRSS"].split()[0])
    return Sample(at, pid, rss_kb / 1024, fds, int(fields["Threads"]), tasks)


async def task_gauge(http: httpx.AsyncClient, url: str) -> int | None:
    try:
        text = (await http.get(f"{url}/metrics")).text
    except httpx.HTTPError:
        return None
    for line in text.splitlines():
        if line.startswith("mvbot_tasks "):
            return int(float(line.split()[1]))
    return None


async def sample_every(
    mvbot: MvbotProcess, period: float, until: float, began: float, out: list[Sample]
) -> None:
    """Look at whichever mvbot process is alive every `period` seconds until `until`."""
    async with httpx.AsyncClient(timeout=10) as http:
        while time.monotonic() < until:
            pid = mvbot.pid
            if pid is not None:
                tasks = await task_gauge(http, mvbot.url)
                found = await asyncio.to_thread(proc_sample, pid, time.monotonic() - began, tasks)
                if found is not None:
                    out.append(found)
            await asyncio.sleep(period)  # a sampling period, not a wait for an event
