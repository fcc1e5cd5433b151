"""Replies → Web API calls, against the fake Slack over HTTP: private answers, files, links,
edits, 429s, and channels the bot was not invited to."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import PrivateReplyError
from adapters.slack.adapter import retry_handlers
from adapters.slack.outbound import Outbound
from adapters.slack.pacing import ChannelPacer
from bot.messages import (
    Attachment,
    Button,
    Field,
    Message,
    Person,
    Place,
    Reply,
    SentMessage,
    Tone,
)
from bot.web.links import FileLinks
from tests.fake_slack import BOT_TOKEN, PUBLIC_URL, FakeSlack, running_fake_slack

CHANNEL = Place("slack", "C1")
LIMIT = 1000  # bytes: the upload limit in these tests
PEOPLES = ("1.0", "7.0")
WAITS = (0.0, 0.0, 0.0)  # Slack's processing is counted in answers here, not in seconds


def asked_by(user: str, response_url: str | None = None) -> Message:
    """The command a reply answers, as Incoming.message made it."""
    extra = {"response_url": response_url} if response_url else {}
    return Message("share lobby", Person("slack", user), CHANNEL, extra=extra)


@dataclass
class Rig:
    outbound: Outbound
    fake: FakeSlack
    media: Path

    def clip(self, size: int, name: str = "lobby.mp4") -> Attachment:
        path = self.media / name
        path.write_bytes(bytes(range(256)) * (size // 256) + b"x" * (size % 256))
        return Attachment(path, "video", "video/mp4", name)

    def methods(self) -> list[str]:
        return [c.method for c in self.fake.calls]


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    media = tmp_path / "media"
    media.mkdir()
    async with running_fake_slack(tmp_path / "slack") as fake:
        client = AsyncWebClient(
            token=BOT_TOKEN, base_url=fake.api_url, retry_handlers=retry_handlers()
        )
        links = FileLinks(b"k" * 32, PUBLIC_URL, media)
        outbound = Outbound(
            client,
            links,
            pacer=ChannelPacer(0.0),
            upload_limit=LIMIT,
            image_waits=WAITS,
            share_waits=WAITS,
        )
        for ts in PEOPLES:  # messages people wrote, whose threads the bot answers in
            fake.said(CHANNEL.room_id, ts)
        yield Rig(outbound, fake, media)


async def test_a_message_is_posted_as_blocks_and_edited_in_place(rig: Rig) -> None:
    sent = await rig.outbound.send(
        CHANNEL.in_thread("1.0"), Reply("Fetching 1/3", tone=Tone.PROGRESS)
    )
    await rig.outbound.update(sent, Reply("Fetching 2/3", tone=Tone.PROGRESS))

    post, edit = rig.fake.calls
    assert post.method == "chat.postMessage"
    assert (post.params["channel"], post.params["thread_ts"]) == ("C1", "1.0")
    assert post.params["blocks"][0]["text"]["text"].endswith("Fetching 1/3")
    assert edit.method == "chat.update"
    assert (edit.params["channel"], edit.params["ts"]) == ("C1", sent.id)
    assert edit.params["blocks"][0]["text"]["text"].endswith("Fetching 2/3")


async def test_a_private_reply_is_ephemeral_to_the_asker(rig: Rig) -> None:
    asker = asked_by("U1", rig.fake.response_url())
    await rig.outbound.send(CHANNEL, Reply("Your link: …", private=True), answering=asker)

    assert rig.methods() == ["chat.postEphemeral"]
    (call,) = rig.fake.calls
    assert (call.params["channel"], call.params["user"]) == ("C1", "U1")


async def test_a_private_file_is_a_link_for_the_asker_never_an_upload(rig: Rig) -> None:
    clip = rig.clip(100)
    reply = Reply("clip", private=True, attachment=clip)
    await rig.outbound.send(CHANNEL, reply, answering=asked_by("U1"))

    assert rig.methods() == ["chat.postEphemeral"]
    assert f"{PUBLIC_URL}/files/" in json.dumps(rig.fake.calls[0].params["blocks"])


async def test_a_private_reply_with_no_asker_is_refused_not_shown_to_the_room(rig: Rig) -> None:
    with pytest.raises(PrivateReplyError):
        await rig.outbound.send(CHANNEL, Reply("secret", private=True))
    assert rig.fake.calls == []
    # In a direct conversation the room is the person: it is simply posted there.
    await rig.outbound.send(Place("slack", "D1", direct=True), Reply("secret", private=True))
    assert rig.methods() == ["chat.postMessage"]


async def test_a_file_is_uploaded_with_the_reply_as_its_comment(rig: Rig) -> None:
    clip = rig.clip(LIMIT)
    reply = Reply(
        "*Lobby* 14:30–14:32",
        title="Lobby — clip",
        fields=(Field("SHA-256", "ab" * 32),),
        attachment=clip,
        buttons=(Button("Snapshot", "snapshot lobby"),),
    )
    await rig.outbound.send(CHANNEL.in_thread("7.0"), reply)

    assert rig.methods() == [
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
        "chat.postMessage",
    ]
    ticket, upload, completion, buttons = rig.fake.calls
    assert (ticket.params["filename"], int(ticket.params["length"])) == ("lobby.mp4", LIMIT)
    assert rig.fake.uploads[upload.params["file_id"]].read_bytes() == clip.path.read_bytes()
    assert json.loads(completion.params["files"]) == [
        {"id": upload.params["file_id"], "title": "Lobby — clip"}
    ]
    assert (completion.params["channel_id"], completion.params["thread_ts"]) == ("C1", "7.0")
    assert f"*SHA-256:* {'ab' * 32}" in completion.params["initial_comment"]
    assert buttons.params["blocks"][0]["elements"][0]["value"] == "snapshot lobby"
    assert buttons.params["thread_ts"] == "7.0"


async def test_a_file_over_the_limit_becomes_a_signed_download_link(rig: Rig) -> None:
    clip = rig.clip(LIMIT + 1)
    await rig.outbound.send(CHANNEL, Reply("clip", title="Lobby — clip", attachment=clip))

    assert rig.methods() == ["chat.postMessage"]
    (context,) = [b for b in rig.fake.calls[0].params["blocks"] if b["type"] == "context"]
    (link,) = [e["text"] for e in context["elements"]]
    token = link.split("/files/")[1].split("/")[0]
    assert link.startswith(f":link: <{PUBLIC_URL}/files/") and "Download lobby.mp4" in link
    assert "1.0 kB, over the 1.0 kB Slack upload limit" in link
    links = FileLinks(b"k" * 32, PUBLIC_URL, rig.media)
    assert links.resolve(token) == clip.path.resolve()


async def test_a_429_is_retried_after_retry_after_and_posted_once(rig: Rig) -> None:
    rig.fake.fail_next("chat.postMessage", status=429, retry_after=1)
    await rig.outbound.send(CHANNEL, Reply("cameras"))

    assert rig.methods() == ["chat.postMessage", "chat.postMessage"]


async def test_outside_the_bots_channels_the_asker_is_answered_privately(rig: Rig) -> None:
    rig.fake.refuse_channel("C9")
    outside = Place("slack", "C9")
    asker = asked_by("U1", rig.fake.response_url())
    await rig.outbound.send(outside, Reply("3 cameras", attachment=rig.clip(10)), answering=asker)

    response = rig.fake.to("response")[0].params
    assert response["response_type"] == "ephemeral" and response["replace_original"] is False
    shown = json.dumps(response["blocks"])
    assert "Invite me" in shown and f"{PUBLIC_URL}/files/" in shown
    # With no one to tell (no command, no response_url) the failure is the caller's.
    with pytest.raises(SlackApiError):
        await rig.outbound.send(outside, Reply("alert"))


async def test_a_member_found_by_email_gets_a_direct_message(rig: Rig) -> None:
    assert await rig.outbound.send_direct("viewer@example.com", Reply("a link", private=True))
    assert not await rig.outbound.send_direct("nobody@example.com", Reply("a link"))

    (post,) = rig.fake.to("chat.postMessage")
    assert post.params["channel"] == "U2"


def snapshot(rig: Rig) -> Attachment:
    path = rig.media / "lobby.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0" + b"j" * 200)
    return Attachment(path, "image", "image/jpeg", "lobby.jpg")


def images(blocks: list[dict[str, object]]) -> list[object]:
    return [b["slack_file"] for b in blocks if b["type"] == "image"]


async def test_a_snapshot_is_a_message_showing_it_that_threads_and_edits_like_any(
    rig: Rig,
) -> None:
    reply = Reply("*Lobby* 14:30", title="Lobby — snapshot", attachment=snapshot(rig))
    sent = await rig.outbound.send(CHANNEL, reply, key="alert-1-heads-up")

    _ticket, upload, completion, post = rig.fake.calls
    assert "channel_id" not in completion.params  # uploaded, not shared as a file
    file_id = upload.params["file_id"]
    assert images(post.params["blocks"]) == [{"id": file_id}]
    assert post.params["metadata"]["event_payload"]["key"] == "alert-1-heads-up"
    shown = rig.fake.message("C1", sent.id)
    assert shown is not None and shown["metadata"]["event_payload"]["key"] == "alert-1-heads-up"
    # A reply in its thread and an edit in place are both taken by Slack.
    await rig.outbound.send(CHANNEL.in_thread(sent.id), Reply("The clip follows"))
    await rig.outbound.update(sent, Reply("*Lobby* 14:30, plate settled", title="Lobby"))
    assert rig.methods()[-2:] == ["chat.postMessage", "chat.update"]
    edited = rig.fake.message("C1", sent.id)
    assert edited is not None and "plate settled" in json.dumps(edited["blocks"])
    assert images(edited["blocks"]) == [{"id": file_id}]  # the picture stays
    assert await rig.outbound.find(CHANNEL, "alert-1-heads-up", datetime(2000, 1, 1, tzinfo=UTC))


async def test_a_snapshot_slack_is_still_processing_is_posted_once_it_is_ready(rig: Rig) -> None:
    rig.fake.image_lag = 2  # Slack answers invalid_blocks ("invalid slack file") twice
    sent = await rig.outbound.send(CHANNEL, Reply("snap", attachment=snapshot(rig)), key="k1")

    posts = rig.fake.to("chat.postMessage")
    assert len(posts) == 3 and all(images(p.params["blocks"]) for p in posts)
    assert sent.extra["kind"] == "message" and rig.fake.history["C1"][0]["ts"] == sent.id


async def test_a_snapshot_slack_never_takes_inline_is_shared_under_the_message(rig: Rig) -> None:
    rig.fake.image_lag = 99
    sent = await rig.outbound.send(CHANNEL, Reply("snap", attachment=snapshot(rig)), key="k1")

    message, share = rig.fake.history["C1"]
    assert (message["ts"], message["metadata"]["event_payload"]["key"]) == (sent.id, "k1")
    assert not images(message["blocks"])
    assert share["thread_ts"] == sent.id and share["files"]
    assert sent.extra["kind"] == "message"


async def test_a_clip_at_the_top_level_is_known_by_its_shares_ts(rig: Rig) -> None:
    rig.fake.share_lag = 2  # files.info lists the share only on the third asking
    sent = await rig.outbound.send(CHANNEL, Reply("clip", attachment=rig.clip(100)))

    (share,) = rig.fake.history["C1"]
    assert sent.id == share["ts"] and sent.extra["kind"] == "file"
    assert len(rig.fake.to("files.info")) == 3
    await rig.outbound.send(CHANNEL.in_thread(sent.id), Reply("more on this clip"))
    assert rig.fake.history["C1"][-1]["thread_ts"] == sent.id


async def test_a_clip_whose_share_slack_does_not_list_says_it_cannot_be_threaded(
    rig: Rig,
) -> None:
    rig.fake.share_lag = 99
    sent = await rig.outbound.send(CHANNEL, Reply("clip", attachment=rig.clip(100)))

    assert sent.extra["threadable"] == "no" and sent.id == sent.extra["file"]


async def test_the_fake_refuses_threads_and_edits_of_messages_it_does_not_hold(rig: Rig) -> None:
    with pytest.raises(SlackApiError) as refused:
        await rig.outbound.send(CHANNEL.in_thread("F000123"), Reply("in a file's thread"))
    assert refused.value.response["error"] == "invalid_thread_ts"
    ghost = SentMessage(CHANNEL, "9.999", {"kind": "message", "channel": "C1"})
    with pytest.raises(SlackApiError) as missing:
        await rig.outbound.update(ghost, Reply("edit"))
    assert missing.value.response["error"] == "message_not_found"
