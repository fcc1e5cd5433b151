"""Exports: long footage (5 s to 12 h) fetched in the background, kept, checksummed and linked."""

from bot.exports.export import LONGEST, SHORTEST, Export, ExportStatus
from bot.exports.service import ExportService

__all__ = ["LONGEST", "SHORTEST", "Export", "ExportService", "ExportStatus"]
