"""The Slack adapter: bolt's AsyncApp for what comes in, the Web API for what goes out."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from starlette.routing import BaseRoute

from adapters.slack.files import download
from adapters.slack.inbound import PLATFORM
from adapters.slack.listeners import Listeners
from adapters.slack.outbound import SLACK_FILE_LIMIT, Outbound
from adapters.slack.pacing import DEFAULT_INTERVAL, ChannelPacer
from adapters.slack.people import slack_people
from adapters.slack.transport import SocketMode, http_routes
from bot.config import SlackSettings
from bot.messages import Message, Place, Reply, SentMessage
from bot.outbox import Core, SharedTurns
from bot.runner import Delivery
from bot.telemetry.metrics import Metrics
from bot.web.links import FileLinks

log = logging.getLogger(__name__)

RATE_LIMIT_RETRIES = 5
CONNECTION_RETRIES = 2


def retry_handlers() -> list[AsyncRetryHandler]:
    """429s wait for Retry-After; dropped connections are tried again."""
    return [
        AsyncConnectionErrorRetryHandler(max_retry_count=CONNECTION_RETRIES),
        AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
    ]


class SlackAdapter:
    """Slash commands, mentions, direct messages and buttons in; Block Kit and files out."""

    platform = PLATFORM

    def __init__(
        self,
        client: AsyncWebClient,
        app: AsyncApp,
        listeners: Listeners,
        outbound: Outbound,
        *,
        http: bool,
        socket: SocketMode | None,
        signing_secret: str = "",
    ) -> None:
        self.client = client
        self.app = app
        self._listeners = listeners
        self._outbound = outbound
        self._http = http
        self._socket = socket
        self._signing_secret = signing_secret

    def routes(self, metrics: Metrics | None = None) -> list[BaseRoute]:
        """Starlette routes for mvbot's web app: /slack/events in HTTP mode, else none;
        `metrics` times each slash command's acknowledgement."""
        return http_routes(self.app, self._signing_secret, metrics) if self._http else []

    async def start(self, core: Core) -> None:
        # One session for the adapter's life: its connections stay open, so the first reply
        # after a start does not pay for a new one (the SDK would open one per call).
        self.client.session = aiohttp.ClientSession()
        try:
            identity = await self.client.auth_test()
        except SlackApiError as error:
            await self._close_session()
            code = error.response.get("error") if error.response is not None else error
            raise RuntimeError(
                f"Slack refused the bot token (MVBOT_SLACK_BOT_TOKEN): {code}"
            ) from None
        log.info(
            "slack connected team=%s bot=%s mode=%s",
            identity.get("team"),
            identity.get("user"),
            "socket" if self._socket else "http",
        )
        self._listeners.core = core
        if self._socket is not None:
            await self._socket.open()

    async def stop(self) -> None:
        # The core's runner has already let running commands finish (bot.app).
        if self._socket is not None:
            await self._socket.close()
        self._listeners.core = None
        await self._close_session()

    async def _close_session(self) -> None:
        if self.client.session is not None:
            await self.client.session.close()
            self.client.session = None

    async def send(
        self,
        place: Place,
        reply: Reply,
        *,
        answering: Message | None = None,
        key: str | None = None,
    ) -> SentMessage:
        return await self._outbound.send(place, reply, answering=answering, key=key)

    def read_file(self, ref: str) -> AsyncIterator[bytes]:
        """A file a person posted with a command (bot.outbox.FileReader)."""
        return download(self.client, ref)

    async def find(self, place: Place, key: str, since: datetime) -> SentMessage | None:
        """A post carrying `key` (bot.outbox.PostFinder): message metadata, or a file's name."""
        return await self._outbound.find(place, key, since)

    async def update(
        self, sent: SentMessage, reply: Reply, *, answering: Message | None = None
    ) -> None:
        await self._outbound.update(sent, reply, answering=answering)

    async def send_direct(self, email: str, reply: Reply) -> bool:
        """Message a workspace member found by e-mail (bot.outbox.DirectMessenger)."""
        return await self._outbound.send_direct(email, reply)

    def share_pace(self, turns: SharedTurns) -> None:
        """Keep Slack's per-channel pace with the other replicas (bot.outbox.PaceSharing)."""
        self._outbound.share_pace(turns)

    def redelivery(self, key: str, raw: Mapping[str, Any]) -> Delivery:
        """A command stored before a restart, to be read again (bot.outbox.Redelivering)."""
        return self._listeners.redelivery(key, raw)


def build_slack_adapter(
    settings: SlackSettings,
    links: FileLinks,
    *,
    upload_limit: int = SLACK_FILE_LIMIT,
    channel_interval: float = DEFAULT_INTERVAL,
) -> SlackAdapter | None:
    """The adapter the settings describe, or None when no bot token is set.

    `upload_limit` is the largest file uploaded (bytes; larger ones become a signed link);
    `channel_interval` the least time between two posts in one channel (seconds).
    """
    if settings.bot_token is None:
        return None
    handlers = retry_handlers()
    client = AsyncWebClient(
        token=settings.bot_token.get_secret_value(),
        base_url=settings.api_url.rstrip("/") + "/",
        retry_handlers=handlers,
    )
    secret = settings.signing_secret
    app = AsyncApp(
        name="mvbot",
        client=client,
        # Never None: bolt would read SLACK_SIGNING_SECRET from the environment instead.
        signing_secret=secret.get_secret_value() if secret else "",
        # Listeners only acknowledge and submit to the runner, so bolt may answer after them
        # (no untracked futures, no polling for the ack).
        process_before_response=True,
        attaching_conversation_kwargs_enabled=False,
    )
    listeners = Listeners(slack_people(client))
    listeners.register(app)
    outbound = Outbound(
        client,
        links,
        pacer=ChannelPacer(channel_interval),
        upload_limit=upload_limit,
        retry_handlers=handlers,
    )
    token = settings.app_token
    return SlackAdapter(
        client,
        app,
        listeners,
        outbound,
        http=secret is not None,
        socket=SocketMode(app, token.get_secret_value()) if token else None,
        signing_secret=secret.get_secret_value() if secret else "",
    )
