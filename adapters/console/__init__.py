"""The console adapter: the bot in a terminal, for the demo and for trying commands by hand."""

from adapters.console.adapter import ConsoleAdapter
from adapters.console.render import render

__all__ = ["ConsoleAdapter", "render"]
