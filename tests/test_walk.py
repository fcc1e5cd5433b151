"""One walk over a Reply: the parts in one order, and every renderer shows what it is handed."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from adapters.console import render
from adapters.slack.blocks import blocks, comment_text
from adapters.walk import Buttons, Fields, File, Heading, SmallPrint, Table, walk
from adapters.webex.markdown import render_markdown
from bot.messages import Attachment, Button, Field, Reply, Tone

CLIP = Attachment(Path("/clips/FILE.mp4"), "video", "video/mp4", "FILE.mp4")
# Each part carries a word of its own, so a rendering shows where each part landed.
FULL = Reply(
    "TEXT",
    tone=Tone.SUCCESS,
    title="TITLE",
    fields=(Field("Camera", "FIELD"),),
    table=(("Name",), ("TABLE",)),
    attachment=CLIP,
    context=("SMALLPRINT",),
    buttons=(Button("BUTTON", "clip lobby 2m"),),
)


def test_the_walk_visits_a_full_reply_heading_first_and_buttons_last() -> None:
    assert walk(FULL) == [
        Heading(Tone.SUCCESS, "TITLE", "TEXT"),
        Fields((Field("Camera", "FIELD"),)),
        Table((("Name",), ("TABLE",))),
        File(CLIP),
        SmallPrint(("SMALLPRINT",)),
        Buttons((Button("BUTTON", "clip lobby 2m"),)),
    ]


def test_a_bare_reply_is_its_heading_and_room_for_an_adapters_small_print() -> None:
    assert walk(Reply("nope", tone=Tone.ERROR, title="")) == [
        Heading(Tone.ERROR, None, "nope"),
        SmallPrint(()),
    ]


def _slack(reply: Reply) -> str:
    return json.dumps(blocks(reply))


HEAD_TO_SMALL_PRINT = ["TITLE", "TEXT", "FIELD", "TABLE", "SMALLPRINT"]


@pytest.mark.parametrize(
    ("renderer", "shown"),
    [
        (render, ["TITLE", "TEXT", "FIELD", "TABLE", "FILE", "SMALLPRINT", "BUTTON"]),
        (render_markdown, HEAD_TO_SMALL_PRINT),  # the file and a card of buttons go beside it
        (_slack, [*HEAD_TO_SMALL_PRINT, "BUTTON"]),  # the file goes as an upload
        (comment_text, HEAD_TO_SMALL_PRINT),  # the comment on that upload; buttons follow it
    ],
    ids=["console", "webex", "slack-blocks", "slack-comment"],
)
def test_every_renderer_shows_each_part_in_the_walks_order(
    renderer: Callable[[Reply], str], shown: list[str]
) -> None:
    out = renderer(FULL)
    assert [word for word in shown if word in out] == shown
    assert sorted(shown, key=out.index) == shown


def test_an_adapters_own_small_print_shows_when_the_reply_has_none() -> None:
    # A Slack reply sent privately carries its clip as a link note in the small print.
    reply = Reply("Lobby clip", buttons=(Button("Again", "clip lobby 2m"),))
    rendered = blocks(reply, notes=(":link: <https://x/f|Download lobby.mp4>",))
    assert [b["type"] for b in rendered] == ["section", "context", "actions"]
    assert comment_text(reply, notes=("who asked",)).splitlines() == ["Lobby clip", "who asked"]
