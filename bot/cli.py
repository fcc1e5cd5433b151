"""The `mvbot` command line: run, demo, simulator, check-config."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.config import Settings
    from simulator import Fleet, SimulatorConfig


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mvbot", description="ChatOps for Meraki MV cameras")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands.add_parser("run", help="web server and every configured chat adapter")
    check = commands.add_parser("check-config", help="report every configuration problem")
    check.add_argument("--config", help="TOML file (default: the one MVBOT_CONFIG names)")

    webex = commands.add_parser("webex", help="Webex set-up")
    webex_commands = webex.add_subparsers(dest="webex_command", required=True, metavar="COMMAND")
    register = webex_commands.add_parser("register", help="create or update mvbot's webhooks")
    register.add_argument("--url", help="mvbot's public URL (default: MVBOT_PUBLIC_URL)")

    demo = commands.add_parser("demo", help="simulator + bot + console, on loopback")
    demo.add_argument("--once", metavar="COMMAND", help="run one command, print replies, exit")
    demo.add_argument("--data-dir", help="where files and the store go (default ./data/demo)")
    demo.add_argument("--wait", type=float, default=240.0, help="max seconds --once waits")

    sim = commands.add_parser("simulator", help="run the Meraki cloud simulator")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=int, default=8081)
    sim.add_argument("--api-key", help="API key to accept (env MVBOT_SIMULATOR_API_KEY)")
    sim.add_argument("--fleet", help="fleet file (TOML); default: the built-in fleet")
    sim.add_argument("--rate", type=float, default=5.0, help="requests/s per organisation")
    sim.add_argument("--lag", type=float, default=60.0, help="availability lag in seconds")
    sim.add_argument(
        "--mqtt", metavar="URL", help="also publish plate reads and Sense counts to this broker"
    )
    return parser


def _simulator(args: argparse.Namespace) -> int:
    import os
    from pathlib import Path

    from simulator import FleetError, SimulatorConfig, load_fleet
    from simulator.server import serve

    api_key = args.api_key or os.environ.get("MVBOT_SIMULATOR_API_KEY") or "demo-key"
    try:
        fleet = load_fleet(Path(args.fleet)) if args.fleet else None
    except (FleetError, OSError) as error:
        print(f"Cannot load the fleet file: {error}", file=sys.stderr)
        return 2
    config = SimulatorConfig(api_key=api_key, rate=args.rate, availability_lag=args.lag)
    if args.mqtt:
        return _simulator_with_mqtt(config, fleet, args)
    serve(config, fleet, args.host, args.port)
    return 0


def _simulator_with_mqtt(
    config: SimulatorConfig, fleet: Fleet | None, args: argparse.Namespace
) -> int:
    import threading

    from simulator import default_fleet
    from simulator.mqtt import FleetPublisher
    from simulator.server import serve

    fleet = fleet if fleet is not None else default_fleet(now=config.clock())
    try:
        publisher = FleetPublisher(args.mqtt, fleet).start()
    except (OSError, ConnectionError) as error:
        print(f"Cannot reach the MQTT broker: {error}", file=sys.stderr)
        return 2
    stop = threading.Event()
    traffic = threading.Thread(target=publisher.run, args=(stop,), name="mqtt-traffic", daemon=True)
    traffic.start()
    print(f"  publishing plate reads and Sense counts to {args.mqtt.split('@')[-1]}", flush=True)
    try:
        serve(config, fleet, args.host, args.port)
    finally:
        stop.set()
        traffic.join(timeout=5)
        publisher.stop()
    return 0


def _check_config(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bot.config import check_settings

    problems = check_settings(config_file=Path(args.config) if args.config else None)
    for problem in problems:
        print(f"✘ {problem}")
    if problems:
        print(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in the configuration.")
        return 1
    print("✔ The configuration is valid.")
    return 0


def _run(args: argparse.Namespace) -> int:
    from bot.config import ConfigError, load_settings
    from bot.run import run
    from bot.telemetry.logs import configure_logging

    try:
        settings = load_settings()
    except ConfigError as error:
        print(error, file=sys.stderr)
        print("Run `mvbot check-config` for the whole list.", file=sys.stderr)
        return 2
    configure_logging("INFO", secrets=settings.secret_values())
    try:
        return run(settings)
    except Exception as error:
        return _startup_failed(error, settings)


def _startup_failed(error: Exception, settings: Settings) -> int:
    """One line for the operator instead of a traceback (which goes to the log at DEBUG)."""
    import logging

    from bot.store import configured_database_url
    from bot.telemetry.logs import RedactingFilter
    from bot.telemetry.startup import startup_failure

    line = startup_failure(error, configured_database_url(settings.store))
    if line is None:
        raise error
    logging.getLogger("bot.cli").debug("start-up failed", exc_info=error)
    # Redacted as the log is: this line goes to the same place (stderr).
    redacted = RedactingFilter(settings.secret_values()).redact(line)
    print(f"mvbot cannot start: {redacted}", file=sys.stderr)
    return 1


def _webex_register(args: argparse.Namespace) -> int:
    import asyncio

    from adapters.webex import register_webhooks
    from adapters.webex.client import WebexError
    from bot.config import ConfigError, load_settings
    from bot.telemetry.logs import configure_logging

    try:
        settings = load_settings()
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    configure_logging("WARNING", secrets=settings.secret_values())
    url = args.url or settings.http.public_url
    if not url:
        print(
            "Give mvbot's public URL: --url https://… (or set MVBOT_PUBLIC_URL).", file=sys.stderr
        )
        return 2
    try:
        ids = asyncio.run(register_webhooks(settings.webex, url))
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    except WebexError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"Webex webhooks registered for {url.rstrip('/')}/webex/events: {', '.join(ids)}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "webex":
        return _webex_register(args)
    if args.command == "run":
        return _run(args)
    if args.command == "check-config":
        return _check_config(args)
    if args.command == "simulator":
        return _simulator(args)
    if args.command == "demo":
        from bot.demo import run_demo

        return run_demo(once=args.once, data_dir=args.data_dir, wait=args.wait)
    raise AssertionError(args.command)


if __name__ == "__main__":
    sys.exit(main())
