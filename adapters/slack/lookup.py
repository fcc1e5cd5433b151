"""Slack posts that carry an idempotency key, and finding them again after a crash.

A message carries the key as message metadata (`chat.postMessage` `metadata`), which
`conversations.history` (a channel's top level) and `conversations.replies` (a thread)
return with `include_all_metadata=true`; so does a message showing an image (outbound.py). A
file shared as a file (a clip) cannot carry metadata, so its uploaded name carries a
short marker derived from the key instead.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from pathlib import PurePath
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.files import error_code
from bot.messages import Place, SentMessage
from bot.outbox import CannotLookUp

EVENT_TYPE = "mvbot_post"
PAGE = 200  # messages per history page (Slack recommends no more than 200)
PAGES = 10  # a crash is minutes old at most: ten pages of one channel reach far enough
# Answers that mean "this token may not read here" (a scope not granted, a direct message
# with someone else): mvbot cannot tell, so it posts.
REFUSALS = frozenset({"missing_scope", "not_in_channel", "channel_not_found", "not_allowed"})


def key_metadata(key: str) -> dict[str, Any]:
    return {"event_type": EVENT_TYPE, "event_payload": {"key": key}}


def marker(key: str) -> str:
    """A short, stable token for `key`, fit for a file name."""
    return "k" + hashlib.sha256(key.encode()).hexdigest()[:10]


def marked_filename(filename: str, key: str) -> str:
    """`clip.mp4` → `clip.k3f9a2c1d0e.mp4`: the upload's name says which post it belongs to."""
    path = PurePath(filename)
    return f"{path.stem}.{marker(key)}{path.suffix}"


async def find_post(
    client: AsyncWebClient, place: Place, key: str, since: datetime
) -> SentMessage | None:
    """The bot's post with `key` in `place` since `since` (newest first), or None; raises
    CannotLookUp where Slack will not let the bot read the conversation."""
    try:
        return await _search(client, place, key, since)
    except SlackApiError as error:
        code = error_code(error)
        if code in REFUSALS:
            raise CannotLookUp(f"Slack refused the lookup: {code}") from None
        raise


async def _search(
    client: AsyncWebClient, place: Place, key: str, since: datetime
) -> SentMessage | None:
    token = marker(key)
    cursor: str | None = None
    asked: dict[str, Any] = {
        "channel": place.room_id,
        "oldest": f"{since.timestamp():.6f}",
        "include_all_metadata": True,
        "limit": PAGE,
    }
    for _ in range(PAGES):
        # A thread is listed under its parent by conversations.replies, the top level by history.
        if place.thread_id is not None:
            answer = await client.conversations_replies(ts=place.thread_id, cursor=cursor, **asked)
        else:
            answer = await client.conversations_history(cursor=cursor, **asked)
        for message in answer.get("messages") or ():
            found = _match(place, message, key, token)
            if found is not None:
                return found
        cursor = (answer.get("response_metadata") or {}).get("next_cursor") or None
        if cursor is None:
            return None
    return None


def _match(place: Place, message: Mapping[str, Any], key: str, token: str) -> SentMessage | None:
    metadata = message.get("metadata") or {}
    payload = metadata.get("event_payload") or {}
    files = [f for f in message.get("files") or () if token in str(f.get("name", ""))]
    if files:
        # The share's own ts: what the rest of mvbot threads under (never the file id).
        extra = {"kind": "file", "file": str(files[0]["id"]), "channel": place.room_id}
        return SentMessage(place, str(message["ts"]), extra)
    if metadata.get("event_type") == EVENT_TYPE and payload.get("key") == key:
        return SentMessage(place, str(message["ts"]), {"kind": "message", "channel": place.room_id})
    return None
