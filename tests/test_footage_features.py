"""Exports and incidents enter the footage log too: `footage log` lists the clip, the export
and the incident with their askers, and `verify` knows each of their files."""

from __future__ import annotations

import hashlib

import pytest

from bot.exports import ExportStatus
from bot.messages import Reply
from tests.bot_fixtures import (  # noqa: F401
    DEFAULT_ACCESS,
    BotStarter,
    bot_simulator_fixture,
    bot_starter_fixture,
)
from tests.db_fixtures import database_url_fixture  # noqa: F401

ADMIN, OPERATOR = "U7", "U3"
ACCESS = {**DEFAULT_ACCESS, "admins": [ADMIN], "operators": [OPERATOR]}
WAIT = 60.0


def verified(replies: list[Reply]) -> str:
    assert len(replies) == 1 and not replies[0].failed, replies
    return replies[0].text


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_the_log_lists_clip_export_and_incident_and_verify_knows_them(
    bot_starter: BotStarter,
) -> None:
    async with bot_starter(access=ACCESS, exports={"part_length": "20s"}) as bot:
        assert any(r.attachment for r in await bot.ask("clip lobby 10m ago 5s", user="U1"))
        await bot.ask("export lobby 10m ago 20s", user=OPERATOR)
        export = await bot.running.exports.wait(1, WAIT)
        assert export is not None and export.status is ExportStatus.DONE, export
        await bot.ask('incident lobby, warehouse 10m ago 5s "door left open"', user=ADMIN)
        assert await bot.running.incidents.jobs.wait_idle(WAIT)

        log = (await bot.ask("footage log", user=ADMIN))[-1]
        rows = [(r[1].split()[0], r[5]) for r in log.table[1:]]
        # Newest first: the package and both clips of the incident, the export, the clip.
        assert rows == [("incident", ADMIN)] * 3 + [("export", OPERATOR), ("clip", "U1")], rows

        assert export.sha256
        text = verified(await bot.ask(f"verify {export.sha256}", user="U1"))
        assert text.startswith("Identical to the export of *Lobby*"), text

        ready = [
            p.reply
            for p in bot.room.posted
            if any(f.label == "Manifest SHA-256" for f in p.reply.fields)
        ]
        incident = await bot.running.incidents.store.incident(1)
        assert incident is not None and incident.package and len(ready) == 1
        folder = bot.settings.store.data_dir / "incidents" / "1"
        package = hashlib.sha256((folder / incident.package).read_bytes()).hexdigest()
        text = verified(await bot.ask(f"verify {package}", user="U1"))
        assert "#1 evidence package (Lobby, Warehouse)" in text, text
        clip = incident.cameras[0].sha256
        assert "the incident of *Lobby*" in verified(await bot.ask(f"verify {clip}", user="U1"))
