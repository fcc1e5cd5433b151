"""`follow health`, `link sensor`, `unlink sensor` and `sensors` through the real core on
each database: roles, what is stored, and bad input answered clearly with nothing changed."""

from __future__ import annotations

from bot.events.sensor_links import sensor_key
from bot.messages import Place, Tone
from bot.store import Outcome
from tests.bot_fixtures import (  # noqa: F401
    BotStarter,
    bot_simulator_fixture,
    bot_starter_fixture,
)
from tests.db_fixtures import database_url_fixture  # noqa: F401

LOBBY, GARAGE, SERVER_ROOM = "Q2FV-LBBY-0001", "Q2GV-GRGE-0002", "Q2HV-SRVR-0003"
ACCESS = {
    "default_role": "none",
    "admins": ["U1"],
    "operators": ["U2"],
    "viewers": ["U3"],
    "restricted_tags": {"restricted": ["R-secure"]},
}


async def test_following_health_by_network_and_unfollowing(bot_starter: BotStarter) -> None:
    async with bot_starter(access=ACCESS) as bot:
        store = bot.running.health.store
        (refused,) = await bot.ask("follow health", user="U3")
        assert refused.tone is Tone.REFUSED and await store.follows() == []
        (unknown,) = await bot.ask("follow health Atlantis", user="U2")
        assert "No network is called 'Atlantis'" in unknown.text and "HQ" in unknown.text
        (vague,) = await bot.ask("follow cameras", user="U2")
        assert "follow health" in vague.text and await store.follows() == []
        (done,) = await bot.ask("follow health hq", user="U2")
        assert done.tone is Tone.SUCCESS and "*HQ*" in done.text
        (follow,) = await store.follows()
        assert (follow.place, follow.network) == (Place("memory", "R1"), "HQ")
        (again,) = await bot.ask("follow health HQ", user="U2")
        assert "already follows" in again.text
        (gone,) = await bot.ask("unfollow health", user="U2")
        assert gone.tone is Tone.SUCCESS and await store.follows() == []
        (nothing,) = await bot.ask("unfollow health", user="U2")
        assert "does not follow" in nothing.text


async def test_linking_sensors_is_for_admins_and_names_real_cameras(
    bot_starter: BotStarter,
) -> None:
    async with bot_starter(access=ACCESS) as bot:
        links = bot.running.events.sensor_links
        (refused,) = await bot.ask("link sensor Back door to lobby", user="U2")
        assert refused.tone is Tone.REFUSED
        (typo,) = await bot.ask("link sensor Back door to lobbby, garage", user="U1")
        assert "lobbby" in typo.text and await links.all() == {}
        (hidden,) = await bot.ask("link sensor Back door to server room", user="U1")
        assert hidden.tone is Tone.REFUSED and await links.all() == {}
        (no_cameras,) = await bot.ask("link sensor Back door", user="U1")
        assert "Which cameras?" in no_cameras.text
        (done,) = await bot.ask('link sensor "Back  Door" to lobby, garage entrance', user="U1")
        assert done.tone is Tone.SUCCESS
        assert await links.all() == {sensor_key("back door"): [LOBBY, GARAGE]}
        (listed,) = await bot.ask("sensors", user="U1")
        assert listed.table[1] == ("back door", "Lobby, Garage Entrance", "command")
        (partly,) = await bot.ask("unlink sensor back door from lobby", user="U1")
        assert "Removed 1 link" in partly.text
        assert await links.all() == {"back door": [GARAGE]}
        await bot.ask("unlink sensor Back door", user="U1")
        (missing,) = await bot.ask("unlink sensor Back door", user="U1")
        assert "No stored link" in missing.text and bot.outcomes[-1] is not Outcome.OK
