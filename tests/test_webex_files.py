"""A CSV attached to a Webex message, end to end: `watchlist import` downloads it from the fake
Webex with the bot token and imports it; `watchlist export` posts the list back as a file; a
file URL on another host never gets the token."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.outbox import FileUnreadable
from simulator import SimulatorServer
from tests.bot_fixtures import bot_simulator_fixture  # noqa: F401
from tests.fake_webex import FakeWebex, fake_webex_fixture  # noqa: F401
from tests.test_webex_bot import DEADLINE, ask, started_webex_bot

OPERATOR = "olga@example.com"


async def test_an_attached_csv_is_imported_and_the_list_exported(
    fake_webex: FakeWebex, bot_simulator: SimulatorServer, tmp_path: Path
) -> None:
    olga = fake_webex.add_person("Olga Ruiz", OPERATOR)
    async with started_webex_bot(fake_webex, bot_simulator, tmp_path, (OPERATOR,)) as bot:
        data = b"plate,note,hours\nABC-1234,Facilities,06:00-09:00 weekdays\nXYZ9876,,\n"
        await bot.deliver(ask(fake_webex, olga, "watchlist import", files=[data]))
        done = await fake_webex.wait_for_post(
            lambda p: "Imported 2 plates" in str(p.message.get("markdown")), DEADLINE
        )
        assert done.message["roomId"] == "room-group"
        await bot.deliver(ask(fake_webex, olga, "watchlist export"))
        exported = await fake_webex.wait_for_post(lambda p: p.file is not None, DEADLINE)
        assert exported.file is not None and exported.file.data.decode().splitlines() == [
            "plate,note,hours",
            "ABC1234,Facilities,06:00-09:00 weekdays",
            "XYZ9876,,",
        ]
        contents = fake_webex.calls("GET", "contents/")
        assert len(contents) == 1 and contents[0].headers["authorization"].startswith("Bearer ")
        with pytest.raises(FileUnreadable, match="not a Webex file"):
            async for _ in bot.adapter.read_file("http://127.0.0.1:9/contents/x/0"):
                pass
