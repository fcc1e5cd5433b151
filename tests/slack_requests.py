"""Requests as Slack sends them (signed slash commands, events, button presses), and mvbot
started with its Slack adapter against the fake Slack of tests/fake_slack.py."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.parse
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from adapters.slack import SLACK_FILE_LIMIT, SlackAdapter, build_slack_adapter
from bot.app import Running, running_bot
from bot.web import create_app
from bot.web.links import FileLinks
from bot.web.server import web_server
from simulator import SimulatorServer
from tests.bot_fixtures import bot_settings
from tests.fake_slack import (
    APP_TOKEN,
    BOT_TOKEN,
    BOT_USER,
    PUBLIC_URL,
    SIGNING_SECRET,
    TEAM,
    FakeSlack,
)

# Signed requests, as Slack sends them ---------------------------------------------------


def signed_headers(
    body: bytes, *, secret: str = SIGNING_SECRET, timestamp: int | None = None, form: bool = True
) -> dict[str, str]:
    when = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{when}:".encode() + body, hashlib.sha256)
    return {
        "X-Slack-Request-Timestamp": when,
        "X-Slack-Signature": "v0=" + digest.hexdigest(),
        "Content-Type": "application/x-www-form-urlencoded" if form else "application/json",
    }


def slash_command(text: str, *, user: str, channel: str, response_url: str) -> dict[str, str]:
    return {
        "token": "legacy",
        "team_id": TEAM,
        "channel_id": channel,
        "channel_name": "security",
        "user_id": user,
        "user_name": user.lower(),
        "command": "/mv",
        "text": text,
        "api_app_id": "AFAKE",
        "response_url": response_url,
        "trigger_id": f"trigger-{time.monotonic_ns()}",
    }


def event_callback(event: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "token": "legacy",
        "team_id": TEAM,
        "api_app_id": "AFAKE",
        "type": "event_callback",
        "event_id": f"Ev{time.monotonic_ns()}",
        "event_time": int(time.time()),
        "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}],
        "event": dict(event),
    }


def block_actions(
    action: Mapping[str, Any],
    *,
    user: str,
    channel: str,
    message_ts: str,
    response_url: str,
    thread_ts: str | None = None,
) -> dict[str, Any]:
    message: dict[str, Any] = {"type": "message", "ts": message_ts, "user": BOT_USER}
    if thread_ts:
        message["thread_ts"] = thread_ts
    return {
        "type": "block_actions",
        "team": {"id": TEAM},
        "user": {"id": user},
        "api_app_id": "AFAKE",
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel},
        "channel": {"id": channel, "name": "security"},
        "message": message,
        "response_url": response_url,
        "trigger_id": f"trigger-{time.monotonic_ns()}",
        "actions": [{**action, "action_ts": str(time.time())}],
    }


def form_body(fields: Mapping[str, str]) -> bytes:
    return urllib.parse.urlencode(fields).encode()


def interactive_body(payload: Mapping[str, Any]) -> bytes:
    return urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()


def json_body(payload: Mapping[str, Any]) -> bytes:
    return json.dumps(payload).encode()


async def send_command(
    url: str, fake: FakeSlack, text: str, *, user: str = "U1", channel: str = "C1"
) -> httpx.Response:
    """`/mv <text>`, correctly signed, as `user` in `channel`, to the mvbot serving `url`."""
    fields = slash_command(text, user=user, channel=channel, response_url=fake.response_url())
    body = form_body(fields)
    async with httpx.AsyncClient(timeout=10.0) as http:
        return await http.post(f"{url}/slack/events", content=body, headers=signed_headers(body))


# mvbot against the fake ------------------------------------------------------------------


@dataclass
class SlackBot:
    """mvbot running with the Slack adapter against a fake Slack and a simulated cloud."""

    running: Running
    adapter: SlackAdapter
    fake: FakeSlack
    simulator: SimulatorServer
    url: str  # mvbot's web server

    async def post(self, body: bytes, headers: Mapping[str, str]) -> httpx.Response:
        async with httpx.AsyncClient(timeout=10.0) as http:
            return await http.post(f"{self.url}/slack/events", content=body, headers=headers)

    async def command(self, text: str, *, user: str = "U1", channel: str = "C1") -> httpx.Response:
        """`/mv <text>`, correctly signed, as `user` in `channel`."""
        return await send_command(self.url, self.fake, text, user=user, channel=channel)

    async def event(self, event: Mapping[str, Any]) -> httpx.Response:
        # The person's message exists on Slack: the bot may answer in its thread.
        for ts in (event.get("ts"), event.get("thread_ts")):
            if event.get("channel") and ts:
                self.fake.said(str(event["channel"]), str(ts))
        body = json_body(event_callback(event))
        return await self.post(body, signed_headers(body, form=False))

    def meraki_requests(self) -> int:
        return len(self.simulator.state.requests)


@asynccontextmanager
async def slack_bot(
    simulator: SimulatorServer,
    fake: FakeSlack,
    data: Path,
    *,
    socket: bool = False,
    upload_limit: int = SLACK_FILE_LIMIT,
    clips: Mapping[str, Any] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> AsyncIterator[SlackBot]:
    """Start the store, core and Slack adapter (HTTP mode, or Socket Mode) and the web app;
    `overrides` replace whole settings sections (MQTT, plates, access)."""
    settings = bot_settings(simulator, f"sqlite:///{data / 'mvbot.db'}", data, clips=clips)
    settings = settings.with_overrides(dict(overrides or {}))
    slack: dict[str, Any] = {"bot_token": BOT_TOKEN, "api_url": fake.api_url}
    slack.update({"app_token": APP_TOKEN} if socket else {"signing_secret": SIGNING_SECRET})
    settings = settings.with_overrides({"slack": slack})
    links = FileLinks(b"k" * 32, PUBLIC_URL, data / "media")
    adapter = build_slack_adapter(settings.slack, links, upload_limit=upload_limit)
    assert adapter is not None
    async with running_bot(settings, [adapter]) as running:

        async def health() -> dict[str, str]:
            return {"store": "ok"}

        # The webhook routes too, when the overrides give them a secret.
        routes = [
            *adapter.routes(running.services.metrics),
            *running.events.routes(settings.webhooks.secret),
        ]
        app = create_app(
            metrics=running.services.metrics, health=health, links=links, routes=routes
        )
        async with web_server(app, "127.0.0.1", 0) as server:
            yield SlackBot(running, adapter, fake, simulator, server.url)
