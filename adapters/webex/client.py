"""The Webex REST API as mvbot uses it: webexpythonsdk in worker threads, with bounded retries.

webexpythonsdk is blocking, so every call runs in `asyncio.to_thread`. Its own
`wait_on_rate_limit` is off: it would hold a worker thread in `time.sleep` for as long as
Webex asks, without bound, and announce each wait with a `warnings.warn`. Instead a 429's
`Retry-After` is waited out here with `asyncio.sleep` (at most `RATE_LIMIT_RETRIES` times),
and 5xx answers and network errors are retried with exponential backoff and jitter.
Anything else is permanent and raises `WebexError`, whose text never holds the token.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from webexpythonsdk import WebexAPI  # type: ignore[import-untyped]
from webexpythonsdk.exceptions import (  # type: ignore[import-untyped]
    ApiError,
    RateLimitError,
)

from adapters.downloads import stream_with_token
from bot.outbox import FileUnreadable

log = logging.getLogger(__name__)

Json = dict[str, Any]
T = TypeVar("T")

RATE_LIMIT_RETRIES = 5
FAILURE_RETRIES = 3
BACKOFF = 0.5  # seconds before the first retry of a failure; doubles each time


class WebexError(Exception):
    """A Webex API call failed for good (after any retries); `status` is None for no answer."""

    def __init__(self, operation: str, status: int | None, reason: str) -> None:
        super().__init__(f"Webex {operation} failed: {status or 'no answer'} {reason}".rstrip())
        self.operation = operation
        self.status = status
        self.reason = reason


class WebexClient:
    """The calls mvbot makes, each returning Webex's JSON object as a dict."""

    def __init__(
        self,
        token: str,
        api_url: str,
        *,
        backoff: float = BACKOFF,
        failure_retries: int = FAILURE_RETRIES,
    ) -> None:
        base = api_url if api_url.endswith("/") else api_url + "/"
        self._api = WebexAPI(access_token=token, base_url=base, wait_on_rate_limit=False)
        self._token = token
        self._contents = base + "contents/"
        self._backoff = backoff
        self._failure_retries = failure_retries

    async def aclose(self) -> None:
        # The SDK never closes its requests session; its pooled sockets would leak.
        await asyncio.to_thread(self._api._session._req_session.close)

    async def me(self) -> Json:
        return await self._call("people/me", lambda: self._api.people.me().to_dict())

    async def person(self, person_id: str) -> Json:
        return await self._call("people/get", lambda: self._api.people.get(person_id).to_dict())

    async def message(self, message_id: str) -> Json:
        return await self._call(
            "messages/get", lambda: self._api.messages.get(message_id).to_dict()
        )

    async def attachment_action(self, action_id: str) -> Json:
        return await self._call(
            "attachment/actions/get",
            lambda: self._api.attachment_actions.get(action_id).to_dict(),
        )

    async def download(self, url: str) -> AsyncIterator[bytes]:
        """A message's attached file, streamed with the bot token. Only Webex's own content
        URLs (below the API root) ever see the token."""
        if not url.startswith(self._contents) or ".." in url or any(c in url for c in "?#@\\"):
            raise FileUnreadable("That attachment is not a Webex file I can read.")
        async for chunk in stream_with_token(url, self._token, "Webex"):
            yield chunk

    async def create_message(self, fields: Mapping[str, Any], file: Path | None = None) -> Json:
        """Post a message; a local `file` goes as multipart/form-data (the SDK's encoder)."""
        arguments = dict(fields)
        if file is not None:
            arguments["files"] = [str(file)]
        if "attachments" in arguments:
            # The SDK rewrites this list in place; keep the caller's intact for a retry.
            arguments["attachments"] = list(arguments["attachments"])
        return await self._call(
            "messages/create", lambda: self._api.messages.create(**arguments).to_dict()
        )

    async def recent_messages(
        self, room_id: str, parent_id: str | None, since: datetime, limit: int = 500
    ) -> list[Json]:
        """The room's (or thread's) messages created at or after `since`, newest first, at
        most `limit` of them (Webex lists newest first, a page at a time)."""

        def listed() -> list[Json]:
            messages = self._api.messages.list(roomId=room_id, parentId=parent_id, max=100)
            recent = itertools.takewhile(lambda m: _created(m.to_dict()) >= since, messages)
            return [m.to_dict() for m in itertools.islice(recent, limit)]

        return await self._call("messages/list", listed)

    async def edit_message(self, message_id: str, room_id: str, markdown: str) -> Json:
        return await self._call(
            "messages/edit",
            lambda: self._api.messages.update(
                messageId=message_id, roomId=room_id, markdown=markdown
            ).to_dict(),
        )

    async def webhooks(self) -> list[Json]:
        return await self._call(
            "webhooks/list", lambda: [hook.to_dict() for hook in self._api.webhooks.list()]
        )

    async def create_webhook(self, fields: Mapping[str, str]) -> Json:
        return await self._call(
            "webhooks/create", lambda: self._api.webhooks.create(**fields).to_dict()
        )

    async def update_webhook(self, webhook_id: str, fields: Mapping[str, str]) -> Json:
        return await self._call(
            "webhooks/update",
            lambda: self._api.webhooks.update(webhook_id, **fields).to_dict(),
        )

    async def delete_webhook(self, webhook_id: str) -> None:
        await self._call("webhooks/delete", lambda: self._api.webhooks.delete(webhook_id))

    async def _call(self, operation: str, work: Callable[[], T]) -> T:
        limited = failures = 0
        while True:
            try:
                return await asyncio.to_thread(work)
            except RateLimitError as error:
                limited += 1
                if limited > RATE_LIMIT_RETRIES:
                    raise WebexError(operation, 429, "still rate limited") from None
                log.warning(
                    "webex rate limited operation=%s retry_after=%s", operation, error.retry_after
                )
                await asyncio.sleep(error.retry_after)
                continue
            except ApiError as error:
                status, reason = error.status_code, error.message or error.status or ""
                if status < 500:
                    raise WebexError(operation, status, reason) from None
            except OSError as error:  # requests' connection errors and timeouts are OSErrors
                status, reason = None, type(error).__name__
            failures += 1
            if failures > self._failure_retries:
                raise WebexError(operation, status, reason) from None
            wait = self._backoff * 2 ** (failures - 1) * random.uniform(0.5, 1.0)  # noqa: S311 (jitter, not a secret)
            log.warning(
                "webex call failed, retrying operation=%s status=%s wait=%.2fs",
                operation,
                status,
                wait,
            )
            await asyncio.sleep(wait)


def _created(message: Mapping[str, Any]) -> datetime:
    return datetime.fromisoformat(str(message.get("created", "")).replace("Z", "+00:00"))
