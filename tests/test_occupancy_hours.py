"""Occupancy alerts with active hours: a count above the level outside them posts nothing
(the alert stays armed), and the first count above it inside them posts."""

from __future__ import annotations

from datetime import timedelta

from tests.bot_fixtures import bot_simulator_fixture  # noqa: F401
from tests.db_fixtures import database_url_fixture  # noqa: F401
from tests.occupancy_fixtures import (  # noqa: F401
    OPERATOR,
    WAREHOUSE,
    OccupancyStart,
    busy_simulator_fixture,
    occupancy_start_fixture,
)
from tests.test_occupancy_alerts import T0, alerts, dock_doors, drive


async def test_an_alert_fires_only_within_its_hours(occupancy_start: OccupancyStart) -> None:
    async with occupancy_start(occupancy={"alert_cooldown": "0s"}) as bot:
        directory = await bot.running.services.catalog.directory()
        record = directory.get(WAREHOUSE)
        assert record is not None
        zone = directory.zone(record)
        start, end = (T0 + timedelta(minutes=m) for m in (5, 10))
        hours = f"{start.astimezone(zone):%H:%M}-{end.astimezone(zone):%H:%M}"
        said = await bot.ask(
            f"occupancy alert warehouse zone dock doors above 10 {hours}", user=OPERATOR
        )
        assert f"during {hours}" in said[0].text
        bad = await bot.ask("occupancy alert warehouse above 10 blue", user=OPERATOR)
        assert bad[0].failed and "'blue' is not part of a schedule" in bad[0].text
        doors = dock_doors(bot)
        await drive(bot, doors, [12, 12, 12], T0)  # above, but before its hours
        assert alerts(bot) == []
        await drive(bot, doors, [12], T0 + timedelta(minutes=6))
        assert len(alerts(bot)) == 1
        assert hours in (await bot.ask("occupancy alerts"))[0].text
