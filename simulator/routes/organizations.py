"""Organisations and networks: GET /organizations[/{id}[/networks]], GET /networks/{id}."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from simulator.context import Context, list_param
from simulator.errors import not_found
from simulator.fleet import Network
from simulator.routes.pagination import paginate


def routes(ctx: Context) -> list[Route]:
    org = ctx.fleet.organization

    def organization_json(request: Request) -> dict[str, object]:
        return {
            "id": org.id,
            "name": org.name,
            "url": f"{request.base_url}dashboard/o/{org.id}/manage/organization/overview",
            "api": {"enabled": True},
            "licensing": {"model": "co-term"},
            "cloud": {"region": {"name": "North America", "host": {"name": "United States"}}},
            "management": {"details": []},
        }

    def product_types(network: Network) -> list[str]:
        return sorted({d.product_type for d in ctx.fleet.all_devices if d.network_id == network.id})

    def network_json(request: Request, network: Network) -> dict[str, object]:
        return {
            "id": network.id,
            "organizationId": org.id,
            "name": network.name,
            "productTypes": product_types(network),
            "timeZone": network.time_zone,
            "tags": list(network.tags),
            "enrollmentString": None,
            "url": f"{request.base_url}dashboard/n/{network.id}/manage/usage/list",
            "notes": network.address,
            "isBoundToConfigTemplate": False,
            "isVirtual": False,
        }

    async def list_organizations(request: Request) -> Response:
        page, headers = paginate(request, [org], lambda o: o.id, (3, 9000, 9000))
        return JSONResponse([organization_json(request) for _ in page], headers=headers)

    async def get_organization(request: Request) -> Response:
        ctx.organization(request)
        return JSONResponse(organization_json(request))

    async def list_networks(request: Request) -> Response:
        ctx.organization(request)
        networks = sorted(ctx.fleet.networks, key=lambda n: n.id)
        wanted = set(list_param(request, "productTypes"))
        if wanted:
            networks = [n for n in networks if wanted & set(product_types(n))]
        tags = set(list_param(request, "tags"))
        if tags:
            every = request.query_params.get("tagsFilterType") == "withAllTags"
            networks = [
                n for n in networks if (tags <= set(n.tags) if every else tags & set(n.tags))
            ]
        page, headers = paginate(request, networks, lambda n: n.id, (3, 100000, 1000))
        return JSONResponse([network_json(request, n) for n in page], headers=headers)

    async def get_network(request: Request) -> Response:
        network = ctx.fleet.network(str(request.path_params["networkId"]))
        if network is None:
            raise not_found()
        return JSONResponse(network_json(request, network))

    return [
        Route("/organizations", list_organizations),
        Route("/organizations/{organizationId}", get_organization),
        Route("/organizations/{organizationId}/networks", list_networks),
        Route("/networks/{networkId}", get_network),
    ]
