"""What people and devices wrote, run through every renderer: no mention, no link but
mvbot's own, no markup that mvbot did not choose (issue 13, item 2)."""

from __future__ import annotations

import json
import re

import pytest

from adapters.console import render
from adapters.slack.blocks import blocks, comment_text, fallback_text
from adapters.webex.cards import buttons_card, card_fallback
from adapters.webex.markdown import render_markdown
from bot.grammar.tokens import echo
from bot.messages import Button, Field, Hyperlink, Reply, Tone, literal

CORPUS = [
    "<@all>",
    "@all",
    "<@personEmail:boss@example.com>",
    "<!channel>",
    "<!here>",
    "@here",
    "@channel",
    "[Session expired, sign in again](https://evil.example/login)",
    "https://evil.example/login",
    "www.evil.example",
    "evil@example.com",
    "<https://evil.example|ok>",
    "**bold**",
    "*bold*",
    "_x_",
    "~x~",
    "# h",
    "> q",
    "<script>alert(1)</script>",
    "&lt;@all&gt;",
    "`code` ```fence```",
    "a\u200bb\u202egnp.exe\u2066x",
    "\x1b[31mred\x1b[0m",
    "x" * 500,
]
OURS = Hyperlink("Open the live stream", "https://mvbot.example/s/TOKEN")


def reply_with(words: str) -> Reply:
    """Outside words everywhere a reply embeds them, the way the core embeds them."""
    return Reply(
        f"Camera '{echo(words)}' not found — say `cameras`. *{literal(words)}* at {words}",
        tone=Tone.ERROR,
        title=f"Plate {words}",
        fields=(Field("Note", literal(words)), Field(words, "x")),
        table=(("Camera", "Share"), (words, words)),
        context=(f"Shared by {literal(words)}",),
        buttons=(Button(words, f"clip {words}"),),
        links=(OURS,),
    )


def _webex(reply: Reply) -> str:
    return render_markdown(reply) + "\n" + card_fallback(reply)


def _mrkdwn_in(node: object) -> list[str]:
    """Every mrkdwn text in blocks (plain_text and button values are never parsed)."""
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn":
            return [str(node["text"])]
        return [text for value in node.values() for text in _mrkdwn_in(value)]
    if isinstance(node, list):
        return [text for value in node for text in _mrkdwn_in(value)]
    return []


def _slack(reply: Reply) -> str:
    return "\n".join([*_mrkdwn_in(blocks(reply)), comment_text(reply), fallback_text(reply)])


def _without_ours_webex(markdown: str) -> str:
    return markdown.replace(f"]({OURS.url})", "]")


def _without_ours_slack(text: str) -> str:
    return text.replace(f"<{OURS.url}|{OURS.label}>", "")


def _outside_code(markdown: str) -> str:
    """Markdown without its code blocks and spans, where markup is shown as typed."""
    return re.sub(r"```.*?```|`[^`]*`", "", markdown, flags=re.DOTALL)


@pytest.mark.parametrize("words", CORPUS)
def test_webex_markdown_carries_no_mention_link_or_address(words: str) -> None:
    markdown = _without_ours_webex(_webex(reply_with(words)))
    assert "<@" not in markdown and "](" not in _outside_code(markdown)
    assert "http" not in markdown.replace("hxxp", "")
    assert "\x1b" not in markdown and "\u202e" not in markdown
    prose = _outside_code(markdown)
    assert "<" not in prose  # no tag, no mention: every `<` is an entity
    assert not re.search(r"[\w.-]+@[\w-]+\.[a-z]{2,}", prose)  # no mailto link to make


@pytest.mark.parametrize("words", CORPUS)
def test_webex_markers_are_only_the_cores_own(words: str) -> None:
    text = render_markdown(Reply(f"{literal(words)} *Lobby* `help`"))
    # Every `*`, `_`, `~`, `[` the person wrote is escaped; mvbot's bold and code remain.
    assert text.endswith(" **Lobby** `help`")
    body = text.removesuffix(" **Lobby** `help`")
    assert not re.search(r"(?<!\\)[*_~`\[\]|]", body.replace("\\\\", "")), body
    assert not body.startswith(("#", ">", "-"))


@pytest.mark.parametrize("words", CORPUS)
def test_slack_carries_no_mention_link_or_formatting_but_mvbots(words: str) -> None:
    reply = reply_with(words)
    text = _without_ours_slack(_slack(reply))
    assert "<!" not in text and "<@" not in text and "<http" not in text
    assert "http" not in text.replace("hxxp", "")
    assert not re.search(r"@(?!\u200b)(here|channel|everyone)", text)
    assert not re.search(r"[\w.-]+@[\w-]+\.[a-z]{2,}", _outside_code(text))
    assert json.dumps(blocks(reply)).count(OURS.url) == 1  # mvbot's own link is still there


@pytest.mark.parametrize("words", CORPUS)
def test_slack_formatting_characters_from_people_cannot_pair(words: str) -> None:
    section = blocks(Reply(f"{literal(words)} *Lobby*"))[0]["text"]["text"]
    assert section.endswith(" *Lobby*")
    body = section.removesuffix(" *Lobby*")
    # Each `*`, `_`, `~` is walled in by zero-width spaces: no word boundary to open at.
    assert not re.search(r"(?<!\u200b)[*_~]|[*_~](?!\u200b)", body), body


@pytest.mark.parametrize("words", CORPUS)
def test_the_console_shows_no_control_sequence_nor_live_address(words: str) -> None:
    text = render(reply_with(words))
    assert "\x1b" not in text and "\u202e" not in text and "\u200b" not in text
    assert "http" not in text.replace("hxxp", "").replace(OURS.url, "")
    assert f"Open the live stream: {OURS.url}" in text


def test_the_issue_probes_reach_webex_as_text() -> None:
    mention = render_markdown(Reply(f"I don't know '{echo('<@all>')}' — say `help`."))
    assert mention == "I don't know '&lt;&#64;all&gt;' — say `help`."
    phishing = "[Session expired, sign in again](https://evil.example/login)"
    shown = render_markdown(Reply(f"I don't know '{echo(phishing)}'"))
    assert shown == (
        "I don't know '\\[Session expired, sign in again\\]\\(hxxps://evil\\[.\\]example/login)'"
    )


def test_a_star_in_a_camera_name_does_not_break_the_cores_bold() -> None:
    reply = Reply(f"*{literal('Dock *2')}* at *{literal('Gate `B`')}*")
    assert render_markdown(reply) == "**Dock \\*2** at **Gate \\`B\\`**"
    assert render(reply) == "Dock *2 at Gate `B`"


def test_mvbots_own_url_in_the_text_is_the_one_link() -> None:
    reply = Reply(f"Watch it here: {OURS.url} (not https://evil.example)", links=(OURS,))
    # Webex links a plain URL of mvbot's itself; only the other address is defanged.
    assert render_markdown(reply) == f"Watch it here: {OURS.url} (not hxxps://evil\\[.\\]example)"
    underscored = Hyperlink("Open", "https://mvbot.example/s/a_b_")
    written_out = render_markdown(Reply(f"See {underscored.url}", links=(underscored,)))
    shown = underscored.url.replace("_", "\\_")  # the label is text: no _emphasis_
    assert written_out == f"See [{shown}]({underscored.url})"
    section = blocks(reply)[0]["text"]["text"]
    assert section == f"Watch it here: <{OURS.url}> (not hxxps://evil[.]example)"


def test_a_card_title_from_an_event_links_nowhere() -> None:
    card = buttons_card(
        Reply("x", title="[Sign in](https://evil.example)", buttons=(Button("a", "b"),))
    )
    title = card["content"]["body"][0]["text"]
    assert "](" not in title and "https://" not in title
