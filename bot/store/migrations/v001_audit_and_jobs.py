"""Schema version 1: the audit log and the scheduler's pending jobs."""

from sqlalchemy import JSON, Column, Connection, Index, Integer, MetaData, String, Table, Text

from bot.store.column_types import RowId, UTCDateTime


def upgrade(connection: Connection) -> None:
    """Create `audit` and `jobs` as version 1 created them (frozen; bot/store/schema.py is live)."""
    frozen = MetaData()
    Table(
        "audit",
        frozen,
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
    Table(
        "jobs",
        frozen,
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
    frozen.create_all(connection)
