"""Streaming media (clips, snapshots) from temporary URLs to disk, bounded in size and time."""

from __future__ import annotations

import asyncio
import logging
import os
import random
import secrets
from pathlib import Path
from typing import BinaryIO

import httpx

from bot.meraki.errors import (
    DownloadTooLarge,
    MediaExpired,
    MerakiError,
    NotFound,
    Unavailable,
)
from bot.meraki.http import RetryPolicy
from bot.meraki.models import redact_url

log = logging.getLogger("bot.meraki")

_CHUNK = 256 * 1024


class _NotReady(Exception):
    """The media host does not have the file yet (404)."""


class _Transient(Exception):
    """A failure worth another attempt at the same URL."""


class MediaDownloader:
    """Fetches a media URL into a file: temp name, then rename; never the body in memory.

    Media URLs carry their own token, so no API key is sent and no budget slot is taken.
    The whole fetch, retries included, must finish within ``timeout``.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        policy: RetryPolicy | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._http = http
        self._policy = policy or RetryPolicy()
        self._rng = rng or random.Random()  # noqa: S311 (jitter, not a secret)

    async def fetch(
        self,
        url: str,
        dest: Path,
        *,
        max_bytes: int,
        timeout: float,  # noqa: ASYNC109 - covers retries and becomes a typed Unavailable
        operation: str,
        ready_wait: float = 0.0,
    ) -> Path:
        """Download ``url`` to ``dest``. A 404 is retried for up to ``ready_wait`` seconds.

        Raises MediaExpired (403/410), DownloadTooLarge, NotFound, Unavailable.
        """
        loop = asyncio.get_running_loop()
        ready_by = loop.time() + ready_wait
        not_ready_delay = 0.25
        failures = 0
        try:
            async with asyncio.timeout(timeout):
                while True:
                    try:
                        return await self._stream(url, dest, max_bytes, operation)
                    except _NotReady:
                        if loop.time() + not_ready_delay > ready_by:
                            raise NotFound(
                                f"{operation}: the media was not ready in time",
                                status=404,
                                operation=operation,
                            ) from None
                        await asyncio.sleep(not_ready_delay)
                        not_ready_delay = min(2.0, not_ready_delay * 2)
                    except _Transient as exc:
                        failures += 1
                        if failures >= self._policy.max_attempts:
                            raise Unavailable(
                                f"{operation}: the media download failed ({exc}, "
                                f"{failures} attempts)",
                                operation=operation,
                            ) from None
                        await asyncio.sleep(self._policy.backoff(failures, self._rng))
        except TimeoutError:
            raise Unavailable(
                f"{operation}: the media download took longer than {timeout:g} s",
                operation=operation,
            ) from None

    async def _stream(self, url: str, dest: Path, max_bytes: int, operation: str) -> Path:
        where = redact_url(url)
        try:
            async with self._http.stream("GET", url) as response:
                self._check_status(response.status_code, operation)
                declared = response.headers.get("content-length")
                if declared is not None and declared.isdigit() and int(declared) > max_bytes:
                    raise _too_large(operation, max_bytes)
                await self._save(response, dest, max_bytes, operation)
        except httpx.TimeoutException:
            raise _Transient("timed out") from None
        except httpx.RequestError as exc:
            raise _Transient(f"connection failed ({type(exc).__name__})") from None
        log.debug("meraki %s media %s saved to %s", operation, where, dest)
        return dest

    @staticmethod
    def _check_status(status: int, operation: str) -> None:
        if status in (403, 410):
            raise MediaExpired(
                f"{operation}: the media link has expired", status=status, operation=operation
            )
        if status == 404:
            raise _NotReady()
        if status >= 500 or status == 429:
            raise _Transient(f"HTTP {status}")
        if not 200 <= status < 300:
            raise MerakiError(
                f"{operation}: the media host answered HTTP {status}",
                status=status,
                operation=operation,
            )

    async def _save(
        self, response: httpx.Response, dest: Path, max_bytes: int, operation: str
    ) -> None:
        temp = dest.with_name(f".{dest.name}.{secrets.token_hex(4)}.part")
        out: BinaryIO = await asyncio.to_thread(temp.open, "wb")
        try:
            size = 0
            async for chunk in response.aiter_bytes(_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise _too_large(operation, max_bytes)
                await asyncio.to_thread(out.write, chunk)
            await asyncio.to_thread(out.close)
            await asyncio.to_thread(os.replace, temp, dest)
        except BaseException:
            await asyncio.shield(asyncio.to_thread(_discard, out, temp))
            raise


def _discard(out: BinaryIO, temp: Path) -> None:
    out.close()
    temp.unlink(missing_ok=True)


def _too_large(operation: str, max_bytes: int) -> DownloadTooLarge:
    return DownloadTooLarge(
        f"{operation}: the media is larger than {max_bytes:,} bytes", operation=operation
    )
