"""mvbot's Dashboard API client: typed calls and media downloads for one organisation."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx

from bot.meraki.budget import Budget, Priority, RateBudget
from bot.meraki.download import MediaDownloader
from bot.meraki.errors import MediaExpired, OrganizationUnresolved
from bot.meraki.http import ApiTransport, Observer, Params, RetryPolicy
from bot.meraki.models import (
    Availability,
    Device,
    MediaLink,
    Network,
    Organization,
    SenseSettings,
    VideoLink,
    VideoSettings,
    parse_answer,
)
from bot.meraki.sense import (
    AnalyticsZone,
    Boundary,
    DetectionCount,
    LiveOccupancy,
    TimeRange,
    ZoneCount,
)
from bot.meraki.times import format_timestamp

log = logging.getLogger("bot.meraki")

INTERACTIVE = Priority.INTERACTIVE
MiB = 1024 * 1024


def _device_path(serial: str, rest: str = "") -> str:
    return f"devices/{quote(serial, safe='')}{rest}"


class MerakiClient:
    """Async Dashboard API client. Use as ``async with MerakiClient(key, url) as meraki:``.

    Every API call takes a slot of the organisation's budget with its priority; pass the same
    ``budget`` to several clients of one organisation to share it (a ``SharedBudget`` shares
    it with other replicas too).
    """

    def __init__(
        self,
        api_key: str,
        base_url: str,
        *,
        org_id: str | None = None,
        rate: float = 5.0,
        timeout: float = 30.0,
        max_attempts: int = 5,
        rate_limit_wait: float = 120.0,
        http: httpx.AsyncClient | None = None,
        budget: Budget | None = None,
        backoff_base: float = 0.5,
        rng: random.Random | None = None,
        observe: Observer | None = None,
    ) -> None:
        if not api_key:
            raise ValueError("an API key is required")
        self.base_url = base_url
        self._org_id = org_id
        self._own_http = http is None
        self._http = http if http is not None else httpx.AsyncClient(timeout=timeout)
        self.budget: Budget = budget if budget is not None else RateBudget(rate)
        policy = RetryPolicy(
            max_attempts=max_attempts, rate_limit_wait=rate_limit_wait, backoff_base=backoff_base
        )
        self._api = ApiTransport(
            self._http,
            base_url,
            api_key,
            self.budget,
            timeout=timeout,
            policy=policy,
            rng=rng,
            observe=observe,
        )
        self._media = MediaDownloader(self._http, policy=policy, rng=rng)
        # Clips people or alerts wait for, downloading now: background work yields to them
        # (the budget orders request starts; this keeps long downloads out of their way).
        self._urgent_downloads = 0
        self._no_urgent_download = asyncio.Event()
        self._no_urgent_download.set()

    def __repr__(self) -> str:
        return f"MerakiClient(base_url={self.base_url!r}, org_id={self._org_id!r})"

    async def __aenter__(self) -> MerakiClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._own_http:
            await self._http.aclose()

    # Organisation and inventory

    async def organizations(self, *, priority: Priority = INTERACTIVE) -> list[Organization]:
        op = "organizations"
        raw = await self._api.get_all("organizations", priority=priority, operation=op)
        return [parse_answer(op, Organization.from_api, item) for item in raw]

    async def organization_id(self, *, priority: Priority = INTERACTIVE) -> str:
        """The configured org id, else the only organisation the key can see."""
        if self._org_id is None:
            orgs = await self.organizations(priority=priority)
            if len(orgs) != 1:
                names = ", ".join(f"{org.name} ({org.id})" for org in orgs[:5]) or "none"
                raise OrganizationUnresolved(
                    f"the API key sees {len(orgs)} organisations ({names}); "
                    "configure the organisation id",
                    operation="organizations",
                )
            self._org_id = orgs[0].id
        return self._org_id

    async def networks(self, *, priority: Priority = INTERACTIVE) -> list[Network]:
        raw = await self._org_list("networks", (), priority, "networks")
        return [parse_answer("networks", Network.from_api, item) for item in raw]

    async def cameras(self, *, priority: Priority = INTERACTIVE) -> list[Device]:
        params = (("productTypes[]", "camera"), ("perPage", "1000"))
        raw = await self._org_list("devices", params, priority, "cameras")
        return [parse_answer("cameras", Device.from_api, item) for item in raw]

    async def availabilities(self, *, priority: Priority = INTERACTIVE) -> list[Availability]:
        params = (("productTypes[]", "camera"), ("perPage", "1000"))
        raw = await self._org_list("devices/availabilities", params, priority, "availabilities")
        return [parse_answer("availabilities", Availability.from_api, item) for item in raw]

    async def device(self, serial: str, *, priority: Priority = INTERACTIVE) -> Device:
        raw = await self._api.get(_device_path(serial), priority=priority, operation="device")
        return parse_answer("device", Device.from_api, raw)

    # Camera media links and settings

    async def clip_link(
        self,
        serial: str,
        start: datetime,
        end: datetime,
        *,
        imager: int | None = None,
        priority: Priority = INTERACTIVE,
    ) -> MediaLink:
        """A temporary MPEG-TS URL for ``start``..``end`` (1 s to 5 min, aware datetimes)."""
        params: list[tuple[str, str]] = [
            ("startTimestamp", format_timestamp(start)),
            ("endTimestamp", format_timestamp(end)),
        ]
        if imager is not None:
            params.append(("imagerId", str(imager)))
        raw = await self._api.get(
            _device_path(serial, "/camera/clip"), params, priority=priority, operation="clip"
        )
        return parse_answer("clip", MediaLink.from_api, raw)

    async def snapshot_link(
        self,
        serial: str,
        *,
        at: datetime | None = None,
        fullframe: bool = False,
        priority: Priority = INTERACTIVE,
    ) -> MediaLink:
        """A temporary JPEG URL of the camera now, or at ``at`` (not both with fullframe)."""
        if at is not None and fullframe:
            raise ValueError("a full-frame snapshot cannot be taken at a past time")
        body: dict[str, Any] = {}
        if at is not None:
            body["timestamp"] = format_timestamp(at)
        if fullframe:
            body["fullframe"] = True
        raw = await self._api.post(
            _device_path(serial, "/camera/generateSnapshot"),
            body,
            priority=priority,
            operation="snapshot",
        )
        return parse_answer("snapshot", MediaLink.from_api, raw)

    async def video_link(
        self, serial: str, at: datetime | None = None, *, priority: Priority = INTERACTIVE
    ) -> VideoLink:
        # This endpoint alone takes UNIX epoch milliseconds (FACTS.md), not ISO 8601.
        params = (("timestamp", str(round(at.timestamp() * 1000))),) if at is not None else ()
        raw = await self._api.get(
            _device_path(serial, "/camera/videoLink"),
            params,
            priority=priority,
            operation="video link",
        )
        return parse_answer("video link", VideoLink.from_api, raw)

    async def video_settings(
        self, serial: str, *, priority: Priority = INTERACTIVE
    ) -> VideoSettings:
        path = _device_path(serial, "/camera/video/settings")
        raw = await self._api.get(path, priority=priority, operation="video settings")
        return parse_answer("video settings", VideoSettings.from_api, raw)

    async def sense_settings(
        self, serial: str, *, priority: Priority = INTERACTIVE
    ) -> SenseSettings:
        path = _device_path(serial, "/camera/sense")
        raw = await self._api.get(path, priority=priority, operation="sense settings")
        return parse_answer("sense settings", SenseSettings.from_api, raw)

    # MV Sense analytics (v0-era zone endpoints and the current boundary endpoints)

    async def analytics_live(
        self, serial: str, *, priority: Priority = INTERACTIVE
    ) -> LiveOccupancy:
        path = _device_path(serial, "/camera/analytics/live")
        raw = await self._api.get(path, priority=priority, operation="live analytics")
        return parse_answer("live analytics", LiveOccupancy.from_api, raw)

    async def analytics_recent(
        self, serial: str, object_type: str = "person", *, priority: Priority = INTERACTIVE
    ) -> list[ZoneCount]:
        path = _device_path(serial, "/camera/analytics/recent")
        params = (("objectType", object_type),)
        raw = await self._api.get(path, params, priority=priority, operation="recent analytics")
        return [parse_answer("recent analytics", ZoneCount.from_api, item) for item in raw or ()]

    async def analytics_overview(
        self,
        serial: str,
        t0: datetime,
        t1: datetime,
        object_type: str = "person",
        *,
        priority: Priority = INTERACTIVE,
    ) -> list[ZoneCount]:
        path = _device_path(serial, "/camera/analytics/overview")
        params = (*_span(t0, t1), ("objectType", object_type))
        raw = await self._api.get(path, params, priority=priority, operation="analytics overview")
        return [parse_answer("analytics overview", ZoneCount.from_api, item) for item in raw or ()]

    async def analytics_zones(
        self, serial: str, *, priority: Priority = INTERACTIVE
    ) -> list[AnalyticsZone]:
        path = _device_path(serial, "/camera/analytics/zones")
        raw = await self._api.get(path, priority=priority, operation="analytics zones")
        return [parse_answer("analytics zones", AnalyticsZone.from_api, item) for item in raw or ()]

    async def analytics_zone_history(
        self,
        serial: str,
        zone_id: str,
        t0: datetime,
        t1: datetime,
        object_type: str = "person",
        *,
        priority: Priority = INTERACTIVE,
    ) -> list[ZoneCount]:
        """Per-minute history of one zone; the window may be at most 14 h."""
        path = _device_path(serial, f"/camera/analytics/zones/{quote(zone_id, safe='')}/history")
        params = (*_span(t0, t1), ("objectType", object_type))
        op = "zone history"
        raw = await self._api.get_all(path, params, priority=priority, operation=op)
        return [parse_answer(op, ZoneCount.from_api, item) for item in raw]

    async def boundary_areas(
        self, serials: Sequence[str], *, priority: Priority = INTERACTIVE
    ) -> list[Boundary]:
        return await self._boundaries("areas", serials, priority)

    async def boundary_lines(
        self, serials: Sequence[str], *, priority: Priority = INTERACTIVE
    ) -> list[Boundary]:
        return await self._boundaries("lines", serials, priority)

    async def detections_history(
        self,
        boundary_ids: Sequence[str],
        ranges: Sequence[TimeRange],
        *,
        boundary_types: Sequence[str] = ("person",),
        duration: int | None = None,
        priority: Priority = INTERACTIVE,
    ) -> list[DetectionCount]:
        """In/out counts per boundary over each range, split into its interval."""
        params: list[tuple[str, str]] = [("boundaryIds[]", bid) for bid in boundary_ids]
        for span in ranges:
            params += [
                ("ranges[]startTime", format_timestamp(span.start)),
                ("ranges[]endTime", format_timestamp(span.end)),
                ("ranges[]interval", str(span.interval)),
            ]
        params += [("boundaryTypes[]", kind) for kind in boundary_types]
        if duration is not None:
            params.append(("duration", str(duration)))
        op = "detections history"
        path = "camera/detections/history/byBoundary/byInterval"
        raw = await self._org_list(path, params, priority, op)
        return [
            count
            for entry in raw
            for count in parse_answer(op, DetectionCount.list_from_api, entry)
        ]

    # Media downloads (not API calls: no budget slot, no API key sent)

    async def download_clip(
        self,
        serial: str,
        start: datetime,
        end: datetime,
        dest: Path,
        *,
        imager: int | None = None,
        priority: Priority = INTERACTIVE,
        max_bytes: int = 512 * MiB,
        timeout: float = 300.0,  # noqa: ASYNC109 - becomes a typed Unavailable, not a cancel
    ) -> Path:
        """Stream the clip ``start``..``end`` to ``dest``; an expired link is renewed once."""

        async def fetch() -> Path:
            link = await self.clip_link(serial, start, end, imager=imager, priority=priority)
            return await self._media.fetch(
                link.url, dest, max_bytes=max_bytes, timeout=timeout, operation="clip"
            )

        if priority > Priority.ALERT:
            return await _renewing(fetch, f"clip of {serial}")
        self._urgent_downloads += 1
        self._no_urgent_download.clear()
        try:
            return await _renewing(fetch, f"clip of {serial}")
        finally:
            self._urgent_downloads -= 1
            if not self._urgent_downloads:
                self._no_urgent_download.set()

    async def people_first(self) -> None:
        """Return once no clip that a person or an alert waits for is downloading: long
        background work (an export's parts) calls this before each part."""
        await self._no_urgent_download.wait()

    async def download_snapshot(
        self,
        serial: str,
        dest: Path,
        *,
        at: datetime | None = None,
        fullframe: bool = False,
        priority: Priority = INTERACTIVE,
        max_bytes: int = 32 * MiB,
        timeout: float = 60.0,  # noqa: ASYNC109 - becomes a typed Unavailable, not a cancel
        ready_wait: float = 15.0,
    ) -> Path:
        """Generate a snapshot and save it; the image may 404 for a few seconds at first."""

        async def fetch() -> Path:
            link = await self.snapshot_link(serial, at=at, fullframe=fullframe, priority=priority)
            return await self._media.fetch(
                link.url,
                dest,
                max_bytes=max_bytes,
                timeout=timeout,
                operation="snapshot",
                ready_wait=ready_wait,
            )

        return await _renewing(fetch, f"snapshot of {serial}")

    # Helpers

    async def _org_list(
        self, rest: str, params: Params, priority: Priority, operation: str
    ) -> list[Any]:
        org = quote(await self.organization_id(priority=priority), safe="")
        path = f"organizations/{org}/{rest}"
        return await self._api.get_all(path, params, priority=priority, operation=operation)

    async def _boundaries(
        self, kind: str, serials: Sequence[str], priority: Priority
    ) -> list[Boundary]:
        op = f"boundary {kind}"
        org = quote(await self.organization_id(priority=priority), safe="")
        path = f"organizations/{org}/camera/boundaries/{kind}/byDevice"
        params = tuple(("serials[]", serial) for serial in serials)
        raw = await self._api.get(path, params, priority=priority, operation=op)
        return [b for device in raw or () for b in parse_answer(op, Boundary.list_from_api, device)]


async def _renewing(fetch: Callable[[], Awaitable[Path]], what: str) -> Path:
    """Media links expire within minutes: one fresh link if the first was refused."""
    try:
        return await fetch()
    except MediaExpired:
        log.info("meraki link for the %s expired; asking for a fresh one", what)
    return await fetch()


def _span(t0: datetime, t1: datetime) -> tuple[tuple[str, str], ...]:
    return (("t0", format_timestamp(t0)), ("t1", format_timestamp(t1)))
