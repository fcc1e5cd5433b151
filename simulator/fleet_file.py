"""Reading a fleet from TOML, with every mistake reported by where it is."""

from __future__ import annotations

import hashlib
import re
import time
import tomllib
from collections.abc import Mapping
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from simulator.fleet import (
    FULL_FRAME_ZONE,
    Boundary,
    Camera,
    Device,
    Fleet,
    Network,
    OfflineWindow,
    Organization,
    Zone,
    product_type_of,
)
from simulator.timefmt import resolve_moment

_SERIAL = re.compile(r"^Q[0-9A-Z]{3}-[0-9A-Z]{4}-[0-9A-Z]{4}$")
_DEVICE_KEYS = {
    "serial",
    "name",
    "model",
    "networkId",
    "tags",
    "lanIp",
    "firmware",
    "mac",
    "address",
    "notes",
    "lat",
    "lng",
}
_CAMERA_KEYS = _DEVICE_KEYS | {
    "retention_days",
    "imagers",
    "sense",
    "externalRtspEnabled",
    "zones",
    "areas",
    "lines",
    "offline",
}


class FleetError(ValueError):
    """A fleet file that cannot describe a fleet; the message says where and why."""


def default_fleet(now: float | None = None) -> Fleet:
    """The packaged demo fleet; relative offline windows are resolved against `now`."""
    text = resources.files("simulator").joinpath("default_fleet.toml").read_text("utf-8")
    return parse_fleet(text, "default_fleet.toml", now)


def load_fleet(path: str | Path, now: float | None = None) -> Fleet:
    """A fleet from a TOML file (format in docs/simulator.md)."""
    file = Path(path)
    try:
        text = file.read_text("utf-8")
    except OSError as exc:
        raise FleetError(f"{file}: cannot read: {exc.strerror}") from exc
    return parse_fleet(text, str(file), now)


def parse_fleet(text: str, source: str, now: float | None = None) -> Fleet:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FleetError(f"{source}: not valid TOML: {exc}") from exc
    return _Reader(source, time.time() if now is None else now).fleet(data)


class _Reader:
    def __init__(self, source: str, now: float) -> None:
        self.source = source
        self.now = now

    def fail(self, where: str, problem: str) -> FleetError:
        return FleetError(f"{self.source}: {where}: {problem}")

    def table(
        self, value: object, where: str, allowed: set[str], required: set[str]
    ) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(where, "must be a table")
        unknown = sorted(set(value) - allowed)
        if unknown:
            raise self.fail(
                where, f"unknown key {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})"
            )
        missing = sorted(required - set(value))
        if missing:
            raise self.fail(where, f"missing required key {missing[0]!r}")
        return dict(value)

    def tables(self, value: object, where: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(where, "must be an array of tables")
        return value

    def text(self, table: Mapping[str, Any], key: str, where: str, default: str = "") -> str:
        value = table.get(key, default)
        if not isinstance(value, str):
            raise self.fail(where, f"{key!r} must be a string")
        return value

    def number(self, table: Mapping[str, Any], key: str, where: str, default: float) -> float:
        value = table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(where, f"{key!r} must be a number")
        return float(value)

    def flag(self, table: Mapping[str, Any], key: str, where: str) -> bool:
        value = table.get(key, False)
        if not isinstance(value, bool):
            raise self.fail(where, f"{key!r} must be true or false")
        return value

    def strings(self, table: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(where, f"{key!r} must be a list of strings")
        return tuple(value)

    def point(self, value: object, where: str) -> tuple[float, float]:
        if isinstance(value, list) and len(value) == 2:
            x, y = value
            if all(
                isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v <= 1
                for v in (x, y)
            ):
                return (float(x), float(y))
        raise self.fail(where, "a point is [x, y], fractions of the frame between 0 and 1")

    def fleet(self, data: dict[str, Any]) -> Fleet:
        self.table(
            data,
            "top level",
            {"organization", "networks", "cameras", "devices"},
            {"organization", "networks", "cameras"},
        )
        org = self.table(data["organization"], "[organization]", {"id", "name"}, {"id", "name"})
        organization = Organization(
            id=self.text(org, "id", "[organization]"), name=self.text(org, "name", "[organization]")
        )
        networks = [
            self.network(t, i) for i, t in enumerate(self.tables(data["networks"], "networks"))
        ]
        self.unique([n.id for n in networks], "networks", "id")
        known = {n.id for n in networks}
        cameras = [
            self.camera(t, i, known) for i, t in enumerate(self.tables(data["cameras"], "cameras"))
        ]
        others = [
            self.device(t, i, known)
            for i, t in enumerate(self.tables(data.get("devices", []), "devices"))
        ]
        self.unique([d.serial for d in (*cameras, *others)], "devices and cameras", "serial")
        boundary_ids = [b.id for c in cameras for b in (*c.areas, *c.lines)]
        self.unique(boundary_ids, "areas and lines of all cameras", "id")
        return Fleet(
            organization=organization,
            networks=tuple(networks),
            cameras=tuple(cameras),
            devices=tuple(others),
        )

    def unique(self, values: list[str], where: str, key: str) -> None:
        seen: set[str] = set()
        for value in values:
            if value in seen:
                raise self.fail(where, f"duplicate {key} {value!r}")
            seen.add(value)

    def network(self, value: object, index: int) -> Network:
        where = f"networks[{index}]"
        t = self.table(
            value, where, {"id", "name", "timeZone", "address", "tags"}, {"id", "name", "timeZone"}
        )
        zone = self.text(t, "timeZone", where)
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise self.fail(where, f"unknown timeZone {zone!r}") from exc
        return Network(
            id=self.text(t, "id", where),
            name=self.text(t, "name", where),
            time_zone=zone,
            address=self.text(t, "address", where),
            tags=self.strings(t, "tags", where),
        )

    def device_fields(self, t: dict[str, Any], where: str, networks: set[str]) -> dict[str, Any]:
        serial = self.text(t, "serial", where)
        if not _SERIAL.match(serial):
            raise self.fail(where, f"serial {serial!r} is not like Q2XX-XXXX-XXXX")
        network_id = self.text(t, "networkId", where)
        if network_id not in networks:
            raise self.fail(where, f"networkId {network_id!r} names no network")
        model = self.text(t, "model", where)
        if product_type_of(model) is None:
            raise self.fail(where, f"model {model!r} is not a Meraki model (MV, MS, MR, MX, ...)")
        digest = hashlib.sha256(serial.encode()).digest()
        default_mac = "e0:55:3d:" + ":".join(f"{b:02x}" for b in digest[:3])
        default_ip = f"10.{digest[3] % 200 + 10}.{digest[4]}.{digest[5] % 250 + 2}"
        return {
            "serial": serial,
            "name": self.text(t, "name", where),
            "model": model,
            "network_id": network_id,
            "tags": self.strings(t, "tags", where),
            "lan_ip": self.text(t, "lanIp", where, default_ip),
            "firmware": self.text(t, "firmware", where, _default_firmware(model)),
            "mac": self.text(t, "mac", where, default_mac),
            "address": self.text(t, "address", where),
            "notes": self.text(t, "notes", where),
            "lat": self.number(t, "lat", where, 37.4180951),
            "lng": self.number(t, "lng", where, -122.098531),
        }

    def device(self, value: object, index: int, networks: set[str]) -> Device:
        where = _named(f"devices[{index}]", value)
        t = self.table(value, where, _DEVICE_KEYS, {"serial", "name", "model", "networkId"})
        fields = self.device_fields(t, where, networks)
        if product_type_of(fields["model"]) == "camera":
            raise self.fail(where, "cameras belong in [[cameras]], not [[devices]]")
        return Device(**fields)

    def camera(self, value: object, index: int, networks: set[str]) -> Camera:
        where = _named(f"cameras[{index}]", value)
        t = self.table(value, where, _CAMERA_KEYS, {"serial", "name", "model", "networkId"})
        fields = self.device_fields(t, where, networks)
        if product_type_of(fields["model"]) != "camera":
            raise self.fail(where, "a camera's model starts with MV")
        retention = self.number(t, "retention_days", where, 30.0)
        imagers = self.number(t, "imagers", where, 1)
        if retention <= 0 or imagers < 1 or imagers != int(imagers):
            raise self.fail(
                where, "retention_days must be positive and imagers a whole number >= 1"
            )
        return Camera(
            **fields,
            retention_days=retention,
            imagers=int(imagers),
            sense=self.flag(t, "sense", where),
            external_rtsp=self.flag(t, "externalRtspEnabled", where),
            zones=self.zones(t, where),
            areas=self.boundaries(t, "areas", where),
            lines=self.boundaries(t, "lines", where),
            offline=tuple(
                self.window(w, f"{where} offline[{i}]")
                for i, w in enumerate(self.tables(t.get("offline", []), f"{where} offline"))
            ),
        )

    def zones(self, t: dict[str, Any], where: str) -> tuple[Zone, ...]:
        declared = self.tables(t.get("zones", []), f"{where} zones")
        if declared and not t.get("sense", False):
            raise self.fail(where, "zones need sense = true")
        zones: list[Zone] = []
        for i, value in enumerate(declared):
            here = f"{where} zones[{i}]"
            z = self.table(value, here, {"id", "label", "roi"}, {"id", "label"})
            zone_id = self.text(z, "id", here)
            if not zone_id.isdigit():
                raise self.fail(here, f"zone id {zone_id!r} must be digits, like the API's")
            roi = _auto_roi(i, len(declared)) if zone_id != FULL_FRAME_ZONE else (0, 0, 1, 1)
            if "roi" in z:
                roi = self.roi(z["roi"], f"{here} roi")
            zones.append(Zone(id=zone_id, label=self.text(z, "label", here), roi=roi))
        self.unique([z.id for z in zones], f"{where} zones", "id")
        if t.get("sense", False) and FULL_FRAME_ZONE not in {z.id for z in zones}:
            zones.insert(0, Zone(id=FULL_FRAME_ZONE, label="Full Frame"))
        zones.sort(key=lambda z: z.id != FULL_FRAME_ZONE)
        return tuple(zones)

    def roi(self, value: object, where: str) -> tuple[float, float, float, float]:
        if not isinstance(value, list) or len(value) != 4:
            raise self.fail(where, "roi is [x0, y0, x1, y1]")
        x0, y0 = self.point(value[:2], where)
        x1, y1 = self.point(value[2:], where)
        if x0 >= x1 or y0 >= y1:
            raise self.fail(where, "roi needs x0 < x1 and y0 < y1")
        return (x0, y0, x1, y1)

    def boundaries(self, t: dict[str, Any], key: str, where: str) -> tuple[Boundary, ...]:
        kind = "area" if key == "areas" else "line"
        found: list[Boundary] = []
        for i, value in enumerate(self.tables(t.get(key, []), f"{where} {key}")):
            here = f"{where} {key}[{i}]"
            allowed = {"id", "name", "vertices"} | ({"direction"} if kind == "line" else set())
            b = self.table(value, here, allowed, {"id", "name", "vertices"})
            points = self.tables(b["vertices"], f"{here} vertices")
            vertices = tuple(self.point(p, f"{here} vertices") for p in points)
            if (kind == "area" and len(vertices) < 3) or (kind == "line" and len(vertices) != 2):
                raise self.fail(here, "an area has at least 3 vertices, a line exactly 2")
            direction = (
                self.point(b["direction"], f"{here} direction") if "direction" in b else None
            )
            found.append(
                Boundary(
                    id=self.text(b, "id", here),
                    name=self.text(b, "name", here),
                    kind=kind,
                    vertices=vertices,
                    direction=direction,
                )
            )
        return tuple(found)

    def moment(self, raw: object) -> float:
        if isinstance(raw, datetime):  # TOML's own offset date-time
            if raw.tzinfo is None:
                raise ValueError("naive date-time")
            return raw.timestamp()
        if not isinstance(raw, str):
            raise ValueError("not a moment")
        return resolve_moment(raw, self.now)

    def window(self, value: object, where: str) -> OfflineWindow:
        w = self.table(value, where, {"start", "end"}, {"start"})
        moments: list[float | None] = []
        for key in ("start", "end"):
            raw = w.get(key)
            try:
                moments.append(None if raw is None else self.moment(raw))
            except ValueError as exc:
                shown = raw.isoformat() if isinstance(raw, datetime) else repr(raw)
                raise self.fail(
                    where, f"{key} {shown}: use ISO 8601 with an offset, 'now' or like '-3h'"
                ) from exc
        start, end = moments
        assert start is not None
        if end is not None and end <= start:
            raise self.fail(where, "end must come after start")
        return OfflineWindow(start=start, end=end)


def _named(where: str, value: object) -> str:
    """`where` with the item's name, when it has one, so messages point at it."""
    name = value.get("name") if isinstance(value, Mapping) else None
    return f"{where} ({name})" if isinstance(name, str) else where


def _auto_roi(index: int, count: int) -> tuple[float, float, float, float]:
    """Side-by-side regions for zones declared without one."""
    width = 0.9 / max(count, 1)
    x0 = 0.05 + index * width
    return (round(x0, 3), 0.35, round(x0 + width * 0.9, 3), 0.9)


def _default_firmware(model: str) -> str:
    product = product_type_of(model) or "unknown"
    versions: Mapping[str, str] = {
        "camera": "cameras-6-1",
        "switch": "switch-17-2",
        "wireless": "wireless-31-1",
        "appliance": "wired-19-1",
    }
    return versions.get(product, "firmware-1-0")
