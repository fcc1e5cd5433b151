"""Devices: the organisation's inventory, availabilities, and GET /devices/{serial}."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from simulator.context import Context, list_param
from simulator.errors import bad_request, not_found
from simulator.fleet import Camera, Device
from simulator.routes.pagination import paginate

_CONFIG_UPDATED = "2024-05-01T12:00:00.000Z"
_PRODUCT_TYPES = {
    "wireless",
    "appliance",
    "switch",
    "systemsManager",
    "camera",
    "cellularGateway",
    "sensor",
    "wirelessController",
    "campusGateway",
    "secureConnect",
}


def device_json(request: Request, device: Device) -> dict[str, object]:
    return {
        "name": device.name,
        "serial": device.serial,
        "mac": device.mac,
        "model": device.model,
        "productType": device.product_type,
        "networkId": device.network_id,
        "lanIp": device.lan_ip,
        "firmware": device.firmware,
        "tags": list(device.tags),
        "address": device.address,
        "notes": device.notes,
        "lat": device.lat,
        "lng": device.lng,
        "details": [],
        "configurationUpdatedAt": _CONFIG_UPDATED,
        "url": f"{request.base_url}dashboard/n/{device.network_id}/manage/nodes/{device.serial}",
    }


def _tagged(request: Request, devices: Sequence[Device]) -> list[Device]:
    tags = set(list_param(request, "tags"))
    if not tags:
        return list(devices)
    kind = request.query_params.get("tagsFilterType", "withAnyTags")
    if kind not in ("withAnyTags", "withAllTags"):
        raise bad_request("'tagsFilterType' must be withAnyTags or withAllTags")
    if kind == "withAllTags":
        return [d for d in devices if tags <= set(d.tags)]
    return [d for d in devices if tags & set(d.tags)]


def _common_filters(request: Request, devices: Sequence[Device]) -> list[Device]:
    found = list(devices)
    product_types = set(list_param(request, "productTypes"))
    unknown = product_types - _PRODUCT_TYPES
    if unknown:
        raise bad_request(f"Invalid productTypes: {', '.join(sorted(unknown))}")
    exact: dict[str, Callable[[Device], str]] = {
        "productTypes": lambda d: d.product_type,
        "networkIds": lambda d: d.network_id,
        "serials": lambda d: d.serial,
        "models": lambda d: d.model,
        "macs": lambda d: d.mac,
    }
    for name, field in exact.items():
        wanted = set(list_param(request, name))
        if wanted:
            found = [d for d in found if field(d) in wanted]
    return _tagged(request, found)


def routes(ctx: Context) -> list[Route]:
    def availability(device: Device) -> dict[str, object]:
        status = ctx.status(device) if isinstance(device, Camera) else "online"
        return {
            "serial": device.serial,
            "name": device.name,
            "mac": device.mac,
            "productType": device.product_type,
            "network": {"id": device.network_id},
            "status": status,
            "tags": list(device.tags),
        }

    async def list_devices(request: Request) -> Response:
        ctx.organization(request)
        devices = _common_filters(request, ctx.fleet.all_devices)
        for name in ("name", "mac", "serial", "model"):  # substring filters
            term = request.query_params.get(name)
            if term:
                devices = [d for d in devices if term.lower() in str(getattr(d, name)).lower()]
        page, headers = paginate(request, devices, lambda d: d.serial, (3, 5000, 1000))
        return JSONResponse([device_json(request, d) for d in page], headers=headers)

    async def list_availabilities(request: Request) -> Response:
        ctx.organization(request)
        rows = [availability(d) for d in _common_filters(request, ctx.fleet.all_devices)]
        statuses = set(list_param(request, "statuses"))
        if statuses:
            rows = [r for r in rows if r["status"] in statuses]
        page, headers = paginate(request, rows, lambda r: str(r["serial"]), (3, 1000, 1000))
        return JSONResponse(page, headers=headers)

    async def list_statuses(request: Request) -> Response:
        """The older statuses endpoint: the same answer with networkId flat, as it had it."""
        ctx.organization(request)
        devices = _common_filters(request, ctx.fleet.all_devices)
        rows = [{**availability(d), "networkId": d.network_id} for d in devices]
        statuses = set(list_param(request, "statuses"))
        if statuses:
            rows = [r for r in rows if r["status"] in statuses]
        page, headers = paginate(request, rows, lambda r: str(r["serial"]), (3, 1000, 1000))
        flat = [{k: v for k, v in r.items() if k != "network"} for r in page]
        return JSONResponse(flat, headers=headers)

    async def get_device(request: Request) -> Response:
        return JSONResponse(device_json(request, ctx.device(request)))

    async def list_network_devices(request: Request) -> Response:
        network_id = str(request.path_params["networkId"])
        if ctx.fleet.network(network_id) is None:
            raise not_found()
        devices = [d for d in ctx.fleet.all_devices if d.network_id == network_id]
        return JSONResponse([device_json(request, d) for d in devices])

    return [
        Route("/organizations/{organizationId}/devices", list_devices),
        Route("/organizations/{organizationId}/devices/availabilities", list_availabilities),
        Route("/organizations/{organizationId}/devices/statuses", list_statuses),
        Route("/devices/{serial}", get_device),
        Route("/networks/{networkId}/devices", list_network_devices),
    ]
