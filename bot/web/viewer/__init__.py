"""The share viewer under /s/<token>: page, PIN form, HLS playlists and segments."""

from bot.web.viewer.guard import Viewer
from bot.web.viewer.ratelimit import RateLimiter
from bot.web.viewer.routes import viewer_routes

__all__ = ["RateLimiter", "Viewer", "viewer_routes"]
