"""Warm start: the camera directory is loaded while mvbot starts, so the first command after a
restart is acknowledged without waiting for the Dashboard API."""

from __future__ import annotations

import gc
from pathlib import Path

from simulator import SimulatorServer
from tests.bot_fixtures import bot_simulator_fixture  # noqa: F401
from tests.fake_slack import FakeSlack, fake_slack_fixture  # noqa: F401
from tests.slack_requests import slack_bot

DIRECTORY = ("/devices", "/networks", "/availabilities", "/camera/sense")


async def test_the_first_slash_command_after_a_start_asks_the_api_nothing_to_acknowledge(
    bot_simulator: SimulatorServer, fake: FakeSlack, tmp_path: Path
) -> None:
    async with slack_bot(bot_simulator, fake, tmp_path / "data") as bot:
        paths = {record.path for record in bot_simulator.state.requests}
        assert any(path.endswith("/devices") for path in paths)  # loaded during the start
        before = len(bot_simulator.state.requests)
        answer = await bot.command("clip lobby 10m ago 1m")
        after = [record.path for record in bot_simulator.state.requests[before:]]

    assert answer.status_code == 200
    assert "Lobby" in answer.text
    # The acknowledgement named the camera from the directory loaded at start: the command
    # asked the API for its clip only, never for the directory.
    assert not [path for path in after if path.endswith(DIRECTORY)]


async def test_what_start_up_loaded_is_left_out_of_full_collections_until_the_bot_stops(
    bot_simulator: SimulatorServer, fake: FakeSlack, tmp_path: Path
) -> None:
    # A full collection walks every object the process holds; a plate burst triggers several
    # (docs/benchmarks.md, plate ingest). What start-up loaded is frozen while the bot runs…
    assert gc.get_freeze_count() == 0
    async with slack_bot(bot_simulator, fake, tmp_path / "data"):
        assert gc.get_freeze_count() > 10_000
    # … and given back when it stops, so bots started one after another leave nothing behind.
    assert gc.get_freeze_count() == 0
