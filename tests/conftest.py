"""Shared fixtures: simulated Meraki clouds on free loopback ports, stopped after each test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from simulator import Fleet, SimulatorConfig, SimulatorServer

SimulatorFactory = Callable[..., SimulatorServer]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked long first (in their own order, the rest in theirs): a four-minute test
    started last held up the end of a parallel run by as long while the other workers idled.
    `./dev test` hands the tests out one at a time (--maxschedchunk 1), so those long ones
    start early on separate workers."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)


@pytest.fixture
def simulator_factory() -> Iterator[SimulatorFactory]:
    """`start(fleet=None, **config)`: a started simulator with SimulatorConfig(**config)."""
    started: list[SimulatorServer] = []

    def start(fleet: Fleet | None = None, **config: Any) -> SimulatorServer:
        server = SimulatorServer(SimulatorConfig(**config), fleet=fleet).start()
        started.append(server)
        return server

    yield start
    for server in reversed(started):
        server.stop()


@pytest.fixture
def simulator(simulator_factory: SimulatorFactory) -> SimulatorServer:
    """The default simulated cloud, with footage available 5 s after it happens."""
    return simulator_factory(availability_lag=5.0)
