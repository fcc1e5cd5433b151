"""Fleet files, the default fleet, and the Sense truth the REST answers derive from."""

from __future__ import annotations

import re
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from simulator import FleetError, default_fleet, load_fleet, sense
from simulator.timefmt import format_timestamp, parse_timestamp
from tests.conftest import SimulatorFactory

NOW = 1_741_791_600.0  # Wed 2025-03-12 15:00 UTC
AUTH = {"Authorization": "Bearer demo-key"}

SMALL_FLEET = """
[organization]
id = "777"
name = "Tiny Co"

[[networks]]
id = "N_1"
name = "Shop"
timeZone = "Asia/Tokyo"

[[cameras]]
serial = "Q2AA-BBBB-CCCC"
name = "Till"
model = "MV2"
networkId = "N_1"
offline = [{ start = "-2h", end = "-1h30m" }, { start = 2025-03-12T14:59:00Z }]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "fleet.toml"
    path.write_text(text)
    return path


def test_the_default_fleet_covers_the_demo() -> None:
    fleet = default_fleet(now=NOW)
    cameras = {c.name: c for c in fleet.cameras}
    assert len(cameras) >= 6
    assert {n.time_zone for n in fleet.networks} == {"America/New_York", "Europe/Amsterdam"}
    assert "lpr" in cameras["Garage Entrance"].tags and "restricted" in cameras["Server Room"].tags
    assert cameras["Parking Lot"].imagers == 4
    assert [z.label for z in cameras["Warehouse"].zones] == ["Full Frame", "Dock Doors", "Aisle 3"]
    assert cameras["Warehouse"].areas and cameras["Warehouse"].lines
    assert cameras["Loading Dock"].status(NOW) == "offline"
    assert cameras["Loading Dock"].status(NOW - 4 * 3600) == "online"
    assert (
        min(c.retention_days for c in fleet.cameras)
        < 30
        == max(c.retention_days for c in fleet.cameras)
    )
    assert {d.product_type for d in fleet.devices} >= {"switch", "wireless"}


def test_a_fleet_file_resolves_relative_and_absolute_windows(tmp_path: Path) -> None:
    fleet = load_fleet(write(tmp_path, SMALL_FLEET), now=NOW)
    till = fleet.cameras[0]
    assert [(w.start, w.end) for w in till.offline] == [(NOW - 7200, NOW - 5400), (NOW - 60, None)]
    assert till.status(NOW) == "offline" and till.status(NOW - 3600) == "online"
    assert till.retention_days == 30 and till.imagers == 1 and till.mac and till.lan_ip


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ('model = "MV2"', 'model = "MV2"\ncolour = "red"'),
            "cameras[0] (Till): unknown key 'colour'",
        ),
        (('serial = "Q2AA-BBBB-CCCC"', 'serial = "12345"'), "is not like Q2XX-XXXX-XXXX"),
        (('networkId = "N_1"', 'networkId = "N_9"'), "networkId 'N_9' names no network"),
        (('timeZone = "Asia/Tokyo"', 'timeZone = "Mars/Olympus"'), "unknown timeZone"),
        (("2025-03-12T14:59:00Z", "2025-03-12T14:59:00"), "offline[1]: start"),
        (('end = "-1h30m"', 'end = "-3h"'), "end must come after start"),
        (('model = "MV2"', 'model = "MS120"'), "a camera's model starts with MV"),
        (('name = "Tiny Co"', ""), "missing required key 'name'"),
    ],
)
def test_a_bad_fleet_file_says_where_and_why(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    with pytest.raises(FleetError, match=re.escape(message)):
        load_fleet(write(tmp_path, SMALL_FLEET.replace(*change)), now=NOW)


def test_a_custom_fleet_is_what_the_api_serves(
    simulator_factory: SimulatorFactory, tmp_path: Path
) -> None:
    server = simulator_factory(fleet=load_fleet(write(tmp_path, SMALL_FLEET), now=NOW))
    orgs = httpx.get(f"{server.api_url}/organizations", headers=AUTH).json()
    assert [(o["id"], o["name"]) for o in orgs] == [("777", "Tiny Co")]
    devices = httpx.get(f"{server.api_url}/organizations/777/devices", headers=AUTH).json()
    assert [d["name"] for d in devices] == ["Till"]


def test_occupancy_follows_the_local_working_day() -> None:
    fleet = default_fleet(now=NOW)
    warehouse = next(c for c in fleet.cameras if c.name == "Warehouse")
    amsterdam = ZoneInfo("Europe/Amsterdam")
    day = parse_timestamp("2025-03-12T10:00:00+01:00")  # a Wednesday morning in Amsterdam
    night = parse_timestamp("2025-03-12T03:00:00+01:00")
    busy = sense.zone_minutes(warehouse, amsterdam, "0", int(day), 120)
    quiet = sense.zone_minutes(warehouse, amsterdam, "0", int(night), 120)
    assert sum(m.average_count for m in busy) > 5 * sum(m.average_count for m in quiet)
    assert sum(m.entrances for m in busy) > sum(m.entrances for m in quiet)
    zones = [z.id for z in warehouse.zones if z.id != "0"]
    for minute in busy[:10]:
        parts = [
            sense.zone_minute(warehouse, amsterdam, z, minute.start).average_count for z in zones
        ]
        assert minute.average_count >= max(parts)
    assert sense.zone_minutes(warehouse, amsterdam, "0", int(day), 120) == busy  # a pure function


def test_rest_history_and_live_derive_from_the_truth(simulator_factory: SimulatorFactory) -> None:
    server = simulator_factory(clock=lambda: NOW)
    warehouse = server.fleet.camera("Q2JV-WRHS-0004")
    assert warehouse is not None
    amsterdam = ZoneInfo("Europe/Amsterdam")
    zone = "566327653141842189"
    base = f"{server.api_url}/devices/{warehouse.serial}/camera/analytics"
    history = httpx.get(
        f"{base}/zones/{zone}/history",
        params={"t0": format_timestamp(NOW - 600), "t1": format_timestamp(NOW)},
        headers=AUTH,
    ).json()
    truth = sense.zone_minutes(warehouse, amsterdam, zone, int(NOW - 600), 10)
    assert [(h["averageCount"], h["entrances"]) for h in history] == [
        (m.average_count, m.entrances) for m in truth
    ]
    live = httpx.get(f"{base}/live", headers=AUTH).json()
    assert live["ts"] == format_timestamp(NOW)
    assert live["zones"] == sense.live_counts(warehouse, amsterdam, NOW)
    zone_total = sum(live["zones"][z.id]["person"] for z in warehouse.zones if z.id != "0")
    assert live["zones"]["0"]["person"] >= zone_total
