"""An incident's timeline in a real browser: headless Chromium plays three cameras side by
side; after a click on an event every player shows the same instant (burned-in time)."""

from __future__ import annotations

import asyncio
import io
import os
from datetime import timedelta
from pathlib import Path

import numpy as np
from PIL import Image

from bot.grammar.formatting import iso_utc
from simulator.media import decode_stripe
from tests.bot_fixtures import utc_ms
from tests.chromium import Chromium, Page, chromium_fixture  # noqa: F401
from tests.incident_fixtures import (  # noqa: F401
    WAREHOUSE,
    IncidentStarter,
    incident_simulator_fixture,
    incident_starter_fixture,
)
from tests.share_fixtures import sqlite_database_fixture  # noqa: F401
from tests.test_incidents import event_at, page_url, window

TIMELINE = "window.mvbotTimeline"
PLAYERS = f"{TIMELINE}.players"
# Set to a folder to keep a screenshot of the page (docs/img/incident-timeline.png).
SCREENSHOT_DIR = "MVBOT_SCREENSHOT_DIR"
# The media time of the frame each player last put on screen (a seek's currentTime changes
# before its picture does), kept in window.presented.
WATCH_FRAMES = f"""
window.presented = {PLAYERS}.map(() => null);
{PLAYERS}.forEach((p, i) => {{
  const seen = (now, frame) => {{
    window.presented[i] = frame.mediaTime;
    p.requestVideoFrameCallback(seen);
  }};
  p.requestVideoFrameCallback(seen);
}});
"""


async def shown_times(page: Page) -> list[int]:
    """The UTC epoch ms burned into the picture each player shows, read off a screenshot."""
    rects = await page.evaluate(
        f"{PLAYERS}.map(p => {{ const r = p.getBoundingClientRect();"
        " return {x: r.x, y: r.y, width: r.width, height: r.height}; })"
    )
    times = []
    for rect in rects:
        shot = Image.open(io.BytesIO(await page.screenshot(rect))).convert("RGB")
        times.append(decode_stripe(np.asarray(shot)))
    return times


async def test_three_cameras_play_in_step_and_an_event_seeks_them_all(
    incident_starter: IncidentStarter, chromium: Chromium
) -> None:
    start = window()
    event = start + timedelta(seconds=12)
    async with incident_starter() as site:
        await event_at(site, event)
        ready = await site.made(
            f"incident lobby, garage entrance, {WAREHOUSE} {iso_utc(start)} 20s "
            '"forklift collision"'
        )
        page = await chromium.open(page_url(ready))
        await page.wait_until(
            f"{TIMELINE} && {PLAYERS}.length === 3 && {PLAYERS}.every(p => p.readyState >= 2)",
            timeout=30,
        )

        # Played: all three advance together.
        await page.evaluate("document.getElementById('play').click()")
        await page.wait_until(f"{PLAYERS}.every(p => !p.paused && p.currentTime > 2)", timeout=30)
        assert await page.evaluate(f"{PLAYERS}.every(p => p.error === null)")
        await page.evaluate("document.getElementById('play').click()")  # pause

        # A click on the event's mark on the time axis seeks every player to it.
        await page.evaluate(WATCH_FRAMES)
        await page.evaluate("document.querySelector('#marks .mark').click()")
        settled = (
            f"{PLAYERS}.every((p, i) => !p.seeking && p.readyState >= 2"
            " && Math.abs(p.currentTime - 12) < 0.05"
            " && Math.abs(window.presented[i] - 12) < 0.1)"
        )
        await page.wait_until(settled, timeout=30)
        # Two animation frames more: the presented picture is on screen for the screenshot.
        await page.evaluate(
            "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
        )
        # A loaded machine may paint a seeked player's frame a little later than it reports
        # the frame presented: look again for a while before judging.
        times = await shown_times(page)
        for _ in range(20):
            if max(times) - min(times) <= 500:
                break
            await asyncio.sleep(0.25)
            times = await shown_times(page)
        assert max(times) - min(times) <= 500, times
        assert all(abs(t - utc_ms(event)) <= 500 for t in times), (times, utc_ms(event))
        current = await page.evaluate(f"{PLAYERS}.map(p => p.currentTime)")
        assert max(current) - min(current) <= 0.5, current

        if folder := os.environ.get(SCREENSHOT_DIR):
            await page.send(
                "Emulation.setDeviceMetricsOverride",
                {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False},
            )
            picture = await page.screenshot()
            await asyncio.to_thread(Path(folder, "incident-timeline.png").write_bytes, picture)
