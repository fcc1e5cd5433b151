"""Typed, frozen views of Dashboard API answers; each keeps its raw dict for extra fields."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

from bot.meraki.errors import MerakiError
from bot.meraki.times import parse_timestamp

Raw = Mapping[str, Any]
T = TypeVar("T")


def parse_answer(operation: str, build: Callable[[Any], T], raw: Any) -> T:
    """Turn a surprising answer into a MerakiError rather than a KeyError deep in the core."""
    try:
        return build(raw)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise MerakiError(
            f"{operation}: unexpected answer from the API ({type(exc).__name__}: {exc})",
            operation=operation,
        ) from None


def redact_url(url: str) -> str:
    """A media URL fit for logs: host and first path segment, never the token part."""
    parts = urlsplit(url)
    first = parts.path.strip("/").split("/", 1)[0]
    return (
        f"{parts.scheme}://{parts.netloc}/{first}/…"
        if first
        else f"{parts.scheme}://{parts.netloc}/…"
    )


def _str(value: Any) -> str:
    return "" if value is None else str(value)


@dataclass(frozen=True)
class Organization:
    id: str
    name: str
    raw: Raw = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, raw: Raw) -> Organization:
        return cls(id=str(raw["id"]), name=_str(raw.get("name")), raw=raw)


@dataclass(frozen=True)
class Network:
    id: str
    name: str
    time_zone: str | None  # IANA name; a camera's time zone is its network's
    raw: Raw = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, raw: Raw) -> Network:
        return cls(
            id=str(raw["id"]), name=_str(raw.get("name")), time_zone=raw.get("timeZone"), raw=raw
        )


@dataclass(frozen=True)
class Device:
    serial: str
    name: str
    model: str
    network_id: str | None
    mac: str | None = None
    lan_ip: str | None = None
    firmware: str | None = None
    product_type: str | None = None
    tags: tuple[str, ...] = ()
    raw: Raw = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, raw: Raw) -> Device:
        tags = raw.get("tags") or ()
        return cls(
            serial=str(raw["serial"]),
            name=_str(raw.get("name")),
            model=_str(raw.get("model")),
            network_id=raw.get("networkId"),
            mac=raw.get("mac"),
            lan_ip=raw.get("lanIp"),
            firmware=raw.get("firmware"),
            product_type=raw.get("productType"),
            tags=tuple(str(tag) for tag in (tags.split() if isinstance(tags, str) else tags)),
            raw=raw,
        )


@dataclass(frozen=True)
class Availability:
    serial: str
    name: str
    status: str  # online, offline, dormant, alerting
    network_id: str | None
    raw: Raw = field(default_factory=dict, repr=False, compare=False)

    @property
    def online(self) -> bool:
        return self.status == "online"

    @classmethod
    def from_api(cls, raw: Raw) -> Availability:
        network = raw.get("network")
        network_id = network.get("id") if isinstance(network, Mapping) else raw.get("networkId")
        return cls(
            serial=str(raw["serial"]),
            name=_str(raw.get("name")),
            status=_str(raw.get("status")),
            network_id=network_id,
            raw=raw,
        )


@dataclass(frozen=True)
class MediaLink:
    """A temporary media URL (clip or snapshot). Its token never shows in a repr."""

    url: str = field(repr=False)
    expiry: datetime | None = None

    def __repr__(self) -> str:
        return f"MediaLink(url={redact_url(self.url)!r}, expiry={self.expiry!r})"

    @classmethod
    def from_api(cls, raw: Raw) -> MediaLink:
        return cls(url=str(raw["url"]), expiry=parse_timestamp(raw.get("expiry")))


@dataclass(frozen=True)
class VideoLink:
    """Dashboard links to a camera's video; they need a dashboard login to open."""

    url: str
    vision_url: str | None = None

    @classmethod
    def from_api(cls, raw: Raw) -> VideoLink:
        return cls(url=str(raw["url"]), vision_url=raw.get("visionUrl"))


@dataclass(frozen=True)
class VideoSettings:
    external_rtsp_enabled: bool
    rtsp_url: str | None = None
    raw: Raw = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, raw: Raw) -> VideoSettings:
        return cls(
            external_rtsp_enabled=bool(raw.get("externalRtspEnabled")),
            rtsp_url=raw.get("rtspUrl"),
            raw=raw,
        )


@dataclass(frozen=True)
class SenseSettings:
    sense_enabled: bool
    mqtt_broker_id: str | None
    mqtt_topics: tuple[str, ...] = ()
    audio_detection_enabled: bool = False
    raw: Raw = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, raw: Raw) -> SenseSettings:
        audio = raw.get("audioDetection")
        return cls(
            sense_enabled=bool(raw.get("senseEnabled")),
            mqtt_broker_id=raw.get("mqttBrokerId"),
            mqtt_topics=tuple(str(topic) for topic in raw.get("mqttTopics") or ()),
            audio_detection_enabled=bool(audio.get("enabled"))
            if isinstance(audio, Mapping)
            else False,
            raw=raw,
        )
