"""What the Slack app must declare for this adapter: its command, path, events and scopes.

The manifests in `manifest/slack-app.*.yaml` say the same; a test keeps them in step.
"""

from __future__ import annotations

from collections.abc import Mapping

SLASH_COMMAND = "/mv"
EVENTS_PATH = "/slack/events"  # events, slash commands and interactivity all arrive here
ACTION_PREFIX = "mvbot:"  # action_id of every button the adapter renders

# Events the adapter listens to, with the bot scope each one needs.
BOT_EVENTS: Mapping[str, str] = {
    "app_mention": "app_mentions:read",
    "message.im": "im:history",
}

# Every bot scope, and why: nothing here that the code does not use.
BOT_SCOPES: Mapping[str, str] = {
    "commands": f"the {SLASH_COMMAND} slash command",
    "chat:write": "chat.postMessage, chat.update and chat.postEphemeral",
    "files:write": "files.getUploadURLExternal and files.completeUploadExternal (clips, snapshots)",
    "files:read": "files.info: the message a shared clip became, to thread under it; "
    "downloading a CSV shared with `watchlist import`",
    "app_mentions:read": "the app_mention event (@mvbot in a channel)",
    "channels:history": "conversations.history/replies in public channels: finding an "
    "automatic post whose outcome a crash hid, so it is not posted twice",
    "groups:history": "the same in private channels",
    "im:history": "the message.im event (direct messages to the bot)",
    "users:read": "users.info: the asker's name and time zone",
    "users:read.email": "the e-mail in users.info (access rules, the audit) and "
    "users.lookupByEmail (share links sent to a member directly)",
}
