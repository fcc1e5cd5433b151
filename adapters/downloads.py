"""Streaming a file someone posted with a command from its chat platform, with the bot token.

Each platform decides first that the URL is its own (the token goes nowhere else); this
only streams it, and turns every way it can fail into a FileUnreadable sentence.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx

from bot.outbox import FileUnreadable

DOWNLOAD_TIMEOUT = httpx.Timeout(60.0)
DOWNLOAD_CHUNK = 1 << 20


async def stream_with_token(url: str, token: str, platform: str) -> AsyncIterator[bytes]:
    """The file at `url` in chunks, fetched with `Authorization: Bearer <token>`."""
    headers = {"Authorization": f"Bearer {token}"}
    try:
        async with (
            httpx.AsyncClient(timeout=DOWNLOAD_TIMEOUT) as http,
            http.stream("GET", url, headers=headers) as response,
        ):
            if response.status_code != 200:
                raise FileUnreadable(f"{platform} answered {response.status_code} for that file.")
            async for chunk in response.aiter_bytes(DOWNLOAD_CHUNK):
                yield chunk
    except httpx.HTTPError as error:
        raise FileUnreadable(
            f"Reading that file from {platform} failed ({type(error).__name__})."
        ) from None
