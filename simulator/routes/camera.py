"""Camera media endpoints: clip, generateSnapshot, videoLink, video settings and Sense settings."""

from __future__ import annotations

import json
import math

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from simulator.context import Context, timestamp_param
from simulator.errors import ApiError, bad_request
from simulator.fleet import Camera
from simulator.state import MediaGrant
from simulator.timefmt import format_timestamp

MIN_CLIP_MS = 1_000
MAX_CLIP_MS = 300_000
DASHBOARD = "https://dashboard.simulator.invalid"
VISION = "https://vision.simulator.invalid"


def check_footage(ctx: Context, camera: Camera, start: float, end: float) -> None:
    """422 unless footage of [start, end) exists and has reached the cloud."""
    now = ctx.now()
    if start < now - camera.retention_days * 86400:
        days = f"{camera.retention_days:g}"
        raise ApiError(
            422, f"The requested time is outside the retention period of this camera ({days} days)"
        )
    if end > now:
        raise ApiError(422, "Footage is not yet available: the requested time is in the future")
    if ctx.offline_during(camera, start, end):
        raise ApiError(422, "No footage: the camera was offline during the requested time")
    ready = end + ctx.cfg.availability_lag
    if ready > now:
        wait = math.ceil(ready - now)
        raise ApiError(422, f"Footage is not yet available; try again in {wait} seconds")


def imager_param(camera: Camera, value: str | None) -> int:
    """The imager to render: required (1..n) on multi-imager cameras, omitted or 0 otherwise."""
    if camera.imagers == 1:
        if value in (None, "", "0"):
            return 1
        raise bad_request("'imagerId' must be omitted or 0 for single-imager cameras")
    try:
        imager = int(value or "")
    except ValueError:
        imager = 0
    if not 1 <= imager <= camera.imagers:
        raise bad_request(
            "'imagerId' is required for multi-imager cameras "
            f"and must be between 1 and {camera.imagers}"
        )
    return imager


def routes(ctx: Context) -> list[Route]:
    cfg = ctx.cfg

    def media_answer(request: Request, grant: MediaGrant, kind: str, suffix: str) -> Response:
        token = ctx.state.grant(grant, ctx.now())
        url = f"{request.base_url}media/{kind}/{token}.{suffix}"
        return JSONResponse({"url": url, "expiry": format_timestamp(grant.expires_at)})

    async def clip(request: Request) -> Response:
        camera = ctx.camera(request)
        query = request.query_params
        start = timestamp_param(query.get("startTimestamp"), "startTimestamp")
        end = timestamp_param(query.get("endTimestamp"), "endTimestamp")
        start_ms, end_ms = round(start * 1000), round(end * 1000)
        if end_ms <= start_ms:
            raise bad_request("'endTimestamp' must be after 'startTimestamp'")
        if end_ms - start_ms < MIN_CLIP_MS:
            raise bad_request("A clip must be at least 1 second long")
        if end_ms - start_ms > MAX_CLIP_MS:
            raise bad_request("A clip can be at most 5 minutes long")
        imager = imager_param(camera, query.get("imagerId"))
        check_footage(ctx, camera, start, end)
        now = ctx.now()
        grant = MediaGrant(
            kind="clip",
            serial=camera.serial,
            imager=imager,
            start_ms=start_ms,
            end_ms=end_ms,
            fullframe=False,
            expires_at=now + cfg.url_ttl,
            ready_at=now,
        )
        return media_answer(request, grant, "clips", "ts")

    async def snapshot(request: Request) -> Response:
        camera = ctx.camera(request)
        raw = await request.body()
        try:
            body = json.loads(raw) if raw.strip() else {}
        except ValueError as exc:
            raise bad_request("The request body must be JSON") from exc
        if not isinstance(body, dict):
            raise bad_request("The request body must be a JSON object")
        fullframe = body.get("fullframe", False)
        if not isinstance(fullframe, bool):
            raise bad_request("'fullframe' must be true or false")
        stamp = body.get("timestamp")
        now = ctx.now()
        if stamp is not None:
            if fullframe:
                raise bad_request("'fullframe' cannot be used together with 'timestamp'")
            moment = timestamp_param(stamp, "timestamp")
            check_footage(ctx, camera, moment, moment + 0.001)
        else:
            moment = now
            if ctx.status(camera) == "offline":
                raise ApiError(422, "No snapshot: the camera was offline at the requested time")
        grant = MediaGrant(
            kind="snapshot",
            serial=camera.serial,
            imager=1,
            start_ms=round(moment * 1000),
            end_ms=round(moment * 1000),
            fullframe=fullframe,
            expires_at=now + cfg.url_ttl,
            ready_at=now + cfg.snapshot_ready_delay,
        )
        return media_answer(request, grant, "snapshots", "jpg")

    async def video_link(request: Request) -> Response:
        camera = ctx.camera(request)
        stamp = request.query_params.get("timestamp")
        suffix = ""
        if stamp is not None:
            # The real API takes epoch milliseconds; ISO 8601 is still accepted here.
            millis = (
                int(stamp) if stamp.isdigit() else round(timestamp_param(stamp, "timestamp") * 1000)
            )
            suffix = f"?timestamp={millis}"
        # https like the real dashboard's, on a host that never resolves (.invalid).
        base = f"{DASHBOARD}/n/{camera.network_id}/manage/nodes/{camera.serial}/video"
        vision = f"{VISION}/cameras/{camera.serial}"
        return JSONResponse({"url": base + suffix, "visionUrl": vision + suffix})

    async def video_settings(request: Request) -> Response:
        camera = ctx.camera(request)
        answer: dict[str, object] = {"externalRtspEnabled": camera.external_rtsp}
        if camera.external_rtsp:
            answer["rtspUrl"] = f"rtsp://{camera.lan_ip}:9000/live"
        return JSONResponse(answer)

    async def sense_settings(request: Request) -> Response:
        camera = ctx.camera(request)
        topics: list[str] = []
        if camera.sense:
            topics = [f"/merakimv/{camera.serial}/{z.id}" for z in camera.zones]
            topics += [f"/merakimv/{camera.serial}/{t}" for t in ("raw_detections", "light")]
        return JSONResponse(
            {
                "senseEnabled": camera.sense,
                "mqttBrokerId": "686798943174000779" if camera.sense else None,
                "mqttTopics": topics,
                "audioDetection": {"enabled": False},
            }
        )

    return [
        Route("/devices/{serial}/camera/clip", clip),
        Route("/devices/{serial}/camera/generateSnapshot", snapshot, methods=["POST"]),
        Route("/devices/{serial}/camera/videoLink", video_link),
        Route("/devices/{serial}/camera/video/settings", video_settings),
        Route("/devices/{serial}/camera/sense", sense_settings),
    ]
