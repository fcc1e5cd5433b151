"""Running the simulator: in a background thread with its own event loop, or blocking (CLI)."""

from __future__ import annotations

import asyncio
import logging
import shutil
import socket
import tempfile
import threading
from pathlib import Path
from types import TracebackType

import uvicorn
from starlette.types import ASGIApp

from simulator.app import build_app
from simulator.clips import ClipLibrary
from simulator.config import SimulatorConfig
from simulator.context import Context
from simulator.fleet import Fleet
from simulator.fleet_file import default_fleet
from simulator.gate import DropNoiseFilter
from simulator.render import Studio
from simulator.state import SimulatorState

_START_TIMEOUT = 15.0


class _Uvicorn(uvicorn.Server):
    """uvicorn that says when it is listening (an event, not a flag to poll)."""

    def __init__(self, config: uvicorn.Config, listening: threading.Event) -> None:
        super().__init__(config)
        self.listening = listening

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        self.listening.set()


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    # Listening from here on: `serve` says so before uvicorn has started, and a client that
    # connects meanwhile waits in the backlog instead of being refused.
    sock.listen(2048)
    return sock


def _scratch_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="mvbot-simulator-"))


def _context(cfg: SimulatorConfig, fleet: Fleet, state: SimulatorState, cache: Path) -> Context:
    """What the routes share: the fleet, its state, and the clips rendered into `cache`."""
    cache.mkdir(parents=True, exist_ok=True)
    studio = Studio()
    clips = ClipLibrary(cache, cfg.clip_cache_size, studio, fleet, (cfg.width, cfg.height), cfg.fps)
    return Context(cfg=cfg, fleet=fleet, state=state, studio=studio, clips=clips)


def _uvicorn_config(app: ASGIApp) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        log_config=None,
        access_log=False,
        lifespan="off",
        http="h11",
        ws="none",
        timeout_graceful_shutdown=2,
    )


class SimulatorServer:
    """A simulated Meraki cloud on a free loopback port; usable as a context manager."""

    def __init__(
        self,
        cfg: SimulatorConfig | None = None,
        fleet: Fleet | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.cfg = cfg or SimulatorConfig()
        self.fleet = fleet if fleet is not None else default_fleet(now=self.cfg.clock())
        self.state = SimulatorState(self.cfg.faults, self.cfg.rate)
        self._host, self._port = host, port
        self._drops = DropNoiseFilter()
        self._thread: threading.Thread | None = None
        self._server: _Uvicorn | None = None
        self._scratch: Path | None = None
        self._bound_port: int | None = None

    @property
    def org_id(self) -> str:
        return self.fleet.organization.id

    @property
    def url(self) -> str:
        if self._bound_port is None:
            raise RuntimeError("the simulator is not started")
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self._bound_port}"

    @property
    def api_url(self) -> str:
        return self.url + "/api/v1"

    def start(self) -> SimulatorServer:
        """Listen, serve from a daemon thread, and return once connections are accepted."""
        if self._thread is not None:
            raise RuntimeError("the simulator is already started")
        cache = self.cfg.cache_dir
        if cache is None:
            self._scratch = cache = _scratch_dir()
        ctx = _context(self.cfg, self.fleet, self.state, cache)
        sock = _bind(self._host, self._port)
        self._bound_port = sock.getsockname()[1]
        listening = threading.Event()
        self._server = server = _Uvicorn(_uvicorn_config(build_app(ctx, self._drops)), listening)
        logging.getLogger("uvicorn.error").addFilter(self._drops)

        def run() -> None:
            loop = asyncio.new_event_loop()
            try:
                loop.run_until_complete(server.serve(sockets=[sock]))
                loop.run_until_complete(loop.shutdown_default_executor())
            finally:
                loop.close()
                sock.close()
                listening.set()  # wakes start() if serving never began

        self._thread = threading.Thread(
            target=run, name=f"meraki-simulator-{self._bound_port}", daemon=True
        )
        self._thread.start()
        if not listening.wait(_START_TIMEOUT) or not server.started:
            self.stop()
            raise RuntimeError("the simulator did not start")
        return self

    def stop(self) -> None:
        """Stop serving, wait for the thread, and delete the clips it generated."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=_START_TIMEOUT)
        self._server = self._thread = None
        logging.getLogger("uvicorn.error").removeFilter(self._drops)
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve(
    cfg: SimulatorConfig, fleet: Fleet | None, host: str = "127.0.0.1", port: int = 8081
) -> None:
    """Run the simulator in the foreground until interrupted (`mvbot simulator`)."""
    fleet = fleet if fleet is not None else default_fleet(now=cfg.clock())
    scratch = _scratch_dir() if cfg.cache_dir is None else None
    cache = cfg.cache_dir or scratch
    assert cache is not None
    ctx = _context(cfg, fleet, SimulatorState(cfg.faults, cfg.rate), cache)
    drops = DropNoiseFilter()
    logging.getLogger("uvicorn.error").addFilter(drops)
    sock = _bind(host, port)
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{sock.getsockname()[1]}"
    org = fleet.organization
    print(f"Meraki cloud simulator listening on {url}/api/v1", flush=True)
    print(f"  API key: {cfg.api_key}", flush=True)
    print(f"  organisation: {org.id} ({org.name}), {len(fleet.cameras)} cameras", flush=True)
    try:
        uvicorn.Server(_uvicorn_config(build_app(ctx, drops))).run(sockets=[sock])
    finally:
        sock.close()
        logging.getLogger("uvicorn.error").removeFilter(drops)
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
