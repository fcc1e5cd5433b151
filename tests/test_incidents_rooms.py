"""Incidents in rooms, on every database backend: listed, shown, extended by a camera, and
revoked (then every link answers 410); another room sees none of it."""

from __future__ import annotations

import asyncio
import io
import json
import re
import zipfile
from datetime import timedelta
from pathlib import Path

from bot.grammar.formatting import iso_utc
from tests.db_fixtures import database_url_fixture  # noqa: F401
from tests.incident_fixtures import (  # noqa: F401
    IncidentStarter,
    incident_simulator_fixture,
    incident_starter_fixture,
)
from tests.test_incidents import field, page_url, window


async def test_listing_adding_a_camera_and_revoking(incident_starter: IncidentStarter) -> None:
    start = window()
    async with incident_starter() as site:
        first = await site.made(f'incident lobby, garage entrance {iso_utc(start)} 5s "first"')
        old = field(first, "Manifest SHA-256")
        listed = await site.ask("incidents")
        assert listed[0].table[1][:2] == ("1", "first") and listed[0].table[1][3] == "2"

        # Another room does not see it, and cannot change it.
        for text in ("incident 1", "incident 1 revoke", "incident 1 add warehouse"):
            other = await site.ask(text, room="R2")
            assert other[0].failed and "no incident 1 in this room" in other[0].text

        added = await site.ask("incident 1 add parking lot")
        assert not added[0].failed, added
        await site.collected()
        again = [r for r in (p.reply for p in site.room.posted) if r.fields][-1]
        assert field(again, "Manifest SHA-256") != old
        got = await site.http.get(f"{page_url(again)}/evidence.zip")
        with zipfile.ZipFile(io.BytesIO(got.content)) as package:
            manifest = json.loads(package.read("manifest.json"))
        assert [f["camera"] for f in manifest["files"]] == [
            "Lobby",
            "Garage Entrance",
            "Parking Lot",
        ]
        folder: Path = site.running.incidents.jobs.folder(1)
        packages = await asyncio.to_thread(lambda: sorted(p.name for p in folder.glob("*.zip")))
        assert packages == ["incident-1-r2.zip"]
        shown = await site.ask("incident 1")
        assert [row[0] for row in shown[0].table[1:]] == ["Lobby", "Garage Entrance", "Parking Lot"]

        # Only the asker or an operator revokes; then every link answers 410.
        refused = await site.ask("incident 1 revoke", user="U2")
        assert refused[0].failed
        page = page_url(again)
        assert (await site.http.get(page)).status_code == 200
        revoked = await site.ask("incident 1 revoke")
        assert not revoked[0].failed
        for url in (page, f"{page}/evidence.zip", f"{page}/files/{manifest['files'][0]['file']}"):
            assert (await site.http.get(url)).status_code == 410, url
        assert (await site.ask("incident 1"))[0].links == ()

        # A token not signed by mvbot is unknown, not gone.
        forged = re.sub(r"-[0-9a-f]{40}$", "-" + "0" * 40, page)
        assert (await site.http.get(forged)).status_code == 404


async def test_a_command_run_again_after_a_restart_finds_the_incident_it_made(
    incident_starter: IncidentStarter,
) -> None:
    start = window()
    async with incident_starter() as site:
        service = site.running.incidents
        directory = await site.running.services.catalog.directory()
        lobby = directory.resolve("lobby")
        message = site.room.message("incident lobby …")
        made = [
            await service.create(
                [lobby],
                start,
                start + timedelta(seconds=2),
                "UTC",
                "",
                message.place,
                message.person,
                "delivery-7",
            )
            for _ in range(2)
        ]
        assert made[0][0].id == made[1][0].id == 1
        await site.collected()
        assert len(await site.running.services.store.jobs(kind="incident")) == 1
        assert (await site.ask("incidents"))[0].table[2:] == ()


async def test_an_incident_stored_just_before_a_crash_is_collected_after_the_restart(
    incident_starter: IncidentStarter,
) -> None:
    start = window()
    async with incident_starter() as site:
        # The incident is stored; the process stops before its job is.
        message = site.room.message("incident lobby …")
        number, _ = await site.running.incidents.store.create(
            note="cut short",
            start=start,
            end=start + timedelta(seconds=2),
            time_zone="UTC",
            place=message.place,
            asker={"platform": "memory", "id": "U1", "name": None, "email": None},
            cameras=[("Q2FV-LBBY-0001", "Lobby", "MV12")],
            now=start,
            link_expires_at=start + timedelta(days=7),
        )
    async with incident_starter() as site:
        await site.collected()
        ready = [r for r in (p.reply for p in site.room.posted) if r.fields]
        assert [r.title for r in ready] == [f"Incident {number}"]
        assert field(ready[0], "Manifest SHA-256")
