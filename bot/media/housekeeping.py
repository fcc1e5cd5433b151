"""Housekeeping: delete old clips, snapshots and charts so the data directory does not grow."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path

log = logging.getLogger(__name__)

SWEEP_EVERY = 3600.0  # seconds; files live for days, so hourly is plenty


def sweep(folder: Path, keep: timedelta, now: float | None = None) -> int:
    """Delete the files under `folder` last changed more than `keep` ago; returns how many."""
    cutoff = (now if now is not None else time.time()) - keep.total_seconds()
    removed = 0
    for path in folder.rglob("*"):
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue  # removed meanwhile (a clip's scratch parts, say)
    return removed


@contextlib.asynccontextmanager
async def sweeping(
    folder: Path, keep: timedelta, forget: Callable[[], Awaitable[int]] | None = None
) -> AsyncIterator[None]:
    """Sweep `folder` now and then every hour while the block runs; `forget` deletes old
    rows of the store's (how many) at the same pace."""

    async def loop() -> None:
        while True:
            removed = await asyncio.to_thread(sweep, folder, keep)
            if removed:
                log.info("housekeeping removed=%d folder=%s", removed, folder)
            if forget is not None:
                try:
                    if forgotten := await forget():
                        log.info("housekeeping forgot=%d rows", forgotten)
                except Exception as error:  # the next hour tries again
                    log.warning("housekeeping of the store failed error=%r", error)
            await asyncio.sleep(SWEEP_EVERY)

    task = asyncio.create_task(loop())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
