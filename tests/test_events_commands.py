"""The plate commands through the real core, and plate messages through the real ingest (fed
directly, without a broker): roles, watchlists, follows, recent plates and mutes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.events.ledger import AlertStatus
from bot.messages import Reply, Tone
from bot.store import Outcome
from tests.bot_fixtures import (  # noqa: F401
    BotStarter,
    BotUnderTest,
    bot_simulator_fixture,
    bot_starter_fixture,
)
from tests.db_fixtures import database_url_fixture  # noqa: F401

GARAGE, SERVER_ROOM = "Q2GV-GRGE-0002", "Q2HV-SRVR-0003"
ACCESS = {
    "default_role": "none",
    "operators": ["U1"],
    "viewers": ["U2"],
    "restricted_tags": {"restricted": ["R-secure"]},
}
DEADLINE = 30.0


async def read_plate(bot: BotUnderTest, plate: str, at: datetime, serial: str = GARAGE) -> None:
    """A plate message as the broker would hand it over, processed to the end."""
    payload = {"plate": plate, "ts": round(at.timestamp() * 1000), "confidence": 0.9}
    plates = bot.running.events.plates
    await plates.receive(f"/merakimv/{serial}/lpr", json.dumps(payload).encode())
    await plates.catch_up()


def is_heads_up(reply: Reply) -> bool:
    return (reply.title or "").startswith("Plate ")


async def test_watching_needs_the_operator_role_and_looking_the_viewer_role(
    bot_starter: BotStarter,
) -> None:
    async with bot_starter(access=ACCESS) as bot:
        refused = await bot.ask("watch plate ABC1234", user="U2")
        assert bot.outcomes == [Outcome.REFUSED]
        assert "operator role" in refused[0].text
        follow = await bot.ask("plates follow garage", user="U2")
        assert follow[0].tone is Tone.REFUSED
        await bot.ask('watch plate abc-1234 "Delivery van"')
        await bot.ask('watch plate "XY*" cooldown 1m')
        await bot.ask('watch plate abc1234 note "Van blue"')  # the same plate: updated, not added
        listed = await bot.ask("watchlist", user="U2")
        assert listed[0].table == (
            ("Plate", "Note", "Hours", "Cooldown", "Added by"),
            ("ABC1234", "Van blue", "always", "5m", "U1"),
            ("XY*", "–", "always", "1m", "U1"),
        )
        elsewhere = await bot.ask("watchlist", room="R2")
        assert "Nothing is watched here" in elsewhere[0].text


async def test_unwatching_finds_the_plate_however_it_is_spelled(bot_starter: BotStarter) -> None:
    async with bot_starter(access=ACCESS) as bot:
        await bot.ask("watch plate A8C1234")
        missing = await bot.ask("unwatch plate XYZ987")
        assert missing[0].failed and "`A8C1234`" in missing[0].text
        done = await bot.ask("unwatch plate abc-1234")
        assert done[0].tone is Tone.SUCCESS and "A8C1234" in done[0].text
        assert "Nothing is watched" in (await bot.ask("watchlist"))[0].text


async def test_a_followed_camera_reports_every_plate_and_recent_lists_them(
    bot_starter: BotStarter,
) -> None:
    async with bot_starter(access=ACCESS) as bot:
        restricted = await bot.ask("plates follow server room")
        assert restricted[0].tone is Tone.REFUSED
        await bot.ask("plates follow garage entrance")
        now = datetime.now(UTC)
        await read_plate(bot, "KLM-2468", now - timedelta(seconds=90))
        await read_plate(bot, "kl m2468", now - timedelta(seconds=89))  # the same car
        await read_plate(bot, "DEF-5150", now - timedelta(seconds=60))
        await read_plate(bot, "SRV-0001", now - timedelta(seconds=30), serial=SERVER_ROOM)
        recent = await bot.ask("plates recent garage", user="U2")
        assert [row[2] for row in recent[0].table[1:]] == ["DEF5150", "KLM2468"]
        assert recent[0].table[2][4] == "2"  # reads
        only = await bot.ask("plates recent KLM*", user="U2")
        assert [row[2] for row in only[0].table[1:]] == ["KLM2468"]
        # A room that may not see a camera does not see its plates either.
        everywhere = await bot.ask("plates recent", user="U2")
        assert [row[2] for row in everywhere[0].table[1:]] == ["DEF5150", "KLM2468"]
        secure = await bot.ask("plates recent", user="U2", room="R-secure")
        assert [row[2] for row in secure[0].table[1:]] == ["SRV0001", "DEF5150", "KLM2468"]
        assert await bot.running.events.alerts.wait_idle(DEADLINE)
        assert await bot.running.pending.wait_idle(DEADLINE)
        assert len([r for r in bot.room.replies if is_heads_up(r)]) == 2
        unfollowed = await bot.ask("plates unfollow garage entrance")
        assert "No longer following" in unfollowed[0].text


async def test_the_mute_button_keeps_the_room_quiet_about_that_plate(
    bot_starter: BotStarter,
) -> None:
    async with bot_starter(access=ACCESS) as bot:
        await bot.ask("watch plate ABC1234")
        now = datetime.now(UTC)
        await read_plate(bot, "ABC-1234", now - timedelta(minutes=20))
        heads_up = await bot.room.wait_for(is_heads_up, DEADLINE)
        mute = next(b for b in heads_up.buttons if b.label == "Mute this plate 1 h")
        said = await bot.ask(mute.command)
        assert said[0].tone is Tone.SUCCESS and "for 1h" in said[0].text
        await read_plate(bot, "A8C1234", now - timedelta(minutes=10))  # after the cooldown
        assert await bot.running.events.alerts.wait_idle(DEADLINE)
        assert await bot.running.pending.wait_idle(DEADLINE)
        assert len([r for r in bot.room.replies if is_heads_up(r)]) == 1
        statuses = [a.status for a in await bot.running.events.alert_ledger.alerts()]
        assert statuses == [AlertStatus.CLIP_PENDING, AlertStatus.MUTED]
        earlier = next(b for b in heads_up.buttons if b.label == "Clip 1 min before")
        assert earlier.command.startswith(f"clip {GARAGE} ") and earlier.command.endswith(" 1m")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_heads_up_posted_just_before_a_crash_is_not_posted_again(
    bot_starter: BotStarter, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with bot_starter(access=ACCESS) as before:
        await before.ask("watch plate MVB0007")
        alerts = before.running.events.alerts

        async def power_cut(*args: object) -> None:
            raise RuntimeError("power cut")

        # The heads-up goes out, then the process dies before it stores the clip job.
        monkeypatch.setattr(alerts, "_defer_clip", power_cut)
        await read_plate(before, "MVB-0007", datetime.now(UTC) - timedelta(seconds=40))
        await before.room.wait_for(is_heads_up, DEADLINE)
        assert await alerts.wait_idle(DEADLINE)
        (alert,) = await before.running.events.alert_ledger.alerts()
        assert alert.status is AlertStatus.ANNOUNCED
    async with bot_starter(access=ACCESS) as after:
        clip = await after.room.wait_for(lambda r: r.attachment is not None, DEADLINE)
        assert await after.running.pending.wait_idle(DEADLINE)
        assert [r for r in after.room.replies if is_heads_up(r)] == []
        assert after.room.posted[0].place.thread_id == alert.heads_up_id  # the first run's
        assert clip.tone is Tone.SUCCESS


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_read_that_always_fails_is_set_aside_and_the_next_ones_still_come(
    bot_starter: BotStarter, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with bot_starter(access=ACCESS) as bot:
        await bot.ask("plates follow garage entrance")
        plates = bot.running.events.plates
        await plates.stop()  # this test drives the processing itself
        process = plates.ledger.process

        async def poisoned(read_id: int, *args: Any) -> list[int]:
            if read_id == 1:
                raise ValueError("a row nobody expected")
            return await process(read_id, *args)

        monkeypatch.setattr(plates.ledger, "process", poisoned)
        now = datetime.now(UTC) - timedelta(seconds=60)
        for plate, at in (("BAD-0001", now), ("DEF-5150", now + timedelta(seconds=20))):
            payload = json.dumps({"plate": plate, "ts": round(at.timestamp() * 1000)})
            await plates.receive(f"/merakimv/{GARAGE}/lpr", payload.encode())
        for _ in range(2):  # perhaps the store is down: the read is kept and tried again
            with pytest.raises(ValueError):
                await plates.catch_up()
        assert await plates.catch_up() == 1
        heads_up = await bot.room.wait_for(is_heads_up, DEADLINE)
        assert "DEF5150" in heads_up.text
        assert all(read.processed for read in await plates.ledger.reads())
        failed = await bot.store.audit_rows(action="plate.sighting", outcome="failed")
        assert len(failed) == 1 and "plate read 1" in failed[0].command
        assert await bot.running.events.alerts.wait_idle(DEADLINE)
        assert await bot.running.pending.wait_idle(DEADLINE)
