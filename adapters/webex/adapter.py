"""The Webex adapter: webhook deliveries in, Replies out as markdown, files and cards.

Edits: Webex can edit a message's markdown (PUT /messages/{id}) but not add a file or a
card to it, and refuses edits past a limit. So `update` edits in place when the new reply
is plain text that fits one message, and otherwise (or when the edit is refused) posts
the reply as a new message in the same place.

Failures: the client waits out 429s and retries 5xx/network errors; what still fails is
logged and raised as `WebexError` from `send`/`update`, so the caller records it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from typing import Any

from starlette.routing import BaseRoute

from adapters.webex.cards import has_card, posted_key
from adapters.webex.client import WebexClient, WebexError
from adapters.webex.inbound import PLATFORM, Inbound, webex_people
from adapters.webex.markdown import render_markdown, split_markdown
from adapters.webex.mentions import Identity
from adapters.webex.outbound import FILE_LIMIT, NoRecipient, plan_messages
from adapters.webex.transport import events_route
from bot.config import WebexSettings
from bot.messages import Message, Place, Reply, SentMessage
from bot.outbox import CannotLookUp, Core
from bot.runner import Delivery
from bot.telemetry.metrics import Metrics
from bot.web.links import FileLinks

log = logging.getLogger(__name__)


class WebexAdapter:
    """One Webex bot account; `routes()` go on mvbot's web server."""

    platform = PLATFORM

    def __init__(
        self,
        client: WebexClient,
        webhook_secret: str,
        links: FileLinks,
        *,
        file_limit: int = FILE_LIMIT,
    ) -> None:
        self._client = client
        self._secret = webhook_secret.encode()
        self._links = links
        self._file_limit = file_limit
        self._inbound = Inbound(client, webex_people(client))
        self._core: Core | None = None
        self._identity: Identity | None = None
        self._identity_lock = asyncio.Lock()

    def routes(self, metrics: Metrics | None = None) -> list[BaseRoute]:
        """/webex/events; `metrics` times each delivery's acknowledgement."""
        return [events_route(self._secret, self.accept, metrics)]

    async def start(self, core: Core) -> None:
        self._core = core
        try:
            bot = await self.identity()
            log.info("webex bot ready name=%s", bot.name)
        except WebexError as error:  # Webex may be down now; the first delivery tries again
            log.error("webex identity lookup failed error=%s", error)

    async def stop(self) -> None:
        # The core's runner has already let running commands finish (bot.app).
        self._core = None
        await self._client.aclose()

    async def identity(self) -> Identity:
        async with self._identity_lock:
            if self._identity is None:
                me = await self._client.me()
                self._identity = Identity(
                    str(me["id"]), str(me.get("displayName") or ""), tuple(me.get("emails") or ())
                )
            return self._identity

    # Inbound ---------------------------------------------------------------------------

    async def accept(self, delivery: Mapping[str, Any]) -> bool:
        """Store a verified delivery with the core, which then runs it; False if the bot is
        not running (not started yet, or stopping) or could not store it, so that Webex
        delivers it again later. A repeat is True: it was stored before."""
        core = self._core
        if core is None or core.stopping:
            return False
        data = delivery.get("data")
        # Webex may deliver one event twice, before or after a restart: the same resource
        # and id run once. The message itself is fetched in the command's task.
        key = f"{delivery.get('resource')}:{data.get('id') if isinstance(data, Mapping) else ''}"
        try:
            await core.accept(self.redelivery(key, delivery))
        except Exception:
            log.exception("webex delivery not stored resource=%s", delivery.get("resource"))
            return False
        return not core.stopping

    def redelivery(self, key: str, raw: Mapping[str, Any]) -> Delivery:
        """The command a stored delivery names, read (again) from Webex when it runs
        (bot.outbox.Redelivering)."""
        delivery = dict(raw)
        return Delivery(PLATFORM, key, lambda: self._read(delivery), delivery)

    async def _read(self, delivery: Mapping[str, Any]) -> Message | None:
        """The command a delivery names (fetched from Webex), or None to ignore it."""
        try:
            return await self._inbound.message(delivery, await self.identity())
        except WebexError as error:
            log.error(
                "webex delivery not handled resource=%s error=%s", delivery.get("resource"), error
            )
            return None

    def read_file(self, ref: str) -> AsyncIterator[bytes]:
        """A file attached to a person's message (bot.outbox.FileReader)."""
        return self._client.download(ref)

    # Outbound --------------------------------------------------------------------------

    async def send(
        self,
        place: Place,
        reply: Reply,
        *,
        answering: Message | None = None,
        key: str | None = None,
    ) -> SentMessage:
        """Post `reply`; a private one in a group space goes to whoever asked `answering`;
        `key` rides on the card of buttons, where `find` reads it back."""
        asker = answering.person if answering is not None else None
        try:
            # Planning stats the attachment and may resolve its path for a link: disk work.
            messages = await asyncio.to_thread(
                plan_messages,
                place,
                reply,
                links=self._links,
                recipient=asker,
                file_limit=self._file_limit,
                key=key,
            )
        except NoRecipient:
            log.error("webex private reply undeliverable room=%s", place.room_id)
            raise WebexError("messages/create", None, "private reply with no known asker") from None
        first: dict[str, Any] | None = None
        for index, outgoing in enumerate(messages):
            try:
                created = await self._client.create_message(outgoing.fields(), outgoing.file)
            except WebexError as error:
                log.error(
                    "webex post failed room=%s part=%d/%d error=%s",
                    place.room_id,
                    index + 1,
                    len(messages),
                    error,
                )
                raise
            first = first or created
        assert first is not None  # plan_messages always yields at least one message
        room = str(first.get("roomId") or place.room_id)
        where = place if room == place.room_id else Place(PLATFORM, room, None, direct=True)
        return SentMessage(where, str(first["id"]), {"room_id": room})

    async def find(self, place: Place, key: str, since: datetime) -> SentMessage | None:
        """The post whose card carries `key` in `place` since `since` (bot.outbox.PostFinder).
        Webex may refuse a bot the listing of a group space (CannotLookUp: post again)."""
        try:
            listed = await self._client.recent_messages(place.room_id, place.thread_id, since)
        except WebexError as error:
            if error.status is not None and 400 <= error.status < 500:
                raise CannotLookUp(str(error)) from None
            raise
        for message in listed:
            if posted_key(message) == key:
                return SentMessage(place, str(message["id"]), {"room_id": place.room_id})
        return None

    async def send_direct(self, email: str, reply: Reply) -> bool:
        """A direct message to whoever has this e-mail in Webex; False if Webex knows no one."""
        for chunk in split_markdown(render_markdown(reply)):
            try:
                await self._client.create_message({"toPersonEmail": email, "markdown": chunk})
            except WebexError as error:
                if error.status is not None and 400 <= error.status < 500:
                    log.info("webex has no person for a direct message status=%s", error.status)
                    return False
                raise
        return True

    async def update(
        self, sent: SentMessage, reply: Reply, *, answering: Message | None = None
    ) -> None:
        chunks = split_markdown(render_markdown(reply))
        if reply.attachment is None and not has_card(reply) and len(chunks) == 1:
            room = sent.extra.get("room_id", sent.place.room_id)
            try:
                await self._client.edit_message(sent.id, room, chunks[0])
                return
            except WebexError as error:
                if error.status is None or error.status >= 500:
                    log.error("webex edit failed message=%s error=%s", sent.id, error)
                    raise
                log.info("webex edit refused, posting anew message=%s error=%s", sent.id, error)
        await self.send(sent.place, reply, answering=answering)


def build_webex_adapter(
    settings: WebexSettings, links: FileLinks, *, file_limit: int = FILE_LIMIT
) -> WebexAdapter | None:
    """The adapter the settings describe, or None when no bot token is configured."""
    if settings.bot_token is None:
        return None
    if settings.webhook_secret is None:
        raise ValueError("a Webex bot token needs a webhook secret (MVBOT_WEBEX_WEBHOOK_SECRET)")
    client = WebexClient(settings.bot_token.get_secret_value(), settings.api_url)
    return WebexAdapter(
        client, settings.webhook_secret.get_secret_value(), links, file_limit=file_limit
    )
