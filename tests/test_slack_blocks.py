"""Reply → Block Kit: every shape of reply the core makes, as Slack will show it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from adapters.slack.blocks import (
    BLOCKS_PER_MESSAGE,
    FIELDS_PER_SECTION,
    asker_note,
    blocks,
    comment_text,
    fallback_text,
    link_note,
)
from adapters.slack.inbound import Asker
from bot.messages import Attachment, Button, Field, Reply, Tone


def kinds(rendered: list[dict[str, Any]]) -> list[str]:
    return [block["type"] for block in rendered]


def test_a_titled_reply_has_a_header_then_its_text() -> None:
    rendered = blocks(Reply("*Lobby* 14:30–14:32", title="Lobby — clip", tone=Tone.SUCCESS))
    assert kinds(rendered) == ["header", "section"]
    assert rendered[0]["text"] == {
        "type": "plain_text",
        "text": ":white_check_mark: Lobby — clip",
        "emoji": True,
    }
    assert rendered[1]["text"] == {"type": "mrkdwn", "text": "*Lobby* 14:30–14:32"}


def test_an_error_is_marked_and_slack_markup_in_text_is_escaped() -> None:
    (section,) = blocks(Reply("Camera <lobby> & co not found", tone=Tone.ERROR))
    assert section["text"]["text"] == ":x: Camera &lt;lobby&gt; &amp; co not found"


def test_fields_are_label_value_pairs_ten_to_a_section() -> None:
    fields = tuple(Field(f"F{i}", f"v{i}") for i in range(12))
    rendered = blocks(Reply("text", fields=fields))
    assert kinds(rendered) == ["section", "section", "section"]
    first, second = rendered[1]["fields"], rendered[2]["fields"]
    assert len(first) == FIELDS_PER_SECTION and len(second) == 2
    assert first[0] == {"type": "mrkdwn", "text": "*F0*\nv0"}


def test_a_table_is_aligned_monospace_with_its_header_underlined() -> None:
    table = (("Name", "Model"), ("Lobby", "MV12"), ("Garage Entrance", "MV72"))
    rendered = blocks(Reply("2 cameras", title="Cameras", table=table))
    code = rendered[-1]["text"]["text"]
    assert code.startswith("```") and code.endswith("```")
    lines = code.strip("`").splitlines()
    assert lines[0] == "Name             Model"
    assert set(lines[1]) <= {"─", " "}
    assert lines[3] == "Garage Entrance  MV72"


def test_a_long_table_is_split_into_sections_slack_accepts() -> None:
    table = (("Name",), *((f"camera number {i:04d}",) for i in range(400)))
    rendered = blocks(Reply("many", table=table))
    sections = rendered[1:]
    assert len(sections) > 1
    assert all(len(s["text"]["text"]) <= 3000 for s in sections)
    text = "".join(s["text"]["text"] for s in sections)
    assert "camera number 0000" in text and "camera number 0399" in text


def test_buttons_become_actions_carrying_their_command() -> None:
    buttons = (
        Button("30 s earlier", "clip Q2FV-LBBY-0001 2026-03-23T14:29:30Z 120s"),
        Button("Revoke", "share revoke lobby", danger=True),
    )
    rendered = blocks(Reply("clip", buttons=buttons))
    actions = rendered[-1]
    assert actions["type"] == "actions"
    earlier, revoke = actions["elements"]
    assert earlier["value"] == "clip Q2FV-LBBY-0001 2026-03-23T14:29:30Z 120s"
    assert earlier["text"]["text"] == "30 s earlier"
    assert earlier["action_id"] != revoke["action_id"]
    assert all(e["action_id"].startswith("mvbot:") for e in actions["elements"])
    # A dangerous button asks before it acts.
    assert revoke["style"] == "danger" and revoke["confirm"]["confirm"]["text"] == "Revoke"
    assert "style" not in earlier and "confirm" not in earlier


def test_context_holds_small_print_and_who_asked() -> None:
    note = asker_note(Asker("U1", typed="/mv clip lobby 10m ago 2m"))
    assert note == "<@U1> asked `/mv clip lobby 10m ago 2m`"
    rendered = blocks(Reply("clip", context=("UTC 14:30:00–14:32:00",)), notes=(note,))
    (context,) = [b for b in rendered if b["type"] == "context"]
    assert [e["text"] for e in context["elements"]] == ["UTC 14:30:00–14:32:00", note]
    assert asker_note(Asker("U2", pressed="Snapshot")) == "<@U2> pressed “Snapshot”"
    assert asker_note(Asker("U3")) is None and asker_note(None) is None


def test_an_oversized_reply_keeps_its_head_context_and_buttons() -> None:
    table = tuple((f"row {i} " + "x" * 2900,) for i in range(80))
    reply = Reply("big", context=("note",), buttons=(Button("Again", "cameras"),), table=table)
    rendered = blocks(reply)
    assert len(rendered) == BLOCKS_PER_MESSAGE
    assert kinds(rendered)[0] == "section" and kinds(rendered)[-2:] == ["context", "actions"]


def test_fallback_and_file_comment_carry_the_whole_reply(tmp_path: Path) -> None:
    reply = Reply(
        "*Lobby* 14:30–14:32",
        title="Lobby — clip",
        tone=Tone.SUCCESS,
        fields=(Field("SHA-256", "ab" * 32),),
        context=("UTC 2026-03-23 18:30:00–18:32:00",),
    )
    assert fallback_text(reply) == "Lobby — clip: *Lobby* 14:30–14:32"
    comment = comment_text(reply, notes=("<@U1> asked `/mv clip lobby`",))
    assert comment.splitlines() == [
        ":white_check_mark: *Lobby — clip*",
        "*Lobby* 14:30–14:32",
        f"*SHA-256:* {'ab' * 32}",
        "UTC 2026-03-23 18:30:00–18:32:00",
        "<@U1> asked `/mv clip lobby`",
    ]


def test_a_download_link_names_the_file_and_says_why() -> None:
    attachment = Attachment(Path("/x/clip.mp4"), "video", "video/mp4", "lobby|1.mp4")
    note = link_note(attachment, "https://mvbot.example.com/files/t/lobby.mp4", "too big")
    assert (
        note
        == ":link: <https://mvbot.example.com/files/t/lobby.mp4|Download lobby_1.mp4> (too big)"
    )
