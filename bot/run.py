"""`mvbot run`: the web server and every configured adapter, until SIGINT or SIGTERM."""

from __future__ import annotations

import asyncio
import logging

import uvicorn

from bot.app import running_bot
from bot.config import Settings
from bot.outbox import Adapter
from bot.services import Services
from bot.web import create_app

log = logging.getLogger(__name__)


def configured_adapters(settings: Settings) -> list[Adapter]:
    """An adapter for each chat platform the settings configure."""
    return []


def run(settings: Settings) -> int:
    asyncio.run(_serve(settings))
    return 0


async def _serve(settings: Settings) -> None:
    adapters = configured_adapters(settings)
    if not adapters:
        log.warning("no chat platform is configured: set MVBOT_SLACK_* or MVBOT_WEBEX_*")
    async with running_bot(settings, adapters) as running:
        services = running.services

        async def health() -> dict[str, str]:
            return {"store": await _store_health(services)}

        app = create_app(metrics=services.metrics, health=health)
        config = uvicorn.Config(
            app,
            host=settings.http.host,
            port=settings.http.port,
            log_config=None,
            access_log=False,
        )
        log.info("web server listening host=%s port=%s", settings.http.host, settings.http.port)
        await uvicorn.Server(config).serve()


async def _store_health(services: Services) -> str:
    try:
        await services.store.schema_version()
    except Exception as error:  # any failure means "not healthy"; the reason goes to the log
        log.warning("store health check failed error=%r", error)
        return "error"
    return "ok"
