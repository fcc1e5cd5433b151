"""`verify` with an uploaded file: read from the platform with the bot token, hashed as streamed."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from simulator import SimulatorServer
from tests.bot_fixtures import bot_simulator_fixture  # noqa: F401
from tests.fake_slack import (  # noqa: F401
    BOT_USER,
    Call,
    FakeSlack,
    fake_slack_fixture,
    message_to,
    upload_to,
)
from tests.fake_webex import TOKEN, FakeWebex, fake_webex_fixture  # noqa: F401
from tests.slack_requests import SlackBot, slack_bot
from tests.test_webex_bot import ANN_EMAIL, ask, mention_html, started_webex_bot

WAIT = 30.0
LIMIT = 3_000_000  # [clips] verify_max_size for these tests


@pytest.fixture
async def slack(
    bot_simulator: SimulatorServer, fake: FakeSlack, tmp_path: Path
) -> AsyncIterator[SlackBot]:
    clips = {"verify_max_size": LIMIT}
    async with slack_bot(bot_simulator, fake, tmp_path / "data", clips=clips) as bot:
        yield bot


def mention_with(file_id: str, name: str, size: int, ts: str) -> dict[str, object]:
    return {
        "type": "app_mention",
        "user": "U1",
        "text": f"<@{BOT_USER}> verify",
        "channel": "C2",
        "ts": ts,
        "event_ts": ts,
        "files": [{"id": file_id, "name": name, "size": size}],
    }


def answer_in(fake: FakeSlack, since: int) -> str:
    posts = [c for c in fake.calls[since:] if c.method == "chat.postMessage"]
    return json.dumps([c.params.get("blocks") for c in posts])


async def test_a_file_uploaded_to_slack_with_verify_is_recognised(
    slack: SlackBot, fake: FakeSlack
) -> None:
    await slack.command("clip lobby 10m ago 5s", channel="C1")
    completion = await fake.wait_for(upload_to("C1"), WAIT)
    (entry,) = json.loads(completion.params["files"])
    original = fake.uploads[entry["id"]].read_bytes()
    await slack.running.runner.idle()  # the clip is in the footage log once its command ends

    copy = fake.add_file("evidence copy.mp4", original)
    since = len(fake.calls)
    await slack.event(mention_with(copy, "evidence copy.mp4", len(original), "1700000100.000100"))
    answer = await fake.wait_for(
        lambda c: c.method == "chat.postMessage" and "Verified" in json.dumps(c.params), WAIT
    )
    text = json.dumps(answer.params["blocks"])
    assert "evidence copy.mp4" in text and "is identical to the clip of *Lobby*" in text
    # Room and asker as Slack mentions of what mvbot recorded (C1, U1), not typed text.
    assert "delivered in <#C1> on " in text and text.count("<@U1>") == 1
    (download,) = [c for c in fake.calls[since:] if c.method == "download"]
    assert download.params["file_id"] == copy

    changed = fake.add_file("edited.mp4", original[:-1])
    since = len(fake.calls)
    await slack.event(mention_with(changed, "edited.mp4", len(original) - 1, "1700000200.000100"))
    await fake.wait_for(
        lambda c: c.method == "chat.postMessage" and "No file that mvbot" in json.dumps(c.params),
        WAIT,
    )


async def test_a_huge_upload_is_refused_before_it_is_downloaded(
    slack: SlackBot, fake: FakeSlack
) -> None:
    huge = fake.add_file("huge.mp4", b"\0" * 16)
    await slack.event(mention_with(huge, "huge.mp4", LIMIT + 1, "1700000300.000100"))
    refusal = await fake.wait_for(
        lambda c: c.method == "chat.postMessage" and "verify checks" in json.dumps(c.params), WAIT
    )
    assert "huge.mp4" in json.dumps(refusal.params)
    assert not fake.to("download")
    # Slack's size may be missing or wrong: the stream itself is capped too.
    lying = fake.add_file("lying.mp4", b"\1" * (LIMIT + 10))
    await slack.event(mention_with(lying, "lying.mp4", 10, "1700000400.000100"))
    await fake.wait_for(
        lambda c: (
            c.method == "chat.postMessage"
            and "over the 3.0 MB that verify checks" in json.dumps(c.params)
        ),
        WAIT,
    )


async def test_a_file_attached_in_webex_with_verify_is_recognised(
    fake_webex: FakeWebex, bot_simulator: SimulatorServer, tmp_path: Path
) -> None:
    async with started_webex_bot(fake_webex, bot_simulator, tmp_path) as webex_bot:
        fake = webex_bot.fake
        ann = fake.add_person("Ann Lee", ANN_EMAIL)
        await webex_bot.deliver(ask(fake, ann, "clip lobby 10m ago 5s"))
        posted = await fake.wait_for_post(lambda p: p.file is not None, WAIT)
        await webex_bot.running.runner.idle()
        assert posted.file is not None

        await webex_bot.deliver(
            fake.user_message(
                ann, "mvbot verify", html=mention_html("verify"), files=[posted.file.data]
            )
        )
        answer = await fake.wait_for_post(lambda p: "Verified" in str(p.message["text"]), WAIT)
        said = str(answer.message["text"])
        assert "attachment 1` is identical to the clip of **Lobby**" in said
        assert f"to <@personId:{ann['id']}|Ann Lee>" in said  # a Webex mention of the asker
        (download,) = fake.calls("GET", "contents/")
        assert download.headers["authorization"] == f"Bearer {TOKEN}"

        await webex_bot.deliver(
            fake.user_message(
                ann, "mvbot verify", html=mention_html("verify"), files=[posted.file.data + b"!"]
            )
        )
        await fake.wait_for_post(lambda p: "No file that mvbot" in str(p.message["text"]), WAIT)
