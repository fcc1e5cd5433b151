"""The Slack adapter: `/mv`, @mentions, direct messages and buttons, over HTTP or Socket Mode."""

from adapters.slack.adapter import SlackAdapter, build_slack_adapter
from adapters.slack.outbound import SLACK_FILE_LIMIT, PrivateReplyError

__all__ = ["SLACK_FILE_LIMIT", "PrivateReplyError", "SlackAdapter", "build_slack_adapter"]
