"""Incidents end to end: the bot behind a MemoryAdapter, the simulator over HTTP, the timeline
page and evidence ZIP over the bot's own web server."""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from datetime import UTC, datetime, timedelta

from bot.grammar.formatting import iso_utc
from bot.messages import Reply
from tests.bot_fixtures import open_video, utc_ms
from tests.incident_fixtures import (  # noqa: F401
    GARAGE,
    HOSTILE_CAMERA,
    LOBBY,
    WAREHOUSE,
    IncidentSite,
    IncidentStarter,
    incident_simulator_fixture,
    incident_starter_fixture,
)
from tests.share_fixtures import sqlite_database_fixture  # noqa: F401

DOCK = "Q2KV-LDCK-0005"  # offline for the last three hours
HOSTILE_NOTE = 'forklift </script><b onclick="x">collision</b> *bold* & `code`'
HOSTILE_EVENT = '<script>alert(1)</script> Door forced & "held"'
DATA = re.compile(r'<script type="application/json" id="timeline-data">(.*?)</script>', re.S)


def field(reply: Reply, label: str) -> str:
    found = [f.value for f in reply.fields if f.label == label]
    assert found, (label, reply)
    return found[0]


def page_url(reply: Reply) -> str:
    return next(link.url for link in reply.links if link.label == "Timeline")


def window() -> datetime:
    """A 20 s window ten minutes ago, on a whole second, well inside the simulated cloud."""
    now = datetime.now(UTC).replace(microsecond=0)
    return now - timedelta(minutes=10)


async def event_at(site: IncidentSite, at: datetime) -> None:
    """A webhook event on Lobby, stored by the real intake (routed to no room)."""
    body = {"camera": "Lobby", "title": HOSTILE_EVENT, "time": iso_utc(at), "rooms": []}
    answer = await site.running.events.intake.generic(body, json.dumps(body).encode())
    assert answer.status == 200, answer


async def test_an_incident_collects_every_camera_serves_its_timeline_and_a_checked_zip(
    incident_starter: IncidentStarter,
) -> None:
    start = window()
    async with incident_starter() as site:
        await event_at(site, start + timedelta(seconds=12))
        ready = await site.made(
            f"incident lobby, garage entrance, {WAREHOUSE}, loading dock {iso_utc(start)} 20s "
            f"'{HOSTILE_NOTE}'"
        )
        assert ready.title == "Incident 1"
        rows = {row[1]: row for row in ready.table[1:]}
        assert set(rows) == {LOBBY, GARAGE, WAREHOUSE, DOCK}
        # The camera offline all along is reported, and the others still delivered.
        assert rows[DOCK][3] == "not delivered"
        assert any("Loading Dock was offline" in note for note in ready.context)
        assert "1 stored event marked on the timeline" in ready.text

        # The evidence package: its manifest's checksum is the one in the reply, and every
        # file's checksum in the manifest is that file's, and the table's.
        page = page_url(ready)
        got = await site.http.get(f"{page}/evidence.zip")
        assert got.status_code == 200
        assert hashlib.sha256(got.content).hexdigest() == field(ready, "ZIP SHA-256")
        with zipfile.ZipFile(io.BytesIO(got.content)) as package:
            raw = package.read("manifest.json")
            assert hashlib.sha256(raw).hexdigest() == field(ready, "Manifest SHA-256")
            manifest = json.loads(raw)
            assert {f["serial"] for f in manifest["files"]} == {LOBBY, GARAGE, WAREHOUSE}
            assert [m["serial"] for m in manifest["missing"]] == [DOCK]
            assert "was offline" in manifest["missing"][0]["reason"]
            for entry in manifest["files"]:
                content = package.read(entry["file"])
                assert hashlib.sha256(content).hexdigest() == entry["sha256"]
                assert rows[entry["serial"]][3] == entry["sha256"]
                assert entry["start"] == iso_utc(start) and entry["size"] == len(content)
            assert sorted(package.namelist()) == sorted(
                ["manifest.json", *(f["file"] for f in manifest["files"])]
            )
        assert manifest["note"] == HOSTILE_NOTE
        assert manifest["asked_by"]["id"] == "U1"
        assert manifest["asked_in"] == {
            "platform": "memory",
            "room_id": "R1",
            "thread_id": None,
            "direct": False,
        }
        assert [e["text"] for e in manifest["events"]] == [HOSTILE_EVENT]
        assert HOSTILE_CAMERA in {f["camera"] for f in manifest["files"]}

        # Each file starts at the window's first instant (the time burned into its frames).
        folder = site.running.incidents.jobs.folder(1)
        for entry in manifest["files"]:
            video = open_video(folder / entry["file"])
            assert abs(video.first_ms - utc_ms(start)) <= video.frame_ms, entry["camera"]
            assert abs(video.duration - 20) < 0.5

        # The page escapes what people and devices wrote, in its HTML and in its JSON.
        got = await site.http.get(page)
        assert got.status_code == 200
        assert "script-src 'self'" in got.headers["content-security-policy"]
        html = got.text
        for hostile in (HOSTILE_NOTE, HOSTILE_EVENT, HOSTILE_CAMERA):
            assert hostile not in html
        assert "<img" not in html and "<b " not in html and "alert(1)</script>" not in html
        assert "&lt;/script&gt;&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
        block = DATA.search(html)
        assert block is not None and "<" not in block.group(1)
        data = json.loads(block.group(1))
        assert [e["text"] for e in data["events"]] == [HOSTILE_EVENT]
        assert data["events"][0]["offset"] == 12
        assert HOSTILE_CAMERA in {c["name"] for c in data["cameras"]}

        # Players ask for ranges of each clip.
        clip = next(f["file"] for f in manifest["files"] if f["serial"] == LOBBY)
        got = await site.http.get(f"{page}/files/{clip}", headers={"Range": "bytes=0-99"})
        assert got.status_code == 206 and len(got.content) == 100
        assert (await site.http.get(f"{page}/files/..%2Fmanifest.json")).status_code == 404

        # Past `[incidents] link_valid` (7 days) the link is gone.
        services = site.running.services
        later = services.clock() + timedelta(days=7, seconds=1)
        services.clock = lambda: later
        assert (await site.http.get(page)).status_code == 410


async def test_a_window_not_yet_in_the_cloud_is_collected_after_a_restart(
    incident_starter: IncidentStarter,
) -> None:
    async with incident_starter() as site:
        asked = await site.ask('incident lobby, garage entrance 2s ago 2s "late"')
        assert "will post the timeline" in asked[0].text
        assert await site.running.incidents.jobs.unfinished() == 1
    async with incident_starter() as site:
        await site.collected()
        ready = [r for r in (p.reply for p in site.room.posted) if r.fields]
        assert len(ready) == 1 and ready[0].title == "Incident 1"
        assert all(row[3] != "not delivered" for row in ready[0].table[1:])
