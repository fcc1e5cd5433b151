"""mvbot's durable store (SQLite by default, PostgreSQL by URL): audit log and pending jobs."""

from bot.store.engine import (
    configured_database_url,
    create_database_engine,
    default_database_url,
    normalised_url,
)
from bot.store.migrations import LATEST_VERSION, migrate
from bot.store.records import (
    AuditEntry,
    AuditRecord,
    JobNotFoundError,
    JobRecord,
    JobStatus,
    Outcome,
)
from bot.store.store import Store

__all__ = [
    "LATEST_VERSION",
    "AuditEntry",
    "AuditRecord",
    "JobNotFoundError",
    "JobRecord",
    "JobStatus",
    "Outcome",
    "Store",
    "configured_database_url",
    "create_database_engine",
    "default_database_url",
    "migrate",
    "normalised_url",
]
