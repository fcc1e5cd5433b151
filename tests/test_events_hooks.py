"""Webhooks over a real socket: Meraki alerts and generic events are checked, stored, routed to
rooms and followed by their clip; bad secrets, signatures and bodies leave nothing behind."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapters.memory import MemoryAdapter
from bot.app import running_bot
from bot.events.hooks import SIGNATURE_HEADER, sign
from bot.events.ledger import AlertStatus
from bot.messages import Reply
from bot.web import create_app
from bot.web.server import web_server
from simulator import SimulatorServer
from tests.bot_fixtures import (  # noqa: F401
    BotUnderTest,
    bot_settings,
    bot_simulator_fixture,
    field_value,
    open_video,
    utc_ms,
)

SECRET = "hook-secret-0123"
LOBBY, GARAGE, SERVER_ROOM = "Q2FV-LBBY-0001", "Q2GV-GRGE-0002", "Q2HV-SRVR-0003"
DEADLINE = 40.0
ROUTES = [
    {"rooms": ["memory:R1"], "types": ["motion_alert"], "networks": ["HQ"]},
    {"rooms": ["memory:R2", "memory:R-secure", "memory:R1"], "cameras": ["Server Room"]},
]
ACCESS = {"default_role": "viewer", "restricted_tags": {"restricted": ["R-secure"]}}


@dataclass
class Hooked:
    bot: BotUnderTest
    http: httpx.AsyncClient

    async def meraki(self, body: dict[str, Any] | bytes) -> httpx.Response:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        return await self.http.post("/hooks/meraki", content=raw)

    async def event(
        self, body: dict[str, Any] | bytes, signature: str | None = ""
    ) -> httpx.Response:
        """Post signed (`signature` ""), with this signature, or unsigned (None)."""
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers: dict[str, str] = {}
        if signature is not None:
            headers[SIGNATURE_HEADER] = signature or sign(raw, SECRET)
        return await self.http.post("/hooks/events", content=raw, headers=headers)

    async def stored(self) -> tuple[int, int, int]:
        """Events, alerts and audit rows in the store."""
        events = self.bot.running.events
        audit = await self.bot.store.audit_rows(limit=1000)
        return (
            len(await events.alert_ledger.events()),
            len(await events.alert_ledger.alerts()),
            len(audit),
        )


@pytest.fixture(name="hooked")
async def hooked_fixture(tmp_path: Path, bot_simulator: SimulatorServer) -> AsyncIterator[Hooked]:
    async with serving_hooks(tmp_path, bot_simulator) as hooked:
        yield hooked


@asynccontextmanager
async def serving_hooks(
    tmp_path: Path, simulator: SimulatorServer, overrides: dict[str, Any] | None = None
) -> AsyncIterator[Hooked]:
    """A bot with the hook routes on a real socket, a memory room, and these settings."""
    settings = bot_settings(
        simulator, f"sqlite:///{tmp_path / 'mvbot.db'}", tmp_path / "data", ACCESS
    ).with_overrides(
        {
            "webhooks": {"secret": SECRET},
            "events": {"routes": ROUTES},
            "plates": {"snapshot": False},
            **(overrides or {}),
        }
    )
    room = MemoryAdapter()
    async with running_bot(settings, [room]) as running:
        app = create_app(
            metrics=running.services.metrics,
            health=_healthy,
            routes=running.events.routes(settings.webhooks.secret),
        )
        async with (
            web_server(app, "127.0.0.1", 0) as server,
            httpx.AsyncClient(base_url=server.url, timeout=DEADLINE) as http,
        ):
            yield Hooked(BotUnderTest(room, running, simulator, settings), http)


async def _healthy() -> dict[str, str]:
    return {"store": "ok"}


def motion_alert(serial: str, at: datetime, secret: str = SECRET) -> dict[str, Any]:
    return {
        "version": "0.1",
        "sharedSecret": secret,
        "sentAt": datetime.now(UTC).isoformat(),
        "organizationId": "549236",
        "networkId": "L_646829496481105433",
        "deviceSerial": serial,
        "deviceName": "Lobby",
        "alertId": "643451796760560974",
        "alertType": "Motion detected",
        "alertTypeId": "motion_alert",
        "alertLevel": "informational",
        "occurredAt": at.isoformat(),
        "alertData": {"timestamp": at.timestamp()},
    }


def is_clip(reply: Reply) -> bool:
    return reply.attachment is not None and reply.attachment.kind == "video"


def is_heads_up(reply: Reply) -> bool:
    return reply.attachment is None and bool(reply.buttons) and not reply.failed


async def test_a_motion_alert_is_routed_and_followed_by_a_minute_of_video(
    hooked: Hooked,
) -> None:
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=40)
    response = await hooked.meraki(motion_alert(LOBBY, at))
    assert response.status_code == 202, response.text
    assert response.json()["rooms"] == 1
    room = hooked.bot.room
    heads_up = await room.wait_for(is_heads_up, DEADLINE)
    assert "Motion detected" in heads_up.text and "Lobby" in heads_up.text
    clip = await room.wait_for(is_clip, DEADLINE)
    assert await hooked.bot.running.pending.wait_idle(DEADLINE)
    assert [p.place.room_id for p in room.posted] == ["R1", "R1"]
    assert room.posted[1].place.thread_id == "1"
    assert clip.attachment is not None
    video = open_video(clip.attachment.path)
    assert video.first_ms == utc_ms(at) - 30_000
    assert video.last_ms == utc_ms(at) + 30_000 - round(video.frame_ms)
    # The same delivery again (Meraki retries) is recognised, not told twice.
    again = await hooked.meraki(motion_alert(LOBBY, at))
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert len(await hooked.bot.running.events.alert_ledger.alerts()) == 1


async def test_a_badge_in_gets_ten_seconds_before_and_twenty_after(hooked: Hooked) -> None:
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=30)
    body = {
        "camera": "garage entrance",
        "time": at.isoformat(),
        "type": "access",
        "title": "Badge in: J. Smith",
        "details": {"door": "Garage north", "badge": "0042"},
        "rooms": ["memory:R7"],
    }
    response = await hooked.event(body)
    assert response.status_code == 202, response.text
    heads_up = await hooked.bot.room.wait_for(is_heads_up, DEADLINE)
    assert "Badge in: J. Smith" in heads_up.text
    assert field_value(heads_up, "door") == "Garage north"
    clip = await hooked.bot.room.wait_for(is_clip, DEADLINE)
    assert await hooked.bot.running.pending.wait_idle(DEADLINE)
    assert {p.place.room_id for p in hooked.bot.room.posted} == {"R7"}
    assert clip.attachment is not None
    video = open_video(clip.attachment.path)
    assert video.first_ms == utc_ms(at) - 10_000
    assert video.last_ms == utc_ms(at) + 20_000 - round(video.frame_ms)


async def test_a_restricted_camera_is_told_only_where_it_may_be_seen(hooked: Hooked) -> None:
    at = datetime.now(UTC) - timedelta(seconds=60)
    response = await hooked.meraki(motion_alert(SERVER_ROOM, at))
    assert response.status_code == 202 and response.json()["rooms"] == 1
    await hooked.bot.room.wait_for(is_clip, DEADLINE)
    assert await hooked.bot.running.pending.wait_idle(DEADLINE)
    alerts = await hooked.bot.running.events.alert_ledger.alerts()
    # Both rules match (R1 once); only R-secure may see the Server Room.
    assert [(a.place.room_id, a.status) for a in alerts] == [
        ("R1", AlertStatus.HIDDEN),
        ("R2", AlertStatus.HIDDEN),
        ("R-secure", AlertStatus.CLIP_PENDING),
    ]
    assert {p.place.room_id for p in hooked.bot.room.posted} == {"R-secure"}
    refused = await hooked.bot.store.audit_rows(action="alert", outcome="refused")
    assert {row.place_id for row in refused} == {"R1", "R2"}


@pytest.mark.parametrize(
    ("secret", "signature"),
    [("wrong-secret", "sha256=" + "0" * 64), ("", None)],
    ids=["wrong", "missing"],
)
async def test_a_wrong_secret_or_signature_is_refused_and_leaves_nothing(
    hooked: Hooked, secret: str, signature: str | None
) -> None:
    before = await hooked.stored()
    at = datetime.now(UTC) - timedelta(seconds=60)
    alert = motion_alert(LOBBY, at, secret)
    if not secret:
        del alert["sharedSecret"]
    assert (await hooked.meraki(alert)).status_code == 401
    event = {"camera": "lobby", "time": at.isoformat(), "title": "Till opened"}
    assert (await hooked.event(event, signature)).status_code == 401
    # Signed for another body: a tampered body fails too.
    tampered = json.dumps({**event, "title": "Till closed"}).encode()
    signed_other = sign(json.dumps(event).encode(), SECRET)
    assert (await hooked.event(tampered, signed_other)).status_code == 401
    assert await hooked.stored() == before
    assert hooked.bot.room.posted == []


async def test_a_body_that_is_not_a_json_event_is_a_bad_request(hooked: Hooked) -> None:
    before = await hooked.stored()
    assert (await hooked.meraki(b"{not json")).status_code == 400
    assert (await hooked.event(b"{not json")).status_code == 400
    assert (await hooked.event(b"[1, 2]")).status_code == 400
    missing_time = await hooked.event({"camera": "lobby", "title": "Till opened"})
    assert missing_time.status_code == 400 and "'time'" in missing_time.json()["error"]
    assert await hooked.stored() == before
    unknown = await hooked.event({"camera": "lobbby", "time": 1.7e9, "title": "Till opened"})
    assert unknown.status_code == 422 and "did you mean Lobby" in unknown.json()["error"]
    events, alerts, _ = await hooked.stored()
    assert (events, alerts) == (1, 0)  # the failed event is kept, and audited
    failed = await hooked.bot.store.audit_rows(action="event.received", outcome="failed")
    assert len(failed) == 1
