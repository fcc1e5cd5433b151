"""The simulated organisation: networks, cameras and other devices, as plain frozen data."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from zoneinfo import ZoneInfo

FULL_FRAME_ZONE = "0"

# Model prefix -> the Dashboard API's productType.
PRODUCT_TYPES = {
    "MV": "camera",
    "MS": "switch",
    "MR": "wireless",
    "CW": "wireless",
    "MX": "appliance",
    "Z": "appliance",
    "MG": "cellularGateway",
    "MT": "sensor",
}


def product_type_of(model: str) -> str | None:
    """The productType of a model name such as "MV12" or "MS250-48FP", None if unknown."""
    for prefix in sorted(PRODUCT_TYPES, key=len, reverse=True):
        if model.upper().startswith(prefix):
            return PRODUCT_TYPES[prefix]
    return None


@dataclass(frozen=True, kw_only=True)
class Organization:
    id: str
    name: str


@dataclass(frozen=True, kw_only=True)
class Network:
    id: str
    name: str
    time_zone: str
    address: str = ""
    tags: tuple[str, ...] = ()

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


@dataclass(frozen=True, kw_only=True)
class Zone:
    """An MV Sense analytics zone; `roi` is (x0, y0, x1, y1) as fractions of the frame."""

    id: str
    label: str
    roi: tuple[float, float, float, float] = (0.0, 0.0, 1.0, 1.0)


@dataclass(frozen=True, kw_only=True)
class Boundary:
    """An area or a crossing line drawn on a camera; vertices are fractions of the frame."""

    id: str
    name: str
    kind: str  # "area" or "line"
    vertices: tuple[tuple[float, float], ...]
    direction: tuple[float, float] | None = None  # lines: the side counted as "in"


@dataclass(frozen=True, kw_only=True)
class OfflineWindow:
    """A span (epoch seconds) when a camera recorded nothing; end None means still offline."""

    start: float
    end: float | None = None

    def contains(self, moment: float) -> bool:
        return self.start <= moment and (self.end is None or moment < self.end)

    def overlaps(self, start: float, end: float) -> bool:
        return self.start < end and (self.end is None or start < self.end)


@dataclass(frozen=True, kw_only=True)
class Device:
    serial: str
    name: str
    model: str
    network_id: str
    tags: tuple[str, ...] = ()
    lan_ip: str = ""
    firmware: str = ""
    mac: str = ""
    address: str = ""
    notes: str = ""
    lat: float = 37.4180951
    lng: float = -122.098531

    @property
    def product_type(self) -> str:
        return product_type_of(self.model) or "unknown"


@dataclass(frozen=True, kw_only=True)
class Camera(Device):
    retention_days: float = 30.0
    imagers: int = 1
    sense: bool = False
    external_rtsp: bool = False
    zones: tuple[Zone, ...] = ()  # with the full-frame zone "0" first when Sense is on
    areas: tuple[Boundary, ...] = ()
    lines: tuple[Boundary, ...] = ()
    offline: tuple[OfflineWindow, ...] = ()

    def status(self, now: float) -> str:
        """ "online" or "offline" at `now`, from the offline windows."""
        return "offline" if any(w.contains(now) for w in self.offline) else "online"

    def offline_during(self, start: float, end: float) -> bool:
        return any(w.overlaps(start, end) for w in self.offline)

    def zone(self, zone_id: str) -> Zone | None:
        return next((z for z in self.zones if z.id == zone_id), None)


@dataclass(frozen=True, kw_only=True)
class Fleet:
    organization: Organization
    networks: tuple[Network, ...]
    cameras: tuple[Camera, ...]
    devices: tuple[Device, ...] = ()  # everything that is not a camera

    @property
    def all_devices(self) -> tuple[Device, ...]:
        """Every device, sorted by serial (the order the API pages through)."""
        return tuple(sorted((*self.cameras, *self.devices), key=lambda d: d.serial))

    def device(self, serial: str) -> Device | None:
        return next((d for d in (*self.cameras, *self.devices) if d.serial == serial), None)

    def camera(self, serial: str) -> Camera | None:
        return next((c for c in self.cameras if c.serial == serial), None)

    def network(self, network_id: str) -> Network | None:
        return next((n for n in self.networks if n.id == network_id), None)

    def network_of(self, device: Device) -> Network:
        network = self.network(device.network_id)
        if network is None:  # load_fleet checks this; a hand-built Fleet may not
            raise KeyError(f"device {device.serial} names unknown network {device.network_id}")
        return network

    def boundaries(self) -> tuple[tuple[Camera, Boundary], ...]:
        return tuple((c, b) for c in self.cameras for b in (*c.areas, *c.lines))
