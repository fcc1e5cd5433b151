"""A local Meraki cloud: Dashboard API v1, a camera fleet, real MPEG-TS clips and snapshots.

from simulator import SimulatorConfig, SimulatorServer
with SimulatorServer(SimulatorConfig(api_key="demo-key")) as server:
    ...  # point a client at server.api_url
"""

from simulator.config import Faults, SimulatorConfig
from simulator.fleet import Fleet
from simulator.fleet_file import FleetError, default_fleet, load_fleet
from simulator.server import SimulatorServer, serve
from simulator.state import RequestRecord

__all__ = [
    "Faults",
    "Fleet",
    "FleetError",
    "RequestRecord",
    "SimulatorConfig",
    "SimulatorServer",
    "default_fleet",
    "load_fleet",
    "serve",
]
