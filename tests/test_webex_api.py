"""The adapter against a fake Webex over HTTP: retries, edits, private replies, webhooks."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from starlette.applications import Starlette

from adapters.webex import WebexAdapter, WebexClient, WebexError, register_webhooks
from bot.config import WebexSettings
from bot.messages import Attachment, Hyperlink, Message, Place, Reply, SentMessage, Tone
from bot.runner import Runner
from bot.store import Outcome
from bot.web.links import FileLinks
from bot.web.server import web_server
from tests.fake_webex import BOT_ID, TOKEN, FakeWebex, fake_webex_fixture  # noqa: F401

SECRET = "hook-secret"
ROOM = Place("webex", "room-ops", None)


@pytest.fixture
async def adapter(fake_webex: FakeWebex, tmp_path: Path) -> AsyncIterator[WebexAdapter]:
    client = WebexClient(TOKEN, fake_webex.url, backoff=0.01)
    links = FileLinks(b"k" * 32, "https://mvbot.example", tmp_path)
    webex = WebexAdapter(client, SECRET, links)
    yield webex
    await webex.stop()


def messages_posted(fake: FakeWebex) -> int:
    return len(fake.calls("POST", "messages"))


async def test_a_429_is_waited_out_and_the_message_posted_once(
    fake_webex: FakeWebex, adapter: WebexAdapter
) -> None:
    fake_webex.fail("POST", "messages", 429, retry_after=1)
    sent = await adapter.send(ROOM, Reply("Lobby is online."))
    assert messages_posted(fake_webex) == 2  # the refused attempt, then the one that counted
    assert [p.message["markdown"] for p in fake_webex.posted] == ["Lobby is online."]
    assert sent == SentMessage(ROOM, fake_webex.posted[0].message["id"], {"room_id": "room-ops"})


async def test_server_errors_are_retried_with_backoff(
    fake_webex: FakeWebex, adapter: WebexAdapter
) -> None:
    fake_webex.fail("POST", "messages", 503, times=2)
    await adapter.send(ROOM, Reply("Lobby is online."))
    assert messages_posted(fake_webex) == 3
    assert len(fake_webex.posted) == 1


async def test_a_permanent_failure_is_raised_and_logged_without_the_token(
    fake_webex: FakeWebex, adapter: WebexAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    fake_webex.fail("POST", "messages", 500, times=100)
    with caplog.at_level(logging.WARNING), pytest.raises(WebexError) as raised:
        await adapter.send(ROOM, Reply("Lobby is online."))
    assert raised.value.status == 500
    assert messages_posted(fake_webex) == 4  # one try and three retries, then it gives up
    assert any("webex post failed" in r.getMessage() for r in caplog.records)
    assert all(TOKEN not in r.getMessage() for r in caplog.records)


async def test_a_refused_request_is_not_retried(
    fake_webex: FakeWebex, adapter: WebexAdapter
) -> None:
    fake_webex.fail("POST", "messages", 403)
    with pytest.raises(WebexError) as raised:
        await adapter.send(ROOM, Reply("Lobby is online."))
    assert (raised.value.status, messages_posted(fake_webex)) == (403, 1)


async def test_progress_is_edited_in_place_until_webex_refuses_more_edits(
    fake_webex: FakeWebex, adapter: WebexAdapter
) -> None:
    sent = await adapter.send(ROOM, Reply("Fetching *Lobby* (6 parts)…", tone=Tone.PROGRESS))
    for done in range(1, 12):
        await adapter.update(sent, Reply(f"Fetching *Lobby*: {done}/6", tone=Tone.PROGRESS))
    first = fake_webex.posted[0]
    assert first.edits[0] == "⏳ Fetching **Lobby**: 1/6"
    assert len(first.edits) == 10  # Webex's edit limit; then the update is a new message
    assert [p.message["markdown"] for p in fake_webex.posted[1:]] == ["⏳ Fetching **Lobby**: 11/6"]
    put = fake_webex.calls("PUT", "messages/")[0]
    assert put.body == {"roomId": "room-ops", "markdown": "⏳ Fetching **Lobby**: 1/6"}


async def test_an_update_with_a_file_is_posted_as_a_new_message(
    fake_webex: FakeWebex, adapter: WebexAdapter, tmp_path: Path
) -> None:
    sent = await adapter.send(ROOM.in_thread(None), Reply("Fetching…", tone=Tone.PROGRESS))
    path = tmp_path / "lobby.jpg"
    path.write_bytes(b"\xff\xd8 jpeg")
    reply = Reply("Lobby now", attachment=Attachment(path, "image", "image/jpeg", path.name))
    await adapter.update(sent, reply)
    assert fake_webex.calls("PUT") == []
    upload = fake_webex.posted[1].file
    assert upload is not None
    assert (upload.name, upload.content_type, upload.data) == (
        "lobby.jpg",
        "image/jpeg",
        path.read_bytes(),
    )


class PrivateCore:
    """A core that answers every command privately (as a share link would be)."""

    def __init__(self, adapter: WebexAdapter) -> None:
        self.adapter = adapter

    async def handle(self, message: Message) -> Outcome:
        reply = Reply("Only for you.", private=True)
        await self.adapter.send(message.place, reply, answering=message)
        return Outcome.OK

    async def preview(self, message: Message) -> str:
        return ""


async def test_a_private_reply_goes_to_the_asker_and_never_into_the_group_space(
    fake_webex: FakeWebex, adapter: WebexAdapter
) -> None:
    ann = fake_webex.add_person("Ann Lee", "ann@example.com")
    runner = Runner(PrivateCore(adapter))
    await adapter.start(runner)
    delivery = fake_webex.user_message(ann, "mvbot share lobby", room="room-ops")
    body = json.dumps(delivery).encode()
    signature = hmac.new(SECRET.encode(), body, hashlib.sha1).hexdigest()
    async with web_server(_app(adapter), "127.0.0.1", 0) as server, httpx.AsyncClient() as http:
        response = await http.post(
            f"{server.url}/webex/events", content=body, headers={"X-Spark-Signature": signature}
        )
        assert response.status_code == 200
        await runner.idle()
    (posted,) = fake_webex.posted
    assert posted.message["toPersonId"] == ann["id"]
    assert posted.message["roomId"] != "room-ops" and "parentId" not in posted.message
    # With no asker known for a place, a private reply is refused rather than posted.
    with pytest.raises(WebexError):
        await adapter.send(Place("webex", "room-other", None), Reply("secret", private=True))
    assert len(fake_webex.posted) == 1


def _app(adapter: WebexAdapter) -> Starlette:
    return Starlette(routes=adapter.routes())


def settings(fake: FakeWebex) -> WebexSettings:
    return WebexSettings(
        bot_token=SecretStr(TOKEN), webhook_secret=SecretStr(SECRET), api_url=fake.url
    )


async def test_registering_twice_leaves_exactly_the_two_webhooks(fake_webex: FakeWebex) -> None:
    first = await register_webhooks(settings(fake_webex), "https://mvbot.example.com/")
    second = await register_webhooks(settings(fake_webex), "https://mvbot.example.com")
    assert first == second and len(set(first)) == 2
    hooks = sorted(fake_webex.webhooks.values(), key=lambda h: str(h["resource"]))
    assert [(h["resource"], h["event"]) for h in hooks] == [
        ("attachmentActions", "created"),
        ("messages", "created"),
    ]
    assert {h["targetUrl"] for h in hooks} == {"https://mvbot.example.com/webex/events"}
    assert {h["secret"] for h in hooks} == {SECRET}
    assert len(fake_webex.calls("POST", "webhooks")) == 2  # the second run created nothing


async def test_registering_moves_stale_webhooks_and_removes_duplicates(
    fake_webex: FakeWebex,
) -> None:
    old = {"name": "old", "targetUrl": "https://old.example/webex/events", "event": "created"}
    for resource, extra in (
        ("messages", {}),
        ("messages", {}),
        ("messages", {"filter": "roomId=one-room"}),
        ("attachmentActions", {"status": "inactive"}),
        ("memberships", {}),
    ):
        fake_webex.webhooks[f"hook-{len(fake_webex.webhooks)}"] = {
            "id": f"hook-{len(fake_webex.webhooks)}",
            **old,
            "resource": resource,
            **extra,
        }
    ids = await register_webhooks(settings(fake_webex), "https://new.example")
    assert ids == ["hook-0", "hook-3"]
    assert sorted(fake_webex.webhooks) == ["hook-0", "hook-3", "hook-4"]  # others' left alone
    for hook_id in ids:
        hook = fake_webex.webhooks[hook_id]
        assert hook["targetUrl"] == "https://new.example/webex/events"
        assert (hook["secret"], hook["status"]) == (SECRET, "active")
    assert fake_webex.webhooks["hook-4"]["targetUrl"] == old["targetUrl"]


async def test_registering_needs_a_token_and_a_secret() -> None:
    with pytest.raises(ValueError, match="MVBOT_WEBEX_BOT_TOKEN"):
        await register_webhooks(WebexSettings(), "https://mvbot.example")


async def test_a_bad_token_is_a_clear_error(fake_webex: FakeWebex) -> None:
    client = WebexClient("wrong-token", fake_webex.url)
    with pytest.raises(WebexError, match="401"):
        await client.me()
    await client.aclose()
    assert fake_webex.received[-1].headers["authorization"] == "Bearer wrong-token"
    assert BOT_ID not in str(fake_webex.received[-1].body)


async def test_a_direct_message_reaches_a_member_by_email_and_no_one_else(
    fake_webex: FakeWebex, adapter: WebexAdapter
) -> None:
    member = fake_webex.add_person("Dana Contractor", "dana@example.com")
    # The link is mvbot's own (declared in `links`), so it is drawn as a link, not defanged.
    link = Reply("Your link: https://x/s/t", links=(Hyperlink("stream", "https://x/s/t"),))
    assert await adapter.send_direct("Dana@example.com", link)
    (posted,) = fake_webex.posted
    assert posted.message["toPersonId"] == member["id"]
    assert posted.message["markdown"] == "Your link: https://x/s/t"
    assert not await adapter.send_direct("stranger@example.org", Reply("hello"))
    assert len(fake_webex.posted) == 1
