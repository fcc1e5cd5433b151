"""Shares end on their own: a reminder with buttons before expiry, then 410 everywhere, even
across a restart of the bot."""

from __future__ import annotations

from datetime import timedelta

from bot.messages import Reply
from tests.bot_fixtures import bot_simulator_fixture  # noqa: F401
from tests.db_fixtures import database_url_fixture  # noqa: F401
from tests.share_fixtures import (  # noqa: F401
    ROOM,
    ShareStarter,
    share_starter_fixture,
    token_in,
)

EMAIL = "guest@example.com"


def is_reminder(reply: Reply) -> bool:
    return reply.title == "Stream share expiring"


async def test_the_creating_room_is_reminded_with_extend_and_revoke_buttons(
    share_starter: ShareStarter,
) -> None:
    async with share_starter(shares={"expiry": "4s", "reminder_lead": "3s"}) as shared:
        await shared.ask(f"share lobby, warehouse with {EMAIL}", room="R-ops")
        reminder = await shared.room.wait_for(is_reminder, timeout=15)
        [posted] = [p for p in shared.room.posted if is_reminder(p.reply)]
        assert posted.place.room_id == "R-ops"
        assert "Lobby" in reminder.text and "Warehouse" in reminder.text and EMAIL in reminder.text
        buttons = {b.label: b for b in reminder.buttons}
        assert buttons["Revoke"].command == f"revoke all {EMAIL}" and buttons["Revoke"].danger
        before = await shared.running.shares.active(email=EMAIL)
        await shared.ask(buttons["Extend 1 h"].command, room="R-ops")
        after = await shared.running.shares.active(email=EMAIL)
        assert [a.expires_at - b.expires_at for a, b in zip(after, before, strict=True)] == [
            timedelta(hours=1)
        ] * 2


async def test_an_expired_link_answers_410_to_page_playlist_and_segments(
    share_starter: ShareStarter,
) -> None:
    async with share_starter(shares={"expiry": "3s", "reminder_lead": "0s"}) as shared:
        token = token_in(await shared.ask(f"share lobby with {EMAIL}"))
        serial = shared.serial("Lobby")
        playlist = await shared.http.get(f"/s/{token}/{serial}.m3u8")
        assert playlist.status_code == 200
        segment = next(line for line in playlist.text.splitlines() if line.endswith(".ts"))
        assert (await shared.http.get(f"/s/{token}/{segment}")).status_code == 200

        assert await shared.running.shares.wait_ended(EMAIL, timeout=15)
        for path in ("", f"/{serial}.m3u8", f"/{segment}", f"/{serial}/live.json"):
            answer = await shared.http.get(f"/s/{token}{path}")
            assert answer.status_code == 410, path
            assert answer.headers["cache-control"] == "no-store"
        rows = await shared.running.shares.store.access_rows(email=EMAIL)
        assert rows[0].event.label == "link disabled"
        assert rows[0].detail is not None and rows[0].detail.startswith("expired")
        assert not shared.room.posted[2:], "no reminder for a share shorter than the lead"


async def test_expiry_survives_a_restart(share_starter: ShareStarter) -> None:
    settings = {"expiry": "3s", "reminder_lead": "0s"}
    async with share_starter(shares=settings) as shared:
        token = token_in(await shared.ask(f"share lobby with {EMAIL}"))
    async with share_starter(shares=settings) as restarted:
        assert await restarted.running.shares.wait_ended(EMAIL, timeout=15)
        assert (await restarted.http.get(f"/s/{token}")).status_code == 410
        rows = await restarted.running.shares.store.access_rows(email=EMAIL)
        assert [r.event.label for r in rows] == ["link disabled", "link generated"]


async def test_a_reminder_owed_before_a_restart_is_still_sent(share_starter: ShareStarter) -> None:
    settings = {"expiry": "5s", "reminder_lead": "3s"}
    async with share_starter(shares=settings) as shared:
        await shared.ask(f"share lobby with {EMAIL}", room=ROOM)
    async with share_starter(shares=settings) as restarted:
        reminder = await restarted.room.wait_for(is_reminder, timeout=15)
        assert EMAIL in reminder.text
        assert await restarted.running.shares.wait_ended(EMAIL, timeout=15)
