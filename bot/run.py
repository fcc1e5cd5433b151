"""`mvbot run`: the web server and every configured adapter, until SIGINT or SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Sequence
from typing import Protocol

from starlette.applications import Starlette
from starlette.routing import BaseRoute

from adapters.slack import build_slack_adapter
from adapters.webex import build_webex_adapter
from bot.app import Running, running_bot
from bot.config import Settings
from bot.outbox import Adapter
from bot.store import Store, configured_database_url
from bot.store.one_process import holding_sqlite
from bot.telemetry.metrics import Metrics
from bot.web import create_app
from bot.web.links import FileLinks, signing_key
from bot.web.server import web_server
from bot.web.timeline import timeline_routes
from bot.web.viewer import RateLimiter, Viewer, viewer_routes

log = logging.getLogger(__name__)


class WebAdapter(Adapter, Protocol):
    """An adapter whose platform calls mvbot over HTTP (webhooks, events)."""

    def routes(self, metrics: Metrics | None = None) -> list[BaseRoute]: ...


def configured_adapters(settings: Settings, links: FileLinks) -> list[WebAdapter]:
    """An adapter for each chat platform the settings configure."""
    adapters: list[WebAdapter] = []
    if slack := build_slack_adapter(
        settings.slack, links, upload_limit=settings.slack.upload_limit
    ):
        adapters.append(slack)
    if webex := build_webex_adapter(settings.webex, links):
        adapters.append(webex)
    return adapters


def file_links(settings: Settings, key: bytes) -> FileLinks:
    public = settings.http.public_url or f"http://{settings.http.host}:{settings.http.port}"
    return FileLinks(key, public, settings.store.data_dir / "media")


async def stored_signing_key(settings: Settings) -> bytes:
    """The installation's signing key, read before the bot starts: the adapters it is handed
    sign links with it (the bot reads the same key again as it starts)."""
    url = configured_database_url(settings.store)
    with holding_sqlite(url):
        store = await Store.open(url)
        try:
            return await signing_key(store.engine, settings.store.data_dir)
        finally:
            await store.close()


def run(settings: Settings) -> int:
    asyncio.run(_serve(settings))
    log.info("stopped")
    return 0


async def _serve(settings: Settings) -> None:
    links = file_links(settings, await stored_signing_key(settings))
    adapters = configured_adapters(settings, links)
    if not adapters:
        log.warning("no chat platform is configured: set MVBOT_SLACK_* or MVBOT_WEBEX_*")
    async with running_bot(settings, adapters) as running:
        app = web_app(settings, running, links, adapters)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signal_number, stop.set)
        async with web_server(
            app,
            settings.http.host,
            settings.http.port,
            trusted_proxies=settings.http.trusted_proxies,
        ) as server:
            log.info("web server listening url=%s", server.url)
            await running.fleet.listening(server.url)
            if running.shares.public_url is None:
                running.shares.public_url = server.url
            if running.incidents.public_url is None:
                running.incidents.public_url = server.url
            if settings.http.public_url is None:
                running.exports.public_url = server.url
            stopping = asyncio.create_task(stop.wait())
            await asyncio.wait([stopping, server.task], return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
        log.info("stopping")


def web_app(
    settings: Settings, running: Running, links: FileLinks, adapters: Sequence[WebAdapter]
) -> Starlette:
    """Health, metrics, file links, the share viewer, incident timelines, hooks and the
    adapters' own routes."""
    token = settings.http.metrics_token
    return create_app(
        metrics=running.services.metrics,
        metrics_token=token.get_secret_value() if token else None,
        health=lambda: health(running),
        about=lambda: about(running),
        links=links,
        routes=[
            *(route for adapter in adapters for route in adapter.routes(running.services.metrics)),
            *running.events.routes(settings.webhooks.secret),
            *viewer_routes(share_viewer(settings, running)),
            *timeline_routes(running.incidents, RateLimiter(settings.shares.viewer_rate_limit)),
            *running.exports.routes(),
        ],
    )


def share_viewer(settings: Settings, running: Running) -> Viewer:
    limiter = RateLimiter(settings.shares.viewer_rate_limit)
    return Viewer(running.shares, running.streams, running.signing_key, limiter)


async def health(running: Running) -> dict[str, str]:
    try:
        await running.services.store.schema_version()
    except Exception as error:  # any failure means "not healthy"; the reason goes to the log
        log.warning("store health check failed error=%r", error)
        return {"store": "error"}
    return {"store": "ok"}


async def about(running: Running) -> dict[str, object]:
    """This replica, its role and broker, and the replicas heard from within the lease."""
    fleet, mqtt = running.fleet, running.events.mqtt
    broker = "off" if mqtt is None else "connected" if mqtt.connected.is_set() else "down"
    try:
        seen = await fleet.seen()
    except Exception as error:  # the store check says so; the list is only for people
        log.warning("listing replicas failed error=%r", error)
        seen = []
    return {
        "replica": fleet.id,
        "role": fleet.role.value,
        "broker": broker,
        "replicas": [
            {"id": r.id, "role": r.role, "seen_at": r.seen_at.isoformat(), "url": r.url}
            for r in seen
        ],
    }
