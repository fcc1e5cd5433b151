"""A share link in a real browser: headless Chromium plays the near-live stream, shows the
camera's own time, says how far behind live it is, and stops when the share is revoked."""

from __future__ import annotations

import io
import json

import numpy as np
from PIL import Image

from simulator.media import decode_stripe
from tests.bot_fixtures import bot_simulator_fixture  # noqa: F401
from tests.chromium import Chromium, chromium_fixture  # noqa: F401
from tests.share_fixtures import (  # noqa: F401
    ShareStarter,
    share_starter_fixture,
    sqlite_database_fixture,
)

PLAYER = "window.mvbotPlayer"
VIDEO = "document.getElementById('player')"


async def test_chromium_plays_the_stream_and_stops_when_it_is_revoked(
    share_starter: ShareStarter, chromium: Chromium
) -> None:
    async with share_starter() as shared:
        token = await shared.share("share lobby, warehouse with guest@example.com")
        shared_at = shared.running.services.clock().timestamp() * 1000
        page = await chromium.open(f"{shared.url}/s/{token}")

        await page.wait_until(f"{PLAYER} && {PLAYER}.phase === 'playing'", timeout=30)
        start = await page.evaluate(f"{VIDEO}.currentTime")
        await page.wait_until(f"{VIDEO}.currentTime >= {start + 5}", timeout=30)
        assert await page.evaluate(f"!{VIDEO}.paused && {VIDEO}.error === null")

        # The picture is the camera's: its burned-in time is the one the player says it shows.
        rect = await page.evaluate(
            f"(() => {{ const r = {VIDEO}.getBoundingClientRect();"
            " return {x: r.x, y: r.y, width: r.width, height: r.height}; })()"
        )
        before = await page.evaluate(f"{PLAYER}.wall")
        shot = Image.open(io.BytesIO(await page.screenshot(rect))).convert("RGB")
        after = await page.evaluate(f"{PLAYER}.wall")
        shown = decode_stripe(np.asarray(shot))
        assert before - 1500 <= shown <= after + 1500, (before, shown, after)
        now = shared.running.services.clock().timestamp() * 1000
        assert shared_at - 30_000 < shown < now

        status = await page.evaluate("document.getElementById('status').textContent")
        behind = await page.evaluate(f"{PLAYER}.behind")
        assert "behind" in status and 0 < behind < 30
        cameras = await page.evaluate(
            "[...document.querySelectorAll('.cameras a')].map(a => a.textContent)"
        )
        assert cameras == ["Lobby", "Warehouse"]

        await shared.ask("revoke all guest@example.com")
        await page.wait_until(f"{PLAYER}.phase === 'gone'", timeout=15)
        status = await page.evaluate("document.getElementById('status').textContent")
        assert "expired or was revoked" in status
        state = json.dumps(await page.evaluate(PLAYER))
        assert token not in state
