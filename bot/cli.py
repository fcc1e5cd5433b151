"""The `mvbot` command line: run, demo, simulator, check-config."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mvbot", description="ChatOps for Meraki MV cameras")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

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
    return parser


def _simulator(args: argparse.Namespace) -> int:
    import os
    from pathlib import Path

    from simulator.server import serve

    from simulator import SimulatorConfig, load_fleet

    api_key = args.api_key or os.environ.get("MVBOT_SIMULATOR_API_KEY") or "demo-key"
    fleet = load_fleet(Path(args.fleet)) if args.fleet else None
    config = SimulatorConfig(api_key=api_key, rate=args.rate, availability_lag=args.lag)
    serve(config, fleet, args.host, args.port)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "simulator":
        return _simulator(args)
    if args.command == "demo":
        from bot.demo import run_demo

        return run_demo(once=args.once, data_dir=args.data_dir, wait=args.wait)
    raise AssertionError(args.command)


if __name__ == "__main__":
    sys.exit(main())
