"""Allow-list mode through the real core and ingest: at a camera set to `plates alert unknown`,
every plate not on the room's allow-list (OCR-tolerant, within its hours) is announced."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.messages import Tone
from tests.bot_fixtures import (  # noqa: F401
    BotStarter,
    BotUnderTest,
    bot_simulator_fixture,
    bot_starter_fixture,
)
from tests.db_fixtures import database_url_fixture  # noqa: F401
from tests.test_events_commands import ACCESS, DEADLINE, is_heads_up, read_plate
from tests.test_plate_hours import garage_zone, hours_around


async def test_plates_not_on_the_allow_list_are_announced(bot_starter: BotStarter) -> None:
    async with bot_starter(access=ACCESS) as bot:
        at = datetime.now(UTC) - timedelta(minutes=20)
        off = hours_around(at, await garage_zone(bot), inside=False)
        said = await bot.ask("plates alert unknown at garage entrance")
        assert said[0].tone is Tone.SUCCESS
        await bot.ask('allow plate ABC1234 note "Facilities van"')
        await bot.ask(f"allow plate NIGHT77 {off}")  # allowed only at other hours
        await read_plate(bot, "A8C-1234", at)  # the allowed van, as OCR reads it
        await read_plate(bot, "NIGHT77", at + timedelta(minutes=1))
        await read_plate(bot, "XYZ-9876", at + timedelta(minutes=2))
        assert await bot.running.events.alerts.wait_idle(DEADLINE)
        assert await bot.running.pending.wait_idle(DEADLINE)
        told = [r for r in bot.room.replies if is_heads_up(r)]
        assert sorted(r.title or "" for r in told) == [
            "Plate NIGHT77 — Garage Entrance",
            "Plate XYZ9876 — Garage Entrance",
        ]
        assert all("Not on this room's allow-list" in r.text for r in told)
        clips = [r for r in bot.room.replies if r.attachment and r.attachment.kind == "video"]
        assert len(clips) == 2
        listed = await bot.ask("allowlist", user="U2")
        assert listed[0].table[1:] == (
            ("ABC1234", "Facilities van", "always", "U1"),
            ("NIGHT77", "–", off, "U1"),
        )
        assert "*Garage Entrance*" in listed[0].text


async def test_allow_list_commands_change_only_what_they_say(bot_starter: BotStarter) -> None:
    async with bot_starter(access=ACCESS) as bot:
        refused = await bot.ask("allow plate ABC1234", user="U2")
        assert refused[0].tone is Tone.REFUSED
        assert (await bot.ask("plates alert unknown at garage", user="U2"))[0].tone is Tone.REFUSED
        bad = await bot.ask("allow plate ABC1234 blue van")
        assert "quotes" in bad[0].text
        assert (await bot.ask("allows"))[0].table == ()
        await bot.ask("allow plate ABC1234")
        missing = await bot.ask("unallow plate XYZ9876")
        assert missing[0].failed
        assert (await bot.ask("unallow plate abc-1234"))[0].tone is Tone.SUCCESS
        await bot.ask("plates alert unknown at garage 22:00-06:00")
        assert "(22:00-06:00)" in (await bot.ask("allowlist"))[0].text
        off = await bot.ask("plates alert unknown off at garage")
        assert "no longer announced" in off[0].text
        await read_plate(bot, "XYZ-9876", datetime.now(UTC) - timedelta(minutes=5))
        assert await bot.running.events.alerts.wait_idle(DEADLINE)
        assert [r for r in bot.room.replies if is_heads_up(r)] == []
