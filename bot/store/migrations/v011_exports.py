"""Schema version 11: exports, and the parts each one already has on disk."""

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Connection,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from bot.store.column_types import RowId, UTCDateTime


def upgrade(connection: Connection) -> None:
    """Create `exports` and `export_parts` as version 11 created them (frozen;
    bot/exports/tables.py is live)."""
    metadata = MetaData()
    Table(
        "exports",
        metadata,
        Column("id", RowId, primary_key=True, autoincrement=True),
        Column("serial", String(64), nullable=False),
        Column("camera", String(255), nullable=False),
        Column("span_start", UTCDateTime, nullable=False),
        Column("span_end", UTCDateTime, nullable=False),
        Column("container", String(8), nullable=False),
        Column("status", String(16), nullable=False),
        Column("due_at", UTCDateTime, nullable=False),
        Column("parts_total", Integer, nullable=False),
        Column("place", JSON, nullable=False),
        Column("person", JSON, nullable=False),
        Column("command", String(255)),
        Column("progress", JSON(none_as_null=True)),
        Column("sources", JSON(none_as_null=True)),
        Column("filename", String(255)),
        Column("size_bytes", BigInteger),
        Column("sha256", String(64)),
        Column("error", Text),
        Column("created_at", UTCDateTime, nullable=False),
        Column("finished_at", UTCDateTime),
        Column("posted_at", UTCDateTime),
        Index("ix_exports_status", "status"),
        Index("ix_exports_command", "command"),
    )
    Table(
        "export_parts",
        metadata,
        Column("export_id", RowId, primary_key=True, autoincrement=False),
        Column("part", Integer, primary_key=True, autoincrement=False),
        Column("size_bytes", BigInteger, nullable=False),
        Column("fetched_at", UTCDateTime, nullable=False),
    )
    metadata.create_all(connection)
