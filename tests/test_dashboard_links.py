""" "Open in Dashboard": from the API's videoLink, only in rooms an admin marked, https only."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.console.render import render
from adapters.slack.blocks import blocks
from adapters.webex.cards import buttons_card, card_fallback
from bot.grammar.formatting import iso_utc
from bot.messages import Button, Hyperlink, Reply, safe_link
from bot.store import Outcome
from simulator import SimulatorServer
from tests.bot_fixtures import (  # noqa: F401
    DEFAULT_ACCESS,
    BotStarter,
    bot_simulator_fixture,
    bot_starter_fixture,
    field_value,
    utc_ms,
)
from tests.db_fixtures import database_url_fixture  # noqa: F401
from tests.fake_slack import FakeSlack, fake_slack_fixture, upload_to  # noqa: F401
from tests.slack_requests import SlackBot, slack_bot

ADMIN = "U7"
ADMINS = {**DEFAULT_ACCESS, "admins": [ADMIN]}
DASHBOARD = "https://dashboard.simulator.invalid/"
WAIT = 30.0

HOSTILE = (
    "http://dashboard.meraki.com/x",  # not https
    "javascript:alert(1)",
    "https://",
    "https://user@evil.example/",
    'https://x.example/"><script>',
    "https://x.example/a b",
    "https://x.example/>|<!here>",
    "https://x.example/" + "a" * 2100,
)


def test_only_plain_https_links_from_outside_are_drawn() -> None:
    assert safe_link("https://n42.meraki.com/o/abc/manage/nodes/Q2XX/video?timestamp=1700000000000")
    for url in HOSTILE:
        assert not safe_link(url), url
        reply = Reply(
            "clip",
            buttons=(Button("Snapshot", "snapshot lobby"),),
            link_buttons=(Hyperlink("Open in Dashboard", url),),
        )
        assert url not in json.dumps(blocks(reply))
        assert url not in json.dumps(buttons_card(reply)) + card_fallback(reply)
        assert "Open in Dashboard" not in render(reply)


def test_each_platform_draws_a_link_button() -> None:
    url = "https://n42.meraki.com/video?timestamp=1700000000000"
    reply = Reply("clip", link_buttons=(Hyperlink("Open in Dashboard", url),))
    (actions,) = [b for b in blocks(reply) if b["type"] == "actions"]
    assert actions["elements"][0]["url"] == url
    assert actions["elements"][0]["action_id"].startswith("mvbot")
    assert {"type": "Action.OpenUrl", "title": "Open in Dashboard", "url": url} in buttons_card(
        reply
    )["content"]["actions"]
    assert f"[Open in Dashboard] {url}" in render(reply)


async def test_clips_and_snapshots_offer_the_dashboard_only_in_marked_rooms(
    bot_starter: BotStarter,
) -> None:
    async with bot_starter(access=ADMINS) as bot:
        (plain,) = [r for r in await bot.ask("clip lobby 10m ago 10s") if r.attachment]
        assert plain.link_buttons == ()
        assert not bot.api_calls("videoLink")  # an unmarked room asks the API for nothing

        await bot.ask("dashboard room on", user="U1")
        assert bot.outcomes[-1] is Outcome.REFUSED
        on = (await bot.ask("dashboard room on", user=ADMIN))[-1]
        assert "now offer" in on.text

        (clip,) = [r for r in await bot.ask("clip lobby 10m ago 10s") if r.attachment]
        (link,) = clip.link_buttons
        assert link.label == "Open in Dashboard" and link.url.startswith(DASHBOARD)
        serial = field_value(clip, "Camera").split(", ")[-1].rstrip(")")
        assert f"/nodes/{serial}/video?timestamp=" in link.url
        (snapshot,) = [r for r in await bot.ask("snapshot lobby 20m ago") if r.attachment]
        assert snapshot.link_buttons and snapshot.link_buttons[0].url.startswith(DASHBOARD)

        (elsewhere,) = [
            r for r in await bot.ask("clip lobby 10m ago 10s", room="R2") if r.attachment
        ]
        assert elsewhere.link_buttons == ()

        # The same camera and moment again comes from the cache.
        moment = iso_utc(datetime.now(UTC) - timedelta(minutes=10))
        calls = len(bot.api_calls("videoLink"))
        for _ in range(2):
            (again,) = [r for r in await bot.ask(f"clip lobby {moment} 5s") if r.attachment]
            assert again.link_buttons
        assert len(bot.api_calls("videoLink")) == calls + 1

        # An incident offers each of its cameras in the dashboard, at the window's start.
        await bot.ask("incident lobby, warehouse 10m ago 5s", user=ADMIN)
        assert await bot.running.incidents.jobs.wait_idle(WAIT)
        shown = (await bot.ask("incident 1"))[-1]
        labels = [link.label for link in shown.link_buttons]
        assert labels == ["Lobby in Dashboard", "Warehouse in Dashboard"], shown
        assert all(link.url.startswith(DASHBOARD) for link in shown.link_buttons)

        await bot.ask("dashboard room off", user=ADMIN)
        (after,) = [r for r in await bot.ask("clip lobby 10m ago 10s") if r.attachment]
        assert after.link_buttons == ()
        assert (await bot.ask("incident 1"))[-1].link_buttons == ()


@pytest.fixture
async def slack(
    bot_simulator: SimulatorServer, fake: FakeSlack, tmp_path: Path
) -> AsyncIterator[SlackBot]:
    overrides = {"access": ADMINS}
    async with slack_bot(bot_simulator, fake, tmp_path / "data", overrides=overrides) as bot:
        yield bot


async def test_a_marked_slack_channel_gets_an_open_in_dashboard_button(
    slack: SlackBot, fake: FakeSlack
) -> None:
    await slack.command("dashboard room on", user=ADMIN, channel="C1")
    await slack.command("clip lobby 10m ago 10s", channel="C1")
    await fake.wait_for(upload_to("C1"), WAIT)
    follow_up = await fake.wait_for(
        lambda c: (
            c.method == "chat.postMessage"
            and c.params["channel"] == "C1"
            and "blocks" in c.params
            and "More for" in c.params.get("text", "")
        ),
        WAIT,
    )
    blocks_sent = follow_up.params["blocks"]
    if isinstance(blocks_sent, str):
        blocks_sent = json.loads(blocks_sent)
    urls = [e.get("url") for b in blocks_sent for e in b.get("elements", [])]
    assert any(u and u.startswith(DASHBOARD) for u in urls), blocks_sent

    await slack.command("clip lobby 10m ago 10s", channel="C2")
    await fake.wait_for(upload_to("C2"), WAIT)
    other = await fake.wait_for(
        lambda c: (
            c.method == "chat.postMessage"
            and c.params["channel"] == "C2"
            and "More for" in c.params.get("text", "")
        ),
        WAIT,
    )
    assert DASHBOARD not in json.dumps(other.params)
