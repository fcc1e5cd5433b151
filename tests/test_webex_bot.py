"""The bot in Webex, end to end over real sockets: a fake Webex API, mvbot's web server with
`/webex/events`, the real core, and the simulated Meraki cloud behind it."""

from __future__ import annotations

import hashlib
import hmac
import html
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapters.webex import WebexAdapter, build_webex_adapter
from bot.app import Running, running_bot
from bot.run import stored_signing_key
from bot.store import Outcome
from bot.telemetry.latency import SLASH_ACK
from bot.web import create_app
from bot.web.links import FileLinks
from bot.web.server import web_server
from simulator import SimulatorServer
from tests.bot_fixtures import bot_settings, bot_simulator_fixture, open_video, utc_ms  # noqa: F401
from tests.fake_webex import BOT_ID, TOKEN, FakeWebex, Posted, UploadedFile, fake_webex_fixture  # noqa: F401
from tests.metrics_text import Samples

SECRET = "webex-hook-secret"
ANN_EMAIL = "ann@example.com"  # a viewer by e-mail
BOB_ID_NAME = "bob"  # a viewer by Webex personId
DEADLINE = 60.0  # seconds any single answer may take; answers here come within a few


@dataclass
class WebexBot:
    fake: FakeWebex
    adapter: WebexAdapter
    running: Running
    simulator: SimulatorServer
    http: httpx.AsyncClient

    async def deliver(
        self, delivery: dict[str, Any], secret: str | None = SECRET
    ) -> httpx.Response:
        """POST a delivery to mvbot as Webex would, signed with `secret` (None: unsigned)."""
        body = json.dumps(delivery).encode()
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Spark-Signature"] = hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()
        return await self.http.post("/webex/events", content=body, headers=headers)


@pytest.fixture
async def webex_bot(
    fake_webex: FakeWebex, bot_simulator: SimulatorServer, tmp_path: Path
) -> AsyncIterator[WebexBot]:
    async with started_webex_bot(fake_webex, bot_simulator, tmp_path) as bot:
        yield bot


@asynccontextmanager
async def started_webex_bot(
    fake_webex: FakeWebex,
    bot_simulator: SimulatorServer,
    tmp_path: Path,
    operators: tuple[str, ...] = (),
) -> AsyncIterator[WebexBot]:
    """mvbot with its Webex adapter; started again on the same path, a restarted process."""
    bob_id = fake_webex.people.get(BOB_ID_NAME) or fake_webex.add_person(
        "Bob Diaz", "bob@example.com", person_id=BOB_ID_NAME
    )
    bob_id = bob_id["id"]
    data_dir = tmp_path / "data"
    settings = bot_settings(
        bot_simulator,
        f"sqlite:///{tmp_path / 'mvbot.db'}",
        data_dir,
        access={"default_role": "none", "viewers": [ANN_EMAIL, bob_id], "operators": operators},
    ).with_overrides(
        {"webex": {"bot_token": TOKEN, "webhook_secret": SECRET, "api_url": fake_webex.url}}
    )
    links = FileLinks(
        await stored_signing_key(settings), "https://mvbot.example", data_dir / "media"
    )
    adapter = build_webex_adapter(settings.webex, links)
    assert adapter is not None

    async def health() -> dict[str, str]:
        return {"store": "ok"}

    async with running_bot(settings, [adapter]) as running:
        app = create_app(
            metrics=running.services.metrics,
            health=health,
            links=links,
            routes=adapter.routes(running.services.metrics),
        )
        async with (
            web_server(app, "127.0.0.1", 0) as server,
            httpx.AsyncClient(base_url=server.url) as http,
        ):
            yield WebexBot(fake_webex, adapter, running, bot_simulator, http)


def mention_html(command: str) -> str:
    tag = (
        f'<spark-mention data-object-type="person" data-object-id="{BOT_ID}">mvbot</spark-mention>'
    )
    return f"<p>{tag} {command}</p>"


def ask(fake: FakeWebex, person: dict[str, Any], command: str, **where: Any) -> dict[str, Any]:
    """Someone @mentions the bot in a group space; the delivery Webex would send for it."""
    return fake.user_message(person, f"mvbot {command}", html=mention_html(command), **where)


def has_file(posted: Posted) -> bool:
    return posted.file is not None


def saved(upload: UploadedFile, directory: Path) -> Path:
    path = directory / upload.name
    path.write_bytes(upload.data)
    return path


async def test_a_mention_in_a_group_space_gets_the_clip_with_its_checksum(
    webex_bot: WebexBot, tmp_path: Path
) -> None:
    fake = webex_bot.fake
    ann = fake.add_person("Ann Lee", ANN_EMAIL, time_zone="Europe/Amsterdam")
    delivery = ask(fake, ann, "clip lobby 10m ago 2m")
    asked = datetime.now(UTC)

    response = await webex_bot.deliver(delivery)
    assert response.status_code == 200
    posted = await fake.wait_for_post(has_file, DEADLINE)
    answered = datetime.now(UTC)
    await webex_bot.running.runner.idle()

    message, upload = posted.message, posted.file
    assert upload is not None
    # In the space it was asked in, threaded under the question.
    assert message["roomId"] == "room-group"
    assert message["parentId"] == delivery["data"]["id"]
    assert upload.name.endswith(".mp4") and upload.content_type == "video/mp4"
    video = open_video(saved(upload, tmp_path))
    assert "mp4" in video.format.split(",")
    assert abs(video.duration - 120) <= 1
    assert utc_ms(asked) - 600_000 - 2000 <= video.first_ms <= utc_ms(answered) - 600_000
    assert f"**SHA-256:** {hashlib.sha256(upload.data).hexdigest()}" in message["markdown"]
    assert "**Your time:**" in message["markdown"]  # Ann's Webex time zone is not the camera's

    # Its buttons follow as a card in the same thread, and nothing else was posted.
    assert [p.file is not None for p in fake.posted] == [True, False]
    card = fake.posted[1].message
    assert card["parentId"] == delivery["data"]["id"]
    assert card["attachments"][0]["content"]["version"] == "1.3"

    # People are audited by Webex personId and e-mail.
    (audit,) = await webex_bot.running.services.store.audit_rows(limit=5)
    assert (audit.person_id, audit.person_email) == (ann["id"], ANN_EMAIL)
    assert (audit.platform, audit.place_id, audit.outcome) == ("webex", "room-group", Outcome.OK)


async def test_an_unsigned_or_wrongly_signed_delivery_is_refused_and_runs_nothing(
    webex_bot: WebexBot,
) -> None:
    fake = webex_bot.fake
    ann = fake.add_person("Ann Lee", ANN_EMAIL)
    delivery = ask(fake, ann, "clip lobby 10m ago 2m")
    webex_calls, meraki_calls = len(fake.received), len(webex_bot.simulator.state.requests)

    unsigned = await webex_bot.deliver(delivery, secret=None)
    wrong = await webex_bot.deliver(delivery, secret="not-the-secret")
    signed = json.dumps(delivery).encode()
    tampered = await webex_bot.http.post(
        "/webex/events",
        content=signed.replace(b"room-group", b"room-other"),
        headers={"X-Spark-Signature": hmac.new(SECRET.encode(), signed, hashlib.sha1).hexdigest()},
    )
    await webex_bot.running.runner.idle()

    assert [unsigned.status_code, wrong.status_code, tampered.status_code] == [401, 401, 401]
    assert len(fake.received) == webex_calls
    assert len(webex_bot.simulator.state.requests) == meraki_calls
    assert fake.posted == []


async def test_the_bots_own_messages_do_not_trigger_it(webex_bot: WebexBot) -> None:
    fake = webex_bot.fake
    webex_calls, meraki_calls = len(fake.received), len(webex_bot.simulator.state.requests)
    own = fake.user_message(fake.people[BOT_ID], "clip lobby 10m ago 2m", room_type="direct")

    assert (await webex_bot.deliver(own)).status_code == 200
    await webex_bot.running.runner.idle()

    assert len(fake.received) == webex_calls  # not even fetched
    assert len(webex_bot.simulator.state.requests) == meraki_calls
    assert fake.posted == []


async def test_a_card_button_runs_its_command_for_whoever_pressed_it(
    webex_bot: WebexBot, tmp_path: Path
) -> None:
    fake = webex_bot.fake
    ann = fake.add_person("Ann Lee", ANN_EMAIL)
    delivery = ask(fake, ann, "clip lobby 10m ago 5s")
    await webex_bot.deliver(delivery)
    await fake.wait_for_post(lambda p: "attachments" in p.message, DEADLINE)
    await webex_bot.running.runner.idle()
    card = fake.posted[-1].message
    actions = card["attachments"][0]["content"]["actions"]
    snapshot = next(a for a in actions if a["title"] == "Snapshot")
    before = len(fake.posted)

    bob = fake.people[BOB_ID_NAME]
    assert (
        await webex_bot.deliver(fake.card_press(card, bob, snapshot["data"]))
    ).status_code == 200
    await webex_bot.running.runner.idle()

    image = next(p for p in fake.posted[before:] if p.file is not None)
    assert image.file is not None and image.file.content_type == "image/jpeg"
    assert image.message["parentId"] == delivery["data"]["id"]  # the card's thread
    assert "Lobby" in image.message["markdown"]
    audit = (await webex_bot.running.services.store.audit_rows(limit=1))[0]
    assert (audit.person_id, audit.command) == (BOB_ID_NAME, snapshot["data"]["command"])
    assert any("generateSnapshot" in r.path for r in webex_bot.simulator.state.requests)


async def test_a_deferred_clip_is_posted_later_in_the_same_thread(
    webex_bot: WebexBot, tmp_path: Path
) -> None:
    fake = webex_bot.fake
    ann = fake.add_person("Ann Lee", ANN_EMAIL)
    root = fake.user_message(ann, "Someone at the lobby door?")["data"]["id"]
    asked = datetime.now(UTC)
    await webex_bot.deliver(ask(fake, ann, "clip lobby 6s ago 3s", parent_id=root))

    clip = await fake.wait_for_post(has_file, DEADLINE)
    assert await webex_bot.running.pending.wait_idle(DEADLINE)
    await webex_bot.running.runner.idle()

    promise = fake.posted[0].message
    assert "will be ready at about" in promise["markdown"] and promise["markdown"].startswith("⏳")
    assert promise["parentId"] == root == clip.message["parentId"]
    assert clip.message["roomId"] == "room-group"
    assert clip.file is not None
    video = open_video(saved(clip.file, tmp_path))
    assert abs(video.duration - 3) <= 1
    assert utc_ms(asked) - 6000 - 1000 <= video.first_ms <= utc_ms(asked) - 6000 + 5000


async def test_someone_without_a_role_is_told_so_in_the_thread(webex_bot: WebexBot) -> None:
    fake = webex_bot.fake
    carl = fake.add_person("Carl Moe", "carl@elsewhere.example")
    delivery = ask(fake, carl, "clip lobby 10m ago 2m")
    await webex_bot.deliver(delivery)
    await webex_bot.running.runner.idle()

    (refusal,) = fake.posted
    assert refusal.message["markdown"].startswith("⛔ Sorry, `clip` needs the viewer role")
    assert refusal.message["parentId"] == delivery["data"]["id"]
    assert not any("/camera/clip" in r.path for r in webex_bot.simulator.state.requests)


@pytest.mark.parametrize(
    # Quoted, the whole link is one word that is "not a command" and so is quoted back.
    "probe",
    ["<@all>", '"[Session expired, sign in again](https://evil.example/login)"'],
)
async def test_a_mention_or_a_link_from_someone_without_a_role_comes_back_as_text(
    webex_bot: WebexBot, probe: str
) -> None:
    fake = webex_bot.fake
    carl = fake.add_person("Carl Moe", "carl@elsewhere.example")
    delivery = fake.user_message(
        carl, f"mvbot {probe}", html=mention_html(html.escape(probe, quote=False))
    )
    await webex_bot.deliver(delivery)
    await webex_bot.running.runner.idle()

    (answer,) = fake.posted
    markdown = answer.message["markdown"]
    assert "command" in markdown  # the unknown-command answer, quoting what was typed
    assert "<@" not in markdown and "](" not in markdown and "https://" not in markdown


async def test_a_delivery_webex_sends_twice_is_answered_once(webex_bot: WebexBot) -> None:
    fake = webex_bot.fake
    ann = fake.add_person("Ann Lee", ANN_EMAIL)
    delivery = ask(fake, ann, "help")

    assert (await webex_bot.deliver(delivery)).status_code == 200
    assert (await webex_bot.deliver(delivery)).status_code == 200  # Webex doubted the first
    await webex_bot.running.runner.idle()

    (answer,) = fake.posted
    assert answer.message["parentId"] == delivery["data"]["id"]
    assert [r.command for r in await webex_bot.running.services.store.audit_rows()] == ["help"]


async def test_a_delivery_while_the_bot_stops_is_refused_so_webex_sends_it_again(
    webex_bot: WebexBot,
) -> None:
    fake = webex_bot.fake
    ann = fake.add_person("Ann Lee", ANN_EMAIL)
    await webex_bot.running.runner.stop(grace=0.0)

    assert (await webex_bot.deliver(ask(fake, ann, "help"))).status_code == 503
    assert fake.posted == []
    assert await webex_bot.running.services.store.audit_rows() == []


async def test_a_delivery_webex_repeats_after_a_restart_runs_once(
    fake_webex: FakeWebex, bot_simulator: SimulatorServer, tmp_path: Path
) -> None:
    ann = fake_webex.add_person("Ann Lee", ANN_EMAIL)
    delivery = ask(fake_webex, ann, "cameras")
    async with started_webex_bot(fake_webex, bot_simulator, tmp_path) as first:
        assert (await first.deliver(delivery)).status_code == 200
        await first.running.runner.idle()
        assert len(fake_webex.posted) == 1
    async with started_webex_bot(fake_webex, bot_simulator, tmp_path) as second:
        # Webex never heard the first 200 (say) and delivers again after the restart.
        assert (await second.deliver(delivery)).status_code == 200
        await second.running.runner.idle()
        assert len(fake_webex.posted) == 1
        audit = await second.running.services.store.audit_rows()
        assert [row.command for row in audit] == ["cameras"]


async def test_metrics_time_each_delivery_taken_from_its_arrival_to_its_200(
    webex_bot: WebexBot,
) -> None:
    fake = webex_bot.fake
    ann = fake.add_person("Ann Lee", ANN_EMAIL)
    assert (await webex_bot.deliver(ask(fake, ann, "cameras"))).status_code == 200
    unsigned = await webex_bot.deliver(ask(fake, ann, "cameras"), secret=None)
    assert unsigned.status_code == 401
    samples = Samples((await webex_bot.http.get("/metrics")).text)
    replica = webex_bot.running.services.metrics.replica
    assert samples.count(SLASH_ACK, platform="webex", replica=replica) == 1  # not the refused one
    await webex_bot.running.runner.idle()
