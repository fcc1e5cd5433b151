"""Alert deliveries: the heads-up and its clip offer the dashboard in a marked room, and the
clip mvbot posted on its own is in the footage log, asked for by mvbot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.messages import Place
from tests.bot_fixtures import bot_simulator_fixture, field_value, utc_ms  # noqa: F401
from tests.test_events_hooks import DEADLINE, Hooked, hooked_fixture, is_clip, is_heads_up  # noqa: F401


async def test_an_alert_offers_the_dashboard_and_logs_its_clip(hooked: Hooked) -> None:
    services = hooked.bot.running.services
    await services.dashboard.mark(Place("memory", "R7"), True, "admin")
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=30)
    body = {
        "camera": "garage entrance",
        "time": at.isoformat(),
        "type": "access",
        "title": "Badge in: J. Smith",
        "rooms": ["memory:R7", "memory:R8"],
    }
    assert (await hooked.event(body)).status_code == 202

    room = hooked.bot.room
    await room.wait_for(is_clip, DEADLINE)
    assert await hooked.bot.running.pending.wait_idle(DEADLINE)
    marked = [p.reply for p in room.posted if p.place.room_id == "R7"]
    other = [p.reply for p in room.posted if p.place.room_id == "R8"]
    (heads_up,) = [r for r in marked if is_heads_up(r)]
    (link,) = heads_up.link_buttons
    assert link.url.endswith(f"?timestamp={utc_ms(at)}")  # the moment itself, from the API
    (clip,) = [r for r in marked if is_clip(r)]
    assert clip.link_buttons and clip.link_buttons[0].url.startswith("https://")
    assert other and not any(r.link_buttons for r in other)

    # The same file went to two rooms: two deliveries, each in its heads-up's thread.
    logged = await services.footage.matching(field_value(clip, "SHA-256"))
    assert sorted((f.kind, f.camera, f.asker.id, f.place.room_id) for f in logged) == [
        ("clip", "Garage Entrance", "mvbot", "R7"),
        ("clip", "Garage Entrance", "mvbot", "R8"),
    ]
    assert all(f.place.thread_id is not None for f in logged)
