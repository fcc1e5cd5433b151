"""The Slack app manifests: valid in the shape Slack documents, and in step with the code
(the command, the events it listens to, the scopes the Web API calls it makes need)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

import adapters.slack
from adapters.slack.manifest import BOT_EVENTS, BOT_SCOPES, EVENTS_PATH, SLASH_COMMAND

ROOT = Path(__file__).resolve().parent.parent
SOURCE = Path(adapters.slack.__file__).parent

# Each Web API method the adapter may call, and the bot scope Slack requires for it.
METHOD_SCOPES = {
    "auth_test": None,
    "users_info": "users:read",
    "users_lookupByEmail": "users:read.email",
    "chat_postMessage": "chat:write",
    "chat_update": "chat:write",
    "chat_postEphemeral": "chat:write",
    "files_getUploadURLExternal": "files:write",
    "files_completeUploadExternal": "files:write",
    "files_info": "files:read",
    "conversations_history": "channels:history",
    "conversations_replies": "channels:history",
}
# Needed without a method call of their own: the slash command itself, the e-mail in
# users.info, and conversations.history/replies in private channels.
IMPLIED_SCOPES = {"commands", "users:read.email", "groups:history"}


def load(name: str) -> dict[str, Any]:
    manifest = yaml.safe_load((ROOT / "manifest" / name).read_text())
    assert isinstance(manifest, dict)
    return manifest


def called_methods() -> set[str]:
    found: set[str] = set()
    for path in SOURCE.glob("*.py"):
        found.update(re.findall(r"\b_?client\.(\w+)\(", path.read_text()))
    return found


def test_the_code_calls_only_methods_whose_scopes_are_known() -> None:
    methods = called_methods()
    assert methods, "no Web API call found: has the client been renamed?"
    assert methods <= set(METHOD_SCOPES), methods - set(METHOD_SCOPES)


@pytest.mark.parametrize("name", ["slack-app.socket.yaml", "slack-app.http.yaml"])
def test_a_manifest_declares_what_the_code_needs_and_no_more(name: str) -> None:
    manifest = load(name)
    assert set(manifest) <= {
        "_metadata",
        "display_information",
        "features",
        "oauth_config",
        "settings",
    }
    assert manifest["display_information"]["name"]
    assert len(manifest["display_information"]["description"]) <= 140
    features = manifest["features"]
    assert features["bot_user"]["display_name"]
    (command,) = features["slash_commands"]
    assert command["command"] == SLASH_COMMAND
    assert command["description"] and command["usage_hint"]
    # Direct messages reach the bot only when its Messages tab takes input.
    assert features["app_home"]["messages_tab_enabled"] is True
    assert features["app_home"]["messages_tab_read_only_enabled"] is False

    scopes = manifest["oauth_config"]["scopes"]
    assert set(scopes) == {"bot"}
    needed = {s for m in called_methods() if (s := METHOD_SCOPES[m])}
    needed |= set(BOT_EVENTS.values()) | IMPLIED_SCOPES
    assert sorted(scopes["bot"]) == sorted(needed) == sorted(BOT_SCOPES)

    settings = manifest["settings"]
    assert settings["event_subscriptions"]["bot_events"] == list(BOT_EVENTS)
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["token_rotation_enabled"] is False


def test_the_socket_manifest_needs_no_public_url() -> None:
    manifest = load("slack-app.socket.yaml")
    settings = manifest["settings"]
    assert settings["socket_mode_enabled"] is True
    assert "request_url" not in settings["event_subscriptions"]
    assert "request_url" not in settings["interactivity"]
    assert "url" not in manifest["features"]["slash_commands"][0]


def test_the_http_manifest_sends_everything_to_slack_events() -> None:
    manifest = load("slack-app.http.yaml")
    settings = manifest["settings"]
    assert settings["socket_mode_enabled"] is False
    urls = [
        settings["event_subscriptions"]["request_url"],
        settings["interactivity"]["request_url"],
        manifest["features"]["slash_commands"][0]["url"],
    ]
    assert all(url.startswith("https://") and url.endswith(EVENTS_PATH) for url in urls)
