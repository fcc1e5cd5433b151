"""The interface every chat adapter implements (defined by the core, re-exported for adapters)."""

from bot.outbox import Adapter

__all__ = ["Adapter"]
