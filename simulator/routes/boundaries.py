"""Camera boundaries (areas, crossing lines) and their detection counts per interval."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from datetime import tzinfo

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from simulator import sense
from simulator.context import Context, int_param, list_param, timestamp_param
from simulator.errors import bad_request
from simulator.fleet import Boundary, Camera
from simulator.routes.pagination import paginate
from simulator.timefmt import format_timestamp

# The SDK sends ranges as `ranges[]startTime=..&ranges[]endTime=..&ranges[]interval=..`
# per range; `ranges[][startTime]` and `ranges[0][startTime]` are accepted too.
_RANGE_KEY = re.compile(r"^ranges\[(\d*)\]\[?(startTime|endTime|interval)\]?$")
RANGE_MAX = 7 * 86400.0

Range = tuple[float, float, int]


def _point(x: float, y: float) -> dict[str, float]:
    return {"x": x, "y": y}


def boundary_json(camera: Camera, boundary: Boundary) -> dict[str, object]:
    shape: dict[str, object] = {
        "id": boundary.id,
        "name": boundary.name,
        "type": boundary.kind,
        "vertices": [_point(x, y) for x, y in boundary.vertices],
    }
    if boundary.direction is not None:
        shape["directionVertex"] = _point(*boundary.direction)
    return {"serial": camera.serial, "networkId": camera.network_id, "boundaries": shape}


def parse_ranges(request: Request) -> list[Range]:
    grouped: dict[str, dict[str, str]] = {}
    sequence = 0
    for key, value in request.query_params.multi_items():
        match = _RANGE_KEY.match(key)
        if not match:
            continue
        index, field = match.groups()
        if not index:  # positional: a repeated field starts the next range
            if field in grouped.get(f"#{sequence}", {}):
                sequence += 1
            index = f"#{sequence}"
        grouped.setdefault(index, {})[field] = value
    ranges: list[Range] = []
    for fields in grouped.values():
        if set(fields) != {"startTime", "endTime", "interval"}:
            raise bad_request("Each of 'ranges' needs startTime, endTime and interval")
        start = timestamp_param(fields["startTime"], "ranges.startTime")
        end = timestamp_param(fields["endTime"], "ranges.endTime")
        interval = int_param(fields["interval"], "ranges.interval", 60, int(RANGE_MAX), 3600)
        if end <= start or end - start > RANGE_MAX:
            raise bad_request("Each range must end after it starts and span at most 7 days")
        ranges.append((start, end, interval))
    if not ranges:
        raise bad_request("'ranges' is required")
    return ranges


def detection_rows(
    targets: list[tuple[Camera, Boundary, tzinfo]],
    kinds: list[str],
    ranges: list[Range],
    now: float,
) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for camera, boundary, zone in targets:
        for kind in kinds:
            for start, end, interval in ranges:
                bucket = start
                while bucket < min(end, now):
                    stop = min(bucket + interval, end)
                    total_in = total_out = 0
                    minute = int(bucket // 60) * 60
                    while minute < min(stop, now - 60):
                        crossings_in, crossings_out = sense.boundary_minute(
                            camera, zone, boundary.id, minute, kind
                        )
                        total_in, total_out = total_in + crossings_in, total_out + crossings_out
                        minute += 60
                    rows.append(
                        {
                            "boundaryId": boundary.id,
                            "type": boundary.kind,
                            "results": {
                                "startTime": format_timestamp(bucket),
                                "endTime": format_timestamp(stop),
                                "objectType": kind,
                                "in": total_in,
                                "out": total_out,
                            },
                        }
                    )
                    bucket = stop
    return rows


def routes(ctx: Context) -> list[Route]:
    def by_device(kind: str) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            ctx.organization(request)
            wanted = set(list_param(request, "serials"))
            rows = [
                boundary_json(camera, b)
                for camera in sorted(ctx.fleet.cameras, key=lambda c: c.serial)
                if not wanted or camera.serial in wanted
                for b in (camera.areas if kind == "area" else camera.lines)
            ]
            return JSONResponse(rows)

        return endpoint

    async def detections(request: Request) -> Response:
        ctx.organization(request)
        ids = list_param(request, "boundaryIds")
        if not ids:
            raise bad_request("'boundaryIds' is required")
        ranges = parse_ranges(request)
        kinds = list_param(request, "boundaryTypes") or ["person"]
        if set(kinds) - set(sense.OBJECT_TYPES):
            raise bad_request("'boundaryTypes' must be person or vehicle")
        int_param(request.query_params.get("duration"), "duration", 0, 86400, 60)
        known = {b.id: (c, b) for c, b in ctx.fleet.boundaries()}
        targets: list[tuple[Camera, Boundary, tzinfo]] = [
            (known[i][0], known[i][1], ctx.fleet.network_of(known[i][0]).zone)
            for i in ids
            if i in known
        ]
        rows = await asyncio.to_thread(detection_rows, targets, kinds, ranges, ctx.now())
        numbered = list(enumerate(rows))
        page, headers = paginate(request, numbered, lambda r: f"{r[0]:09d}", (1, 1000, 1000))
        return JSONResponse([row for _, row in page], headers=headers)

    org = "/organizations/{organizationId}/camera"
    return [
        Route(f"{org}/boundaries/areas/byDevice", by_device("area")),
        Route(f"{org}/boundaries/lines/byDevice", by_device("line")),
        Route(f"{org}/detections/history/byBoundary/byInterval", detections),
    ]
