"""Slack over HTTP end to end: signed requests to mvbot's /slack/events, a fake Slack Web API,
the simulated Meraki cloud, and the real core in between."""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from simulator import SimulatorServer
from tests.bot_fixtures import bot_simulator_fixture, open_video, sha256_of  # noqa: F401
from tests.fake_slack import (  # noqa: F401
    BOT_USER,
    Call,
    FakeSlack,
    fake_slack_fixture,
    message_to,
    upload_to,
)
from tests.slack_requests import (
    SlackBot,
    block_actions,
    event_callback,
    form_body,
    interactive_body,
    json_body,
    signed_headers,
    slack_bot,
    slash_command,
)

WAIT = 30.0  # seconds: a bound for things that take well under one
DEFERRED_WAIT = 60.0  # a deferred clip here is due 8–9 s after it is asked for


@pytest.fixture
async def slack(
    bot_simulator: SimulatorServer, fake: FakeSlack, tmp_path: Path
) -> AsyncIterator[SlackBot]:
    async with slack_bot(bot_simulator, fake, tmp_path / "data") as bot:
        yield bot


def uploaded_file(fake: FakeSlack, completion: Call) -> Path:
    (entry,) = json.loads(completion.params["files"])
    return fake.uploads[entry["id"]]


def sha256_in(comment: str) -> str:
    found = re.search(r"SHA-256:\*\s*([0-9a-f]{64})", comment)
    assert found, comment
    return found.group(1)


async def test_a_signed_clip_command_is_acked_at_once_and_the_mp4_follows(
    slack: SlackBot, fake: FakeSlack
) -> None:
    # Hold the upload: the acknowledgement must not wait for the clip to reach Slack.
    upload = fake.hold("files.getUploadURLExternal")
    answer = await slack.command("clip lobby 10m ago 2m", channel="C1")

    assert answer.status_code == 200
    assert "Fetching *Lobby*" in answer.json()["text"]
    assert not fake.to("files.completeUploadExternal")
    upload.set()

    completion = await fake.wait_for(upload_to("C1"), WAIT)
    clip = uploaded_file(fake, completion)
    video = open_video(clip)
    assert "mp4" in video.format.split(",")
    assert abs(video.duration - 120) <= 1
    comment = completion.params["initial_comment"]
    assert sha256_in(comment) == sha256_of(clip)
    assert "<@U1> asked `/mv clip lobby 10m ago 2m`" in comment
    assert "*Your time:*" in comment  # the asker is in Amsterdam, the camera in New York
    (ticket,) = fake.to("files.getUploadURLExternal")
    assert int(ticket.params["length"]) == clip.stat().st_size

    # Buttons cannot ride on a file comment: they follow in the same channel.
    buttons = await fake.wait_for(lambda c: c.method == "chat.postMessage", WAIT)
    assert buttons.params["channel"] == "C1"
    (actions,) = buttons.params["blocks"]
    assert [e["text"]["text"] for e in actions["elements"]] == ["30 s earlier", "Snapshot"]
    await slack.running.runner.idle()
    (row,) = await slack.running.services.store.audit_rows()
    assert (row.person_id, row.person_email, row.command) == (
        "U1",
        "ana@example.com",
        "clip lobby 10m ago 2m",
    )


async def test_bad_or_stale_signatures_get_401_and_run_nothing(
    slack: SlackBot, fake: FakeSlack
) -> None:
    body = form_body(
        slash_command("cameras", user="U1", channel="C1", response_url=fake.response_url())
    )
    wrong = signed_headers(body, secret="not-the-signing-secret")
    stale = signed_headers(body, timestamp=int(time.time()) - 6 * 60)
    unsigned = {"Content-Type": "application/x-www-form-urlencoded"}
    meraki_before = slack.meraki_requests()

    for headers in (wrong, stale, unsigned):
        assert (await slack.post(body, headers)).status_code == 401

    assert slack.meraki_requests() == meraki_before
    assert [c.method for c in fake.calls] == ["auth.test"]  # the adapter's own, at start
    assert await slack.running.services.store.audit_rows() == []
    # The same command correctly signed runs, and is the only command ever run.
    assert (await slack.post(body, signed_headers(body))).status_code == 200
    reply = await fake.wait_for(lambda c: c.method == "chat.postMessage", WAIT)
    assert "Lobby" in json.dumps(reply.params["blocks"])
    await slack.running.runner.idle()
    rows = await slack.running.services.store.audit_rows()
    assert [r.command for r in rows] == ["cameras"]


async def test_pressing_a_button_the_bot_posted_runs_its_command(
    slack: SlackBot, fake: FakeSlack
) -> None:
    await slack.command("clip lobby 10m ago 5s", channel="C2")
    buttons = await fake.wait_for(lambda c: c.method == "chat.postMessage", WAIT)
    earlier = buttons.params["blocks"][0]["elements"][0]
    assert earlier["text"]["text"] == "30 s earlier"

    # Pressed by U2, a viewer by e-mail only (users.info tells the bot who U2 is).
    payload = block_actions(
        earlier,
        user="U2",
        channel="C2",
        message_ts=buttons.params.get("ts", "1.000001"),
        response_url=fake.response_url(),
    )
    body = interactive_body(payload)
    assert (await slack.post(body, signed_headers(body))).status_code == 200

    second = await fake.wait_for(
        lambda c: (
            c.method == "files.completeUploadExternal" and "<@U2>" in c.params["initial_comment"]
        ),
        WAIT,
    )
    assert second.params["channel_id"] == "C2"
    assert "<@U2> pressed “30 s earlier”" in second.params["initial_comment"]
    await slack.running.runner.idle()
    rows = await slack.running.services.store.audit_rows()
    pressed = [r for r in rows if r.person_id == "U2"]
    assert [(r.command, r.person_email) for r in pressed] == [
        (earlier["value"], "viewer@example.com")
    ]
    assert abs(open_video(uploaded_file(fake, second)).duration - 5) <= 1


async def test_a_deferred_clip_is_acked_now_and_posted_later_in_the_same_place(
    slack: SlackBot, fake: FakeSlack
) -> None:
    # Footage of "now" is not in the cloud yet (3 s lag): both are promised, then posted.
    # (Lengths differ: the core names a clip file by camera, start and length.)
    answer = await slack.command("clip lobby now 2s", channel="C3")
    assert answer.status_code == 200 and "Lobby" in answer.json()["text"]
    thread = "1700000000.000100"
    mention = {
        "type": "app_mention",
        "user": "U1",
        "text": f"<@{BOT_USER}> clip lobby now 3s",
        "channel": "C4",
        "ts": "1700000050.000200",
        "thread_ts": thread,
        "event_ts": "1700000050.000200",
    }
    assert (await slack.event(mention)).status_code == 200

    for channel, in_thread in (("C3", None), ("C4", thread)):
        promise = await fake.wait_for(message_to(channel), WAIT)
        assert promise.params.get("thread_ts") == in_thread
        assert "will be ready at about" in json.dumps(promise.params["blocks"])
    for channel, in_thread in (("C3", None), ("C4", thread)):
        completion = await fake.wait_for(upload_to(channel, in_thread), DEFERRED_WAIT)
        clip = uploaded_file(fake, completion)
        assert sha256_in(completion.params["initial_comment"]) == sha256_of(clip)


async def test_direct_messages_are_commands_and_bot_posts_are_ignored(
    slack: SlackBot, fake: FakeSlack
) -> None:
    base = {"type": "message", "channel": "D1", "channel_type": "im", "ts": "1700000001.000001"}
    ignored = [
        {**base, "user": BOT_USER, "text": "cameras"},  # the bot's own post
        {**base, "bot_id": "B2", "user": "U7", "text": "cameras"},  # another bot
        {**base, "subtype": "message_changed", "user": "U1", "text": "cameras"},
    ]
    for event in ignored:
        assert (await slack.event(event)).status_code == 200
    assert (await slack.event({**base, "user": "U1", "text": "cameras"})).status_code == 200

    reply = await fake.wait_for(lambda c: c.method == "chat.postMessage", WAIT)
    assert reply.params["channel"] == "D1" and "Lobby" in json.dumps(reply.params["blocks"])
    await slack.running.runner.idle()
    rows = await slack.running.services.store.audit_rows()
    assert [(r.person_id, r.command) for r in rows] == [("U1", "cameras")]


async def test_slack_checking_the_request_url_gets_its_challenge_back(slack: SlackBot) -> None:
    body = json_body({"token": "legacy", "challenge": "c-123", "type": "url_verification"})
    answer = await slack.post(body, signed_headers(body, form=False))
    assert answer.status_code == 200 and answer.json() == {"challenge": "c-123"}


@pytest.mark.parametrize(
    "probe", ['"<!channel> @here"', '"<https://evil.example/login|Session expired, sign in>"']
)
async def test_a_mention_or_a_link_someone_typed_comes_back_as_text(
    slack: SlackBot, fake: FakeSlack, probe: str
) -> None:
    # Slack delivers what was typed with `<`, `>` and `&` escaped, as here.
    typed = probe.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    event = {"type": "message", "channel": "D9", "channel_type": "im", "ts": "1700000009.000001"}
    assert (await slack.event({**event, "user": "U9", "text": typed})).status_code == 200

    reply = await fake.wait_for(lambda c: c.method == "chat.postMessage", WAIT)
    shown = json.dumps(reply.params["blocks"], ensure_ascii=False) + str(reply.params["text"])
    assert "not a command" in shown
    assert "<!" not in shown and "<http" not in shown and "https://" not in shown
    assert not re.search(r"@(here|channel)\b", shown)


async def test_an_event_slack_delivers_twice_is_answered_once(
    slack: SlackBot, fake: FakeSlack
) -> None:
    mention = {
        "type": "app_mention",
        "user": "U1",
        "text": f"<@{BOT_USER}> cameras",
        "channel": "C3",
        "ts": "1700000002.000001",
    }
    body = json_body(event_callback(mention))
    for _ in range(2):  # the same event_id: Slack retries when it doubts a delivery
        assert (await slack.post(body, signed_headers(body, form=False))).status_code == 200
    await slack.running.runner.idle()

    assert len(fake.to("chat.postMessage")) == 1
    rows = await slack.running.services.store.audit_rows()
    assert [(r.person_id, r.command) for r in rows] == [("U1", "cameras")]


async def test_a_command_while_the_bot_stops_is_told_to_try_again_and_runs_nothing(
    slack: SlackBot, fake: FakeSlack
) -> None:
    await slack.running.runner.stop(grace=0.0)

    answer = await slack.command("cameras", channel="C1")
    assert answer.status_code == 200
    assert answer.text == "mvbot is restarting — try again in a moment."
    assert not fake.to("chat.postMessage")
    assert await slack.running.services.store.audit_rows() == []


async def test_a_replayed_signed_slash_command_runs_once(slack: SlackBot, fake: FakeSlack) -> None:
    fields = slash_command("cameras", user="U1", channel="C1", response_url=fake.response_url())
    body = form_body(fields)
    headers = signed_headers(body)
    first = await slack.post(body, headers)
    # The same signed request again, well within its five minutes: taken, but nothing runs.
    replay = await slack.post(body, headers)
    assert first.status_code == 200 and "text" in first.json()
    assert replay.status_code == 200 and replay.content == b""
    await slack.running.runner.idle()
    assert len([c for c in fake.calls if message_to("C1")(c)]) == 1
    audit = await slack.running.services.store.audit_rows()
    assert [row.command for row in audit] == ["cameras"]
