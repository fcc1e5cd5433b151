"""mvbot's whole public web app as `mvbot run` assembles it, for hostile-input tests.

Slack (HTTP mode, against tests/fake_slack.py), Webex (against tests/fake_webex.py), the
webhooks, the share viewer, file links, health and metrics: every public route, served on
a free loopback port by the real `bot.run.web_app`. A test module imports:

    from tests.bot_fixtures import bot_simulator_fixture  # noqa: F401
    from tests.db_fixtures import database_url_fixture  # noqa: F401  (or SQLite only)
    from tests.edge_fixtures import edge_fixture  # noqa: F401
    from tests.fake_webex import fake_webex_fixture  # noqa: F401
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from bot.app import Running, running_bot
from bot.events.tables import alerts, hook_events
from bot.run import configured_adapters, file_links, stored_signing_key, web_app
from bot.shares.tables import share_access, shares
from bot.store.schema import audit, jobs
from bot.store.work import fetch
from bot.web.server import web_server
from simulator import SimulatorServer
from tests.bot_fixtures import bot_settings
from tests.fake_slack import BOT_TOKEN, SIGNING_SECRET, running_fake_slack
from tests.fake_webex import TOKEN as WEBEX_TOKEN
from tests.fake_webex import FakeWebex

HOOK_SECRET = "edge-hook-secret-5a7c"
WEBEX_SECRET = "edge-webex-secret-91b2"
METRICS_TOKEN = "edge-metrics-token-3d4e"
# Every route a client can POST to, as `mvbot run` serves them ({token}: any text).
POST_ROUTES = ("/slack/events", "/webex/events", "/hooks/meraki", "/hooks/events", "/s/{token}")
GET_ROUTES = (
    "/healthz",
    "/metrics",
    "/files/{token}/{name}",
    "/s/{token}",
    "/s/{token}/{serial}.m3u8",
    "/s/{token}/{serial}/live.json",
    "/s/{token}/{serial}/{seq}.ts",
    "/s/-/{name}",
)
# What an unauthenticated request must never change.
GUARDED_TABLES = (hook_events, alerts, audit, jobs, shares, share_access)


@dataclass
class Edge:
    running: Running
    url: str
    http: httpx.AsyncClient

    async def row_counts(self) -> dict[str, int]:
        engine = self.running.services.store.engine
        counts: dict[str, int] = {}
        for table in GUARDED_TABLES:
            rows = await fetch(engine, select(func.count()).select_from(table))
            counts[table.name] = int(rows[0][0])
        return counts


@pytest.fixture(name="edge")
async def edge_fixture(
    database_url: str, tmp_path: Path, bot_simulator: SimulatorServer, fake_webex: FakeWebex
) -> AsyncIterator[Edge]:
    data = tmp_path / "data"
    async with running_fake_slack(tmp_path / "slack") as fake_slack:
        settings = bot_settings(bot_simulator, database_url, data)
        settings = settings.with_overrides(
            {
                "slack": {
                    "bot_token": BOT_TOKEN,
                    "signing_secret": SIGNING_SECRET,
                    "api_url": fake_slack.api_url,
                },
                "webex": {
                    "bot_token": WEBEX_TOKEN,
                    "webhook_secret": WEBEX_SECRET,
                    "api_url": fake_webex.url,
                },
                "webhooks": {"secret": HOOK_SECRET},
                "http": {"metrics_token": METRICS_TOKEN},
            }
        )
        links = file_links(settings, await stored_signing_key(settings))
        adapters = configured_adapters(settings, links)
        async with running_bot(settings, adapters) as running:
            app = web_app(settings, running, links, adapters)
            async with (
                web_server(app, "127.0.0.1", 0) as server,
                httpx.AsyncClient(base_url=server.url, timeout=30) as http,
            ):
                running.shares.public_url = server.url
                yield Edge(running, server.url, http)
