"""Files people post with a command (a CSV to import), downloaded the one way every adapter
uses: only from the platform's own hosts (the bot token goes nowhere else), streamed to disk,
refused past a size limit."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import httpx

from bot.outbox import FileUnavailable

TIMEOUT = httpx.Timeout(30.0)


def on_hosts(url: str, api: str, domains: Collection[str]) -> bool:
    """Whether `url` is on the platform: the API's own origin, or https under one of
    `domains` ("slack.com")."""
    target, home = httpx.URL(url), httpx.URL(api)
    if (target.scheme, target.host, target.port) == (home.scheme, home.host, home.port):
        return True
    host = target.host
    return target.scheme == "https" and any(host == d or host.endswith("." + d) for d in domains)


async def download(url: str, token: str, dest: Path, limit: int, platform: str) -> None:
    """GET `url` with the bot token to `dest`; FileUnavailable (a sentence) when it fails or
    is over `limit` bytes. The caller has checked the host (`on_hosts`)."""
    headers = {"Authorization": f"Bearer {token}"}
    try:
        async with (
            httpx.AsyncClient(timeout=TIMEOUT) as http,
            http.stream("GET", url, headers=headers) as response,
        ):
            if response.status_code != 200:
                raise FileUnavailable(
                    f"{platform} would not give the file (status {response.status_code})."
                )
            written = 0
            with dest.open("wb") as out:  # at most `limit` bytes, in small chunks
                async for chunk in response.aiter_bytes():
                    written += len(chunk)
                    if written > limit:
                        raise FileUnavailable(f"That file is over {limit:,} bytes: too big.")
                    out.write(chunk)
    except httpx.HTTPError as error:
        raise FileUnavailable(f"The file could not be downloaded from {platform}.") from error
