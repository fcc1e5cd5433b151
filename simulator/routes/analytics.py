"""MV Sense analytics over REST: live, recent, overview, zones and per-minute zone history."""

from __future__ import annotations

import asyncio
import math
from datetime import tzinfo

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from simulator import sense
from simulator.context import Context, timestamp_param
from simulator.errors import bad_request, not_found
from simulator.fleet import Camera
from simulator.timefmt import format_timestamp

HOUR = 3600.0
OVERVIEW_MAX = 7 * 86400.0
HISTORY_MAX = 14 * HOUR
LOOKBACK_MAX = 365 * 86400.0


def object_type_param(request: Request) -> str:
    value = request.query_params.get("objectType", "person")
    if value not in sense.OBJECT_TYPES:
        raise bad_request("'objectType' must be person or vehicle")
    return value


def span_param(
    request: Request, now: float, longest: float, longest_text: str
) -> tuple[float, float]:
    """[t0, t1) from t0/t1 or timespan (default one hour back from now)."""
    query = request.query_params
    has_span = "timespan" in query
    if has_span and ("t0" in query or "t1" in query):
        raise bad_request("Specify either 'timespan' or 't0'/'t1', not both")
    if has_span:
        try:
            span = float(query["timespan"])
        except ValueError as exc:
            raise bad_request("'timespan' must be a number of seconds") from exc
        if not 0 < span <= longest:
            raise bad_request(f"'timespan' must be positive and at most {longest_text}")
        return now - span, now
    t1 = timestamp_param(query["t1"], "t1") if "t1" in query else now
    t0 = timestamp_param(query["t0"], "t0") if "t0" in query else min(t1, now) - HOUR
    if t1 <= t0:
        raise bad_request("'t1' must be after 't0'")
    if t1 - t0 > longest:
        raise bad_request(f"'t1' can be a maximum of {longest_text} after 't0'")
    if t0 < now - LOOKBACK_MAX:
        raise bad_request("'t0' can be at most 365 days in the past")
    return t0, t1


def complete_minutes(t0: float, t1: float, now: float) -> tuple[int, int]:
    """(first start, count) of whole minutes from t0's that start before t1 and end by now."""
    first = int(t0 // 60) * 60
    before_t1 = math.ceil((t1 - first) / 60)
    done_by_now = math.floor((now - first) / 60)
    return first, max(0, min(before_t1, done_by_now))


def overview_rows(
    camera: Camera, zone: tzinfo, t0: float, t1: float, now: float, kind: str
) -> list[dict[str, object]]:
    first, count = complete_minutes(t0, t1, now)
    rows: list[dict[str, object]] = []
    for z in camera.zones:
        minutes = sense.zone_minutes(camera, zone, z.id, first, count, kind)
        average = sum(m.average_count for m in minutes) / len(minutes) if minutes else 0.0
        rows.append(
            {
                "startTs": format_timestamp(t0),
                "endTs": format_timestamp(min(t1, now)),
                "zoneId": int(z.id),
                "entrances": sum(m.entrances for m in minutes),
                "averageCount": round(average, 4),
            }
        )
    return rows


def routes(ctx: Context) -> list[Route]:
    def sense_camera(request: Request) -> tuple[Camera, tzinfo]:
        camera = ctx.camera(request)
        if not camera.sense:
            raise bad_request("MV Sense is not enabled on this camera")
        return camera, ctx.fleet.network_of(camera).zone

    async def live(request: Request) -> Response:
        camera, zone = sense_camera(request)
        now = ctx.now()
        zones = sense.live_counts(camera, zone, now)
        return JSONResponse({"ts": format_timestamp(now), "zones": zones})

    async def recent(request: Request) -> Response:
        camera, zone = sense_camera(request)
        kind = object_type_param(request)
        start = int(ctx.now() // 60 * 60) - 60
        rows = []
        for z in camera.zones:
            m = sense.zone_minute(camera, zone, z.id, start, kind)
            rows.append(
                {
                    "startTs": format_timestamp(m.start),
                    "endTs": format_timestamp(m.start + 60),
                    "zoneId": int(z.id),
                    "entrances": m.entrances,
                    "averageCount": m.average_count,
                }
            )
        return JSONResponse(rows)

    async def overview(request: Request) -> Response:
        camera, zone = sense_camera(request)
        kind = object_type_param(request)
        now = ctx.now()
        t0, t1 = span_param(request, now, OVERVIEW_MAX, "7 days")
        rows = await asyncio.to_thread(overview_rows, camera, zone, t0, t1, now, kind)
        return JSONResponse(rows)

    async def zones(request: Request) -> Response:
        camera, _ = sense_camera(request)
        return JSONResponse(
            [
                {
                    "id": z.id,
                    "type": "occupancy",
                    "label": z.label,
                    "regionOfInterest": {
                        k: f"{v:g}" for k, v in zip(("x0", "y0", "x1", "y1"), z.roi, strict=True)
                    },
                }
                for z in camera.zones
            ]
        )

    async def history(request: Request) -> Response:
        camera, zone = sense_camera(request)
        zone_id = str(request.path_params["zoneId"])
        if camera.zone(zone_id) is None:
            raise not_found()
        kind = object_type_param(request)
        if request.query_params.get("resolution", "60") != "60":
            raise bad_request("'resolution' must be 60")
        now = ctx.now()
        t0, t1 = span_param(request, now, HISTORY_MAX, "14 hours")
        first, count = complete_minutes(t0, t1, now)
        minutes = sense.zone_minutes(camera, zone, zone_id, first, count, kind)
        return JSONResponse(
            [
                {
                    "startTs": format_timestamp(m.start),
                    "endTs": format_timestamp(m.start + 60),
                    "entrances": m.entrances,
                    "averageCount": m.average_count,
                }
                for m in minutes
            ]
        )

    prefix = "/devices/{serial}/camera/analytics"
    return [
        Route(f"{prefix}/live", live),
        Route(f"{prefix}/recent", recent),
        Route(f"{prefix}/overview", overview),
        Route(f"{prefix}/zones", zones),
        Route(f"{prefix}/zones/{{zoneId}}/history", history),
    ]
