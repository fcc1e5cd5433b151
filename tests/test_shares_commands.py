"""Stream shares from chat: share, one link per e-mail, extend, revoke, shares, access log."""

from __future__ import annotations

import re
from datetime import timedelta
from importlib import resources

import pytest

from bot.messages import Tone
from simulator import SimulatorServer
from simulator.fleet_file import parse_fleet
from tests.bot_fixtures import SIMULATOR_SETTINGS, SimulatorFactory
from tests.db_fixtures import database_url_fixture  # noqa: F401
from tests.share_fixtures import (  # noqa: F401
    MEMBER,
    OPERATOR,
    VIEWER,
    ShareStarter,
    share_starter_fixture,
    token_in,
)

LOBBY_ADDRESS = "350 Fifth Avenue, Lobby level, New York"


@pytest.fixture(name="bot_simulator")
def bot_simulator_with_address(simulator_factory: SimulatorFactory) -> SimulatorServer:
    """The default fleet, with an installed address on the Lobby camera."""
    text = resources.files("simulator").joinpath("default_fleet.toml").read_text("utf-8")
    text = text.replace('name = "Lobby"\n', f'name = "Lobby"\naddress = "{LOBBY_ADDRESS}"\n', 1)
    return simulator_factory(fleet=parse_fleet(text, "fleet.toml"), **SIMULATOR_SETTINGS)


async def test_share_shows_the_link_only_to_the_operator(share_starter: ShareStarter) -> None:
    async with share_starter() as shared:
        replies = await shared.ask('share lobby with Guest@Example.com name "Sam" reason "audit"')
        token = token_in(replies)  # asserts the link came in a private reply
        public = [r for r in replies if not r.private]
        assert public and public[-1].tone is Tone.SUCCESS
        assert all(token not in r.text and "/s/" not in r.text for r in public)
        assert "guest@example.com" in public[-1].text and "Lobby" in public[-1].text

        page = await shared.http.get(f"/s/{token}")
        assert page.status_code == 200
        for shown in ("Acme Security (simulated)", "HQ", "Lobby", LOBBY_ADDRESS):
            assert shown in page.text
        assert page.headers["cache-control"] == "no-store"

        viewed, row = await shared.running.shares.store.access_rows()
        assert (row.event.label, row.email, row.camera) == (
            "link generated",
            "guest@example.com",
            "Lobby",
        )
        assert (viewed.event.label, viewed.client_address) == ("link viewed", "127.0.0.1")
        assert row.actor is not None and OPERATOR in row.actor
        assert "Sam" in (row.detail or "") and "audit" in (row.detail or "")


async def test_a_second_camera_joins_the_first_link_and_resets_expiry(
    share_starter: ShareStarter,
) -> None:
    async with share_starter() as shared:
        first = token_in(await shared.ask("share lobby with guest@example.com"))
        [lobby] = await shared.running.shares.active(email="guest@example.com")
        before = shared.running.services.clock()
        second = token_in(await shared.ask("share garage entrance with guest@example.com"))
        after = shared.running.services.clock()
        assert second != first

        page = await shared.http.get(f"/s/{first}")
        assert page.status_code == 200
        switcher = re.search(r'<ul class="cameras">(.*?)</ul>', page.text)
        assert switcher is not None
        assert "Lobby" in switcher.group(1) and "Garage Entrance" in switcher.group(1)
        garage = shared.serial("Garage Entrance")
        assert (await shared.http.get(f"/s/{first}?camera={garage}")).status_code == 200

        streams = await shared.running.shares.active(email="guest@example.com")
        assert len(streams) == 2
        expiries = {s.expires_at for s in streams}
        assert len(expiries) == 1, "both streams expire together"
        [expires] = expiries
        assert before + timedelta(hours=24) <= expires <= after + timedelta(hours=24)
        assert expires > lobby.expires_at


async def test_extend_adds_an_hour_to_every_stream_of_the_email(
    share_starter: ShareStarter,
) -> None:
    async with share_starter() as shared:
        await shared.ask("share lobby, garage entrance with guest@example.com")
        await shared.ask("share warehouse with other@example.com")
        before = {s.serial: s.expires_at for s in await shared.running.shares.active()}
        [reply] = await shared.ask("extend guest@example.com")
        assert reply.tone is Tone.SUCCESS and "1 h" in reply.text
        after = {s.serial: s.expires_at for s in await shared.running.shares.active()}
        for name in ("Lobby", "Garage Entrance"):
            serial = shared.serial(name)
            assert after[serial] - before[serial] == timedelta(hours=1)
        warehouse = shared.serial("Warehouse")
        assert after[warehouse] == before[warehouse]
        await shared.ask("extend guest@example.com 2h")
        final = await shared.running.shares.active(email="guest@example.com")
        assert all(s.expires_at - before[s.serial] == timedelta(hours=3) for s in final)
        rows = await shared.running.shares.store.access_rows(email="guest@example.com")
        assert [r.event.label for r in rows].count("link extended") == 4


async def test_revoke_one_camera_then_all(share_starter: ShareStarter) -> None:
    async with share_starter() as shared:
        token = token_in(await shared.ask("share lobby, garage entrance with guest@example.com"))
        lobby, garage = shared.serial("Lobby"), shared.serial("Garage Entrance")
        [reply] = await shared.ask("revoke lobby guest@example.com")
        assert reply.tone is Tone.SUCCESS and "Lobby" in reply.text
        assert (await shared.http.get(f"/s/{token}/{lobby}/live.json")).status_code == 410
        assert (await shared.http.get(f"/s/{token}/{garage}/live.json")).status_code == 200
        page = await shared.http.get(f"/s/{token}")
        assert page.status_code == 200 and "Lobby" not in page.text

        await shared.ask("revoke all guest@example.com")
        assert (await shared.http.get(f"/s/{token}")).status_code == 410
        [again] = await shared.ask("revoke all guest@example.com")
        assert again.tone is Tone.ERROR and "no active stream" in again.text

        # A new share after everything was revoked never revives the old link.
        fresh = token_in(await shared.ask("share lobby with guest@example.com"))
        assert (await shared.http.get(f"/s/{token}")).status_code == 410
        assert (await shared.http.get(f"/s/{fresh}")).status_code == 200
        rows = await shared.running.shares.store.access_rows(email="guest@example.com")
        disabled = [r for r in rows if r.event.label == "link disabled"]
        assert {r.camera for r in disabled} == {"Lobby", "Garage Entrance"}
        assert all(r.actor and OPERATOR in r.actor and r.detail == "revoked" for r in disabled)


async def test_listing_and_access_log(share_starter: ShareStarter) -> None:
    async with share_starter() as shared:
        token = token_in(await shared.ask("share lobby with guest@example.com"))
        await shared.ask("share warehouse with other@example.com")
        await shared.http.get(f"/s/{token}", headers={"user-agent": "TestBrowser/1.0"})

        [listing] = await shared.ask("shares")
        assert [row[:2] for row in listing.table[1:]] == [
            ("Lobby", "guest@example.com"),
            ("Warehouse", "other@example.com"),
        ]
        [mine] = await shared.ask("shares guest@example.com")
        assert len(mine.table) == 2
        [by_camera] = await shared.ask("shares warehouse")
        assert by_camera.table[1][1] == "other@example.com"

        [log] = await shared.ask("access log guest@example.com since 10m ago")
        events = [row[1] for row in log.table[1:]]
        assert events == ["link viewed", "link generated"]
        viewed = log.table[1]
        assert "127.0.0.1" in viewed[4] and "TestBrowser/1.0" in viewed[4]
        [empty] = await shared.ask("access log warehouse since 1m ago")
        assert "link generated" in str(empty.table)
        assert token not in str(log) + str(listing)


async def test_the_recipient_gets_a_direct_message_when_the_workspace_knows_them(
    share_starter: ShareStarter,
) -> None:
    async with share_starter() as shared:
        replies = await shared.ask(f"share lobby with {MEMBER} pin")
        token = token_in(replies)
        [(email, message)] = shared.room.direct
        assert email == MEMBER and token in message.text
        pin = next(f.value for r in replies for f in r.fields if f.label == "PIN")
        assert pin[:6].isdigit() and pin[:6] not in message.text, "the PIN travels separately"
        assert "messaged" in replies[-1].text
        await shared.ask("share garage entrance with nobody@example.com")
        assert len(shared.room.direct) == 1


@pytest.mark.parametrize(
    ("command", "complaint"),
    [
        ("share lobby", "with whom"),
        ("share with guest@example.com", "Which camera"),
        ("share lobby with guest@example.com colour blue", "don't understand"),
        ("share lobbby with guest@example.com", "not found"),
        ("share server room with guest@example.com", "not available in this room"),
        ("extend", "Extend whose"),
        ("extend guest@example.com 9 parsecs", "not a length"),
        ("extend guest@example.com", "no active stream"),
        ("revoke guest@example.com", "Which camera"),
        ("access logs", "access log"),
    ],
)
async def test_mistakes_get_a_friendly_answer(
    share_starter: ShareStarter, command: str, complaint: str
) -> None:
    async with share_starter() as shared:
        replies = await shared.ask(command)
        assert replies[-1].failed, replies
        assert complaint.lower() in replies[-1].text.lower()
        assert not await shared.running.shares.active()


async def test_only_operators_may_share(share_starter: ShareStarter) -> None:
    async with share_starter() as shared:
        [reply] = await shared.ask("share lobby with guest@example.com", user=VIEWER)
        assert reply.tone is Tone.REFUSED and "operator" in reply.text
        assert not await shared.running.shares.active()
