"""Files on Slack: streaming an upload, and what a message needs to show or follow one.

An image is uploaded without being shared and shown in a message's `image` block by its
`slack_file` id: the message is an ordinary one (a `ts` to thread under, `chat.update`,
metadata). Slack completes uploads asynchronously, and a message that names a file not
yet processed is refused `invalid_blocks` ("invalid slack file"), so a post is retried
briefly (`IMAGE_WAITS`). A file shared into a channel (a clip) is a message of its own
whose `ts` the completion does not return: `files.info` lists it under the file's shares
once Slack has made them (`SHARE_WAITS`). A file a person posts with a command (`verify`)
is read with `files.info` and its `url_private_download`, sent the bot token only when that
URL is Slack's own (or the configured API host's).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.downloads import stream_with_token
from bot.messages import Attachment
from bot.outbox import FileUnreadable

UPLOAD_CHUNK = 1 << 20
UPLOAD_TIMEOUT = httpx.Timeout(60.0, write=300.0)
# Slack's `slack_file` object takes png, jpg/jpeg and gif images only.
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif"})
# Waits (seconds) before each further post naming a just-uploaded image: reports put
# Slack's processing at about a second; past these the picture goes out as a file.
IMAGE_WAITS = (0.5, 1.0, 2.0)
# Waits before each further files.info asking where a just-shared file landed.
SHARE_WAITS = (0.25, 0.5, 1.0, 2.0)


class UploadFailed(Exception):
    """The file could not be handed to Slack; a download link goes out instead."""


def shows_inline(attachment: Attachment) -> bool:
    """Whether Slack can show this attachment in an image block."""
    return attachment.mime in IMAGE_TYPES


def error_code(error: SlackApiError) -> str:
    return str(error.response.get("error", "")) if error.response is not None else ""


def unprocessed_file(error: SlackApiError) -> bool:
    """Slack refused a message because a `slack_file` it names is not usable (yet)."""
    if error_code(error) != "invalid_blocks" or error.response is None:
        return False
    return any("slack_file" in str(each) for each in error.response.get("errors") or ())


async def upload(client: AsyncWebClient, attachment: Attachment, filename: str) -> str:
    """Steps one and two of files_upload_v2, streaming the file from disk; the file id."""
    length = (await asyncio.to_thread(attachment.path.stat)).st_size
    ticket = await client.files_getUploadURLExternal(filename=filename, length=length)
    transport = httpx.AsyncHTTPTransport(retries=2)  # connection failures only
    try:
        async with httpx.AsyncClient(timeout=UPLOAD_TIMEOUT, transport=transport) as http:
            response = await http.post(
                str(ticket["upload_url"]),
                content=_chunks(attachment.path),
                headers={"Content-Type": attachment.mime, "Content-Length": str(length)},
            )
    except (httpx.HTTPError, OSError) as error:
        raise UploadFailed(repr(error)) from error
    if response.status_code != 200:
        raise UploadFailed(f"status {response.status_code}: {response.text[:200]}")
    return str(ticket["file_id"])


async def share_ts(
    client: AsyncWebClient, file_id: str, channel: str, waits: tuple[float, ...] = SHARE_WAITS
) -> str | None:
    """The ts of the message that shared `file_id` into `channel`, or None when Slack does
    not say within the waits (or will not: files:read not granted)."""
    for wait in (0.0, *waits):
        if wait:
            await asyncio.sleep(wait)
        try:
            answer = await client.files_info(file=file_id)
        except SlackApiError:
            return None
        found = _share_in(answer.get("file") or {}, channel)
        if found is not None:
            return found
    return None


def _share_in(file: Mapping[str, Any], channel: str) -> str | None:
    shares = file.get("shares") or {}
    for kind in ("public", "private"):
        for share in (shares.get(kind) or {}).get(channel) or ():
            if share.get("ts"):
                return str(share["ts"])
    return None


async def _chunks(path: Path) -> AsyncIterator[bytes]:
    # No file is held open between chunks: an upload abandoned mid-way (a stop, a timeout)
    # may never close this generator, and would leave its file open until collected.
    offset = 0
    while block := await asyncio.to_thread(_read_at, path, offset, UPLOAD_CHUNK):
        offset += len(block)
        yield block


def _read_at(path: Path, offset: int, size: int) -> bytes:
    with path.open("rb") as file:
        file.seek(offset)
        return file.read(size)


SLACK_FILE_HOSTS = ("slack.com", "slack-edge.com")


async def download(client: AsyncWebClient, file_id: str) -> AsyncIterator[bytes]:
    """A posted file's bytes, streamed from its url_private_download with the bot token."""
    try:
        answer = await client.files_info(file=file_id)
    except SlackApiError as error:
        raise FileUnreadable(f"Slack would not give me that file ({error_code(error)}).") from None
    file = answer.get("file") or {}
    url = str(file.get("url_private_download") or file.get("url_private") or "")
    if not _slack_host(url, client.base_url):
        raise FileUnreadable("Slack gave no download address for that file that I trust.")
    async for chunk in stream_with_token(url, str(client.token), "Slack"):
        yield chunk


def _slack_host(url: str, api_url: str) -> bool:
    """https on a Slack host, or the host the Web API itself is reached at (a test's fake)."""
    parts, api = urlsplit(url), urlsplit(api_url)
    host = parts.hostname or ""
    if parts.scheme == "https" and any(
        host == h or host.endswith("." + h) for h in SLACK_FILE_HOSTS
    ):
        return True
    return bool(host) and (parts.scheme, parts.netloc) == (api.scheme, api.netloc)
