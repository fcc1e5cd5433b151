"""The incident timeline under /i/<token>: the page, each camera's clip and the evidence ZIP."""

from bot.web.timeline.timeline_routes import timeline_routes

__all__ = ["timeline_routes"]
