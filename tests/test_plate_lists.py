"""Plate lists as CSV on the console (a path names the file there, and only there), through the
real core: an allow-list imported from a file, exported back; nothing changes on a bad file."""

from __future__ import annotations

from pathlib import Path

from adapters.memory import MemoryAdapter
from bot.app import running_bot
from bot.messages import Tone
from simulator import SimulatorServer
from tests.bot_fixtures import BotUnderTest, bot_settings, bot_simulator_fixture  # noqa: F401
from tests.test_events_commands import ACCESS


async def test_a_console_path_imports_and_other_platforms_refuse_paths(
    tmp_path: Path, bot_simulator: SimulatorServer
) -> None:
    database = f"sqlite:///{tmp_path / 'mvbot.db'}"
    settings = bot_settings(bot_simulator, database, tmp_path / "data", ACCESS)
    console, memory = MemoryAdapter("console"), MemoryAdapter()
    good, bad = tmp_path / "allow.csv", tmp_path / "bad.csv"
    good.write_text("plate,note,hours\nABC-1234,=Facilities,06:00-09:00 weekdays\nXY*,,\n")
    bad.write_bytes(b"plate,note\nDEF5150,caf\xe9\n")
    async with running_bot(settings, [console, memory]) as running:
        at_console = BotUnderTest(console, running, bot_simulator, settings)
        elsewhere = BotUnderTest(memory, running, bot_simulator, settings)
        refused = await elsewhere.ask(f"allowlist import {good}")
        assert refused[0].failed and "console only" in refused[0].text
        not_utf8 = await at_console.ask(f"allowlist import {bad}")
        assert not_utf8[0].tone is Tone.ERROR and "not UTF-8" in not_utf8[0].text
        viewer = await at_console.ask(f"allowlist import {good}", user="U2")
        assert viewer[0].tone is Tone.REFUSED
        assert (await at_console.ask("allowlist"))[0].table == ()
        done = await at_console.ask(f"allowlist import {good}")
        assert "Imported 2 plates" in done[0].text
        listed = await at_console.ask("allowlist")
        assert listed[0].table[1] == ("ABC1234", "=Facilities", "06:00-09:00 weekdays", "U1")
        exported = await at_console.ask("allowlist export", user="U2")
        attachment = exported[0].attachment
        assert attachment is not None and attachment.mime == "text/csv"
        assert attachment.path.read_text().splitlines() == [
            "plate,note,hours",
            "ABC1234,'=Facilities,06:00-09:00 weekdays",
            "XY*,,",
        ]
        missing = await at_console.ask(f"watchlist import {tmp_path / 'nope.csv'}")
        assert missing[0].failed and "Cannot read" in missing[0].text
