"""Replies as Webex sees them: markdown within 7,439 bytes, cards of buttons, files or links."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from adapters.webex.cards import CARD_CONTENT_TYPE, buttons_card, command_of
from adapters.webex.markdown import MARKDOWN_LIMIT, render_markdown, split_markdown
from adapters.webex.outbound import plan_messages
from bot.messages import Attachment, Button, Field, Person, Place, Reply, Tone
from bot.web.links import FileLinks

GROUP = Place("webex", "room-1", "thread-1")


def links(root: Path) -> FileLinks:
    return FileLinks(b"k" * 32, "https://mvbot.example", root)


def clip(path: Path) -> Reply:
    return Reply(
        title="Lobby — clip",
        text="*Lobby* Sat 21 Nov 14:30:00–14:32:00 EST (2 min)",
        tone=Tone.SUCCESS,
        fields=(Field("Camera", "Lobby (MV12, Q2XX-0001)"), Field("SHA-256", "ab" * 32)),
        context=("The footage covers 1 min of the 2 min asked for.",),
        attachment=Attachment(path, "video", "video/mp4", path.name),
        buttons=(Button("30 s earlier", "clip Q2XX-0001 2026-11-21T19:29:30Z 120s"),),
    )


def test_a_clip_reads_as_webex_markdown_with_bold_fields_and_checksum(tmp_path: Path) -> None:
    text = render_markdown(clip(tmp_path / "a.mp4"))
    lines = text.split("\n")
    assert lines[0] == "✅ **Lobby — clip**"
    assert lines[1] == "**Lobby** Sat 21 Nov 14:30:00–14:32:00 EST (2 min)"
    assert "**SHA-256:** " + "ab" * 32 in lines
    assert "> The footage covers 1 min of the 2 min asked for." in lines


def test_code_spans_keep_their_asterisks_and_tables_become_code_blocks() -> None:
    reply = Reply(
        "Try `clip *lobby* now` or *help*",
        tone=Tone.ERROR,
        table=(("Name", "Model"), ("Lobby", "MV12"), ("Dock door", "MV72")),
    )
    lines = render_markdown(reply).split("\n")
    assert lines[0] == "❌ Try `clip *lobby* now` or **help**"
    assert lines[2:] == ["```", "Name       Model", "---------  -----", "Lobby      MV12",
                         "Dock door  MV72", "```"]  # fmt: skip


def test_a_long_list_is_split_into_messages_at_line_ends() -> None:
    rows = [f"- Camera {i:04d} — Parking level {i % 7} (MV72, Q2XX-{i:04d}) é" for i in range(600)]
    chunks = split_markdown("\n".join(rows))
    assert len(chunks) > 1
    assert all(len(c.encode()) <= MARKDOWN_LIMIT for c in chunks)
    assert [line for c in chunks for line in c.split("\n")] == rows
    assert max(len(c.encode()) for c in chunks) > MARKDOWN_LIMIT - 100  # messages are full


def test_a_code_block_cut_in_two_is_closed_and_reopened() -> None:
    body = [f"Camera {i:04d}  MV12  online" for i in range(400)]
    chunks = split_markdown("\n".join(["Cameras:", "```", *body, "```"]), limit=2000)
    assert len(chunks) > 2
    for chunk in chunks:
        assert len(chunk.encode()) <= 2000
        assert chunk.count("```") % 2 == 0, chunk  # every message renders on its own
    inner = [line for c in chunks for line in c.split("\n") if line not in ("```", "Cameras:")]
    assert inner == body


def test_a_single_line_longer_than_a_message_is_broken_at_spaces() -> None:
    line = " ".join(["word"] * 3000)
    chunks = split_markdown(line)
    assert all(len(c.encode()) <= MARKDOWN_LIMIT for c in chunks)
    assert " ".join(chunks) == line


@given(
    st.lists(st.text(alphabet=st.sampled_from("ab é✅`*-"), min_size=0, max_size=60), max_size=200),
    st.integers(min_value=80, max_value=400),
)
def test_split_never_exceeds_the_limit_nor_cuts_a_line(lines: list[str], limit: int) -> None:
    lines = [line.replace("`", "") for line in lines]  # no fences: lines come back verbatim
    chunks = split_markdown("\n".join(lines), limit=limit)
    assert all(len(c.encode()) <= limit for c in chunks)
    kept = [line for c in chunks for line in c.split("\n")]
    assert [x for x in kept if x.strip()] == [x for x in lines if x.strip()]


def test_buttons_are_an_adaptive_card_1_3_whose_submit_data_is_the_command() -> None:
    reply = Reply(
        "Shared.",
        title="Lobby — share",
        buttons=(
            Button("Extend 1 h", "share extend lobby"),
            Button("Revoke", "unshare lobby", True),
        ),
    )
    attachment = buttons_card(reply)
    assert attachment["contentType"] == CARD_CONTENT_TYPE
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.3"
    actions = card["actions"]
    assert [a["type"] for a in actions] == ["Action.Submit", "Action.Submit"]
    assert [a["title"] for a in actions] == ["Extend 1 h", "Revoke"]
    assert actions[1]["style"] == "destructive" and "style" not in actions[0]
    # Webex hands the submit data back as the action's inputs: that maps to the command.
    assert [command_of(a["data"]) for a in actions] == ["share extend lobby", "unshare lobby"]
    assert command_of({"comment": "hi"}) is None


def test_a_clip_is_one_message_with_its_file_then_one_with_the_card(tmp_path: Path) -> None:
    path = tmp_path / "lobby.mp4"
    path.write_bytes(b"\0" * 1000)
    messages = plan_messages(GROUP, clip(path), links=links(tmp_path), file_limit=1000)
    assert [m.file for m in messages] == [path, None]
    assert messages[1].card is not None and messages[0].card is None
    assert "ab" * 32 in messages[0].markdown
    fields = [m.fields() for m in messages]
    assert all(f["roomId"] == "room-1" and f["parentId"] == "thread-1" for f in fields)
    assert "clip Q2XX-0001 2026-11-21T19:29:30Z 120s" in fields[1]["markdown"]  # the fallback
    assert fields[1]["attachments"][0]["content"]["version"] == "1.3"


def test_a_file_over_the_limit_becomes_a_signed_download_link(tmp_path: Path) -> None:
    path = tmp_path / "lobby.mp4"
    path.write_bytes(b"\0" * 1001)
    signed = links(tmp_path)
    messages = plan_messages(GROUP, clip(path), links=signed, file_limit=1000)
    assert all(m.file is None for m in messages)
    text = messages[0].markdown
    assert "over Webex's" in text and "https://mvbot.example/files/" in text
    url = text.split("](", 1)[1].split(")", 1)[0]
    token = url.removeprefix("https://mvbot.example/files/").split("/")[0]
    assert signed.resolve(token) == path  # the link serves exactly that file


def test_a_private_reply_goes_to_the_asker_not_into_the_room(tmp_path: Path) -> None:
    asker = Person("webex", "person-ann", email="ann@example.com")
    reply = Reply("Your share link is ready, only you see it", private=True)
    (message,) = plan_messages(GROUP, reply, links=links(tmp_path), recipient=asker)
    assert message.fields() == {"markdown": reply.text, "toPersonId": "person-ann"}
