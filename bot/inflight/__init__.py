"""Commands in flight: stored before they are acknowledged, finished or answered after a restart."""

from bot.inflight.journal import CommandJournal, CommandRecord, CommandStatus
from bot.inflight.tracker import RESUMED, Tracker

__all__ = ["RESUMED", "CommandJournal", "CommandRecord", "CommandStatus", "Tracker"]
