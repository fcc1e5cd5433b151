"""Slack payloads → neutral commands: what the person meant, who they are, where to answer."""

from __future__ import annotations

from adapters.slack.inbound import (
    from_actions,
    from_command,
    from_direct,
    from_mention,
    plain_text,
    strip_mention,
)
from bot.messages import Place

BOT = "UBOT"


def test_the_bots_mention_is_stripped_wherever_it_stands() -> None:
    assert strip_mention("<@UBOT> clip lobby 10m ago", BOT) == "clip lobby 10m ago"
    assert strip_mention("<@UBOT|mvbot>   cameras  ", BOT) == "cameras"
    assert strip_mention("show <@UBOT> cameras", BOT) == "show cameras"
    assert strip_mention("<@U7> hi", BOT) == "<@U7> hi"  # someone else's mention stays


def test_slack_markup_becomes_what_was_typed() -> None:
    assert plain_text("share lobby <mailto:ana@example.com|ana@example.com>") == (
        "share lobby ana@example.com"
    )
    assert plain_text("see <https://example.com/x|example.com/x>") == "see example.com/x"
    assert plain_text("<https://example.com>") == "https://example.com"
    assert plain_text("in <#C123|security>") == "in #security"
    assert plain_text("ask <@U7>") == "ask @U7"
    assert plain_text("clip lobby 14:30 &amp; &lt;b&gt;") == "clip lobby 14:30 & <b>"


def test_a_slash_command_runs_in_its_channel_for_its_user() -> None:
    incoming = from_command(
        {
            "command": "/mv",
            "text": " clip  lobby 10m ago 2m ",
            "user_id": "U1",
            "channel_id": "C1",
            "response_url": "https://hooks.slack.com/commands/1",
            "trigger_id": "t1",
        }
    )
    assert incoming.text == "clip lobby 10m ago 2m"
    assert incoming.place == Place("slack", "C1")
    asker = incoming.asker()
    assert (asker.user_id, asker.response_url) == ("U1", "https://hooks.slack.com/commands/1")
    assert asker.typed == "/mv clip lobby 10m ago 2m"


def test_a_mention_in_a_thread_is_answered_in_that_thread() -> None:
    event = {
        "type": "app_mention",
        "user": "U1",
        "text": "<@UBOT> cameras",
        "channel": "C1",
        "ts": "2.0",
        "thread_ts": "1.0",
    }
    incoming = from_mention(event, BOT)
    assert incoming is not None
    assert incoming.text == "cameras" and incoming.place == Place("slack", "C1", "1.0")
    top_level = from_mention({**event, "thread_ts": None}, BOT)
    assert top_level is not None and top_level.place.thread_id is None


def test_bots_edits_and_its_own_posts_are_not_commands() -> None:
    base = {"type": "message", "channel": "D1", "channel_type": "im", "text": "cameras"}
    assert from_direct({**base, "user": "U1"}, BOT) is not None
    assert from_direct({**base, "user": BOT}, BOT) is None
    assert from_direct({**base, "user": "U7", "bot_id": "B7"}, BOT) is None
    assert from_direct({**base, "user": "U1", "subtype": "message_changed"}, BOT) is None
    assert from_direct({**base, "user": "U1", "channel_type": "channel"}, BOT) is None
    # A DM that also fires app_mention is run once, from message.im.
    assert from_mention({**base, "user": "U1"}, BOT) is None


def test_a_direct_message_is_a_private_place() -> None:
    event = {"type": "message", "channel": "D1", "channel_type": "im", "user": "U1"}
    incoming = from_direct({**event, "text": "<@UBOT> help"}, BOT)
    assert incoming is not None
    assert incoming.text == "help" and incoming.place == Place("slack", "D1", direct=True)


def test_a_button_press_runs_its_command_for_the_presser_where_the_button_is() -> None:
    body = {
        "type": "block_actions",
        "user": {"id": "U2"},
        "channel": {"id": "C1"},
        "container": {"type": "message", "channel_id": "C1", "message_ts": "5.0"},
        "message": {"ts": "5.0", "thread_ts": "1.0"},
        "response_url": "https://hooks.slack.com/actions/1",
        "actions": [
            {"action_id": "mvbot:0", "value": "snapshot lobby", "text": {"text": "Snapshot"}},
            {"action_id": "other-app", "value": "rm -rf"},
        ],
    }
    (press,) = from_actions(body)
    assert press.text == "snapshot lobby"
    assert press.user_id == "U2" and press.place == Place("slack", "C1", "1.0")
    assert press.asker().pressed == "Snapshot"
