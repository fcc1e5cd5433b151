"""Evidence: the log of every file mvbot delivered (checksum, camera, span, place, asker).

Any feature that delivers a file calls `services.footage.record(key, DeliveredFile(...))`
after its post succeeded; `verify` and `footage log` read it back.
"""

from bot.footage.checksum import TooLarge, hash_chunks, hash_file, read_checksum
from bot.footage.dashboard import DashboardLinks, LinkSoon
from bot.footage.delivered_log import DeliveredFile, FileKind, FootageLog

__all__ = [
    "DashboardLinks",
    "DeliveredFile",
    "FileKind",
    "FootageLog",
    "LinkSoon",
    "TooLarge",
    "hash_chunks",
    "hash_file",
    "read_checksum",
]
