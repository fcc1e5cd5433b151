"""The Webex adapter: webhooks in, markdown, files and Adaptive Cards out (webexpythonsdk)."""

from adapters.webex.adapter import WebexAdapter, build_webex_adapter
from adapters.webex.client import WebexClient, WebexError
from adapters.webex.register import register_webhooks

__all__ = [
    "WebexAdapter",
    "WebexClient",
    "WebexError",
    "build_webex_adapter",
    "register_webhooks",
]
