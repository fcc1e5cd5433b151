"""mvbot's web server: health and metrics now; share viewer, downloads and hooks as they land."""

from bot.web.factory import create_app

__all__ = ["create_app"]
