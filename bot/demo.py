"""`mvbot demo`: the simulator, the bot and a console, all on loopback, with no account needed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import threading
from collections.abc import AsyncIterator
from pathlib import Path

from adapters.console import ConsoleAdapter
from bot.app import running_bot
from bot.config import ConfigError, Settings, load_settings
from bot.events.broker import embedded_broker
from bot.run import file_links, web_app
from bot.store import Outcome
from bot.web.server import web_server
from simulator import Fleet, SimulatorConfig, SimulatorServer
from simulator.mqtt import FleetPublisher

EXAMPLES = (
    "cameras",
    "clip lobby 10m ago 2m",
    "snapshot garage entrance",
    "plates follow garage entrance",
    "help clip",
)


def demo_settings(base: Settings, api_url: str, api_key: str, data_dir: Path) -> Settings:
    """The demo's own defaults on top of whatever the environment configured."""
    return base.with_overrides(
        {
            "meraki": {"api_key": api_key, "base_url": api_url, "org_id": None},
            "store": {"data_dir": data_dir, "database_url": None},
            # Everyone at the demo console may do everything.
            "access": {"default_role": "admin"},
        }
    )


def run_demo(once: str | None, data_dir: str | None, wait: float) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        base = load_settings(demo=True)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    folder = Path(data_dir) if data_dir else Path("data") / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    sim_config = SimulatorConfig(availability_lag=base.clips.availability_lag.total_seconds())
    with SimulatorServer(sim_config) as simulator:
        settings = demo_settings(base, simulator.api_url, sim_config.api_key, folder)
        return asyncio.run(_demo(settings, simulator, once, wait))


@contextlib.asynccontextmanager
async def _plate_traffic(fleet: Fleet) -> AsyncIterator[str]:
    """An embedded broker and the simulator's cars and Sense counts on it; yields its URL."""
    async with embedded_broker() as url:
        publisher = await asyncio.to_thread(FleetPublisher(url, fleet).start)
        stop = threading.Event()
        traffic = threading.Thread(target=publisher.run, args=(stop,), daemon=True)
        traffic.start()
        try:
            yield url
        finally:
            stop.set()
            await asyncio.to_thread(traffic.join, 5)
            await asyncio.to_thread(publisher.stop)


async def _demo(
    settings: Settings, simulator: SimulatorServer, once: str | None, wait: float
) -> int:
    simulator_url = simulator.url
    console = ConsoleAdapter()
    async with (
        _plate_traffic(simulator.fleet) as broker_url,
        running_bot(
            settings.with_overrides({"mqtt": {"url": broker_url, "client_id": "mvbot-demo"}}),
            [console],
        ) as running,
        web_server(
            web_app(settings, running, file_links(settings, running.signing_key), []),
            "127.0.0.1",
            0,
        ) as web,
    ):
        # Share links point at this server, on whatever free port it got.
        running.shares.public_url = web.url
        running.incidents.public_url = web.url
        running.exports.public_url = web.url
        if once is not None:
            outcome = await console.ask(once)
            if outcome is Outcome.PENDING and not (
                await running.pending.wait_idle(wait)
                and await running.incidents.jobs.wait_idle(wait)
                and await running.exports.wait_idle(wait)
            ):
                print(f"gave up waiting after {wait:.0f} s for the deferred reply", file=sys.stderr)
                return 1
            failed = outcome in (Outcome.FAILED, Outcome.REFUSED)
            return 1 if failed or any(r.failed for r in console.replies) else 0
        _enable_line_editing()
        print(
            f"mvbot demo — Meraki simulator at {simulator_url} (API key "
            f"{settings.meraki.api_key.get_secret_value() if settings.meraki.api_key else ''}), "
            f"files in {settings.store.data_dir}/media, share links at {web.url}; "
            "cars pass Garage Entrance every 20–60 s (MQTT).\n"
            f"Try: {' · '.join(EXAMPLES)}. Ctrl-D or `quit` leaves."
        )
        await console.repl()
        await running.runner.idle()  # the commands typed last are still running
        if waiting := await running.pending.unfinished():
            many = waiting != 1
            print(
                f"{waiting} clip{'s are' if many else ' is'} still on the way; "
                f"{'they' if many else 'it'} will be posted the next time `mvbot demo` starts."
            )
    return 0


def _enable_line_editing() -> None:
    """History and arrow keys at the prompt, where the platform has readline."""
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401
