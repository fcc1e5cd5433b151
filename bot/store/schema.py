"""The store's own tables as the code uses them now (bot/store/migrations/ builds them)."""

from typing import Any

from sqlalchemy import JSON, Column, Index, Integer, MetaData, String, Table, Text, insert
from sqlalchemy.sql import Insert

from bot.store.column_types import RowId, UTCDateTime
from bot.store.records import AuditEntry, Outcome

metadata = MetaData()

schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("applied_at", UTCDateTime, nullable=False),
)

audit = Table(
    "audit",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("platform", String(32), nullable=False),
    Column("person_id", String(255), nullable=False),
    Column("person_email", String(320)),
    Column("place_id", String(255)),
    Column("command", Text, nullable=False),
    Column("action", String(64), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("detail", Text),
    Index("ix_audit_at", "at"),
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("kind", String(64), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("place", JSON(none_as_null=True)),
    Column("status", String(16), nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_jobs_status_due_at", "status", "due_at"),
)

# Automatic posts by idempotency key (bot/store/posts.py): the intent, then the message.
posts = Table(
    "posts",
    metadata,
    Column("key", String(191), primary_key=True),
    Column("place", JSON, nullable=False),
    Column("intended_at", UTCDateTime, nullable=False),
    Column("message_id", String(255)),
    Column("extra", JSON),
    Column("posted_at", UTCDateTime),
    Index("ix_posts_intended_at", "intended_at"),
)


def audit_insert(entry: AuditEntry) -> Insert:
    """The statement that writes an audit row, for the transaction of what it records."""
    return insert(audit).values(**audit_values(entry))


def audit_values(entry: AuditEntry) -> dict[str, Any]:
    """An audit row's columns, for writing many in one statement."""
    return {
        "at": entry.at,
        "platform": entry.platform,
        "person_id": entry.person_id,
        "person_email": entry.person_email,
        "place_id": entry.place_id,
        "command": entry.command,
        "action": entry.action,
        "outcome": Outcome(entry.outcome).value,
        "detail": entry.detail,
    }
