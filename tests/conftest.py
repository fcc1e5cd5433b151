"""Shared fixtures: simulated Meraki clouds on free loopback ports, stopped after each test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from simulator import Fleet, SimulatorConfig, SimulatorServer

SimulatorFactory = Callable[..., SimulatorServer]


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
