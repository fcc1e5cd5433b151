"""The exports' tables as the code uses them now (schema version 11 built them)."""

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from bot.store.column_types import RowId, UTCDateTime

metadata = MetaData()

# One row per export: what was asked, by whom and where, and what came of it. The camera,
# span, checksum, size, asker and place stay after the file is swept (the evidence trail).
exports = Table(
    "exports",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),  # the N of `export cancel N`
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
    # The stored command that asked (platform:key): a run again after a restart finds it.
    Column("command", String(255)),
    Column(
        "progress", JSON(none_as_null=True)
    ),  # the message edited as parts arrive, to edit after a restart
    Column("sources", JSON(none_as_null=True)),  # the exports a combined export joins, in order
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

# One row per part already on disk: a restart fetches only the parts without a row.
export_parts = Table(
    "export_parts",
    metadata,
    Column("export_id", RowId, primary_key=True, autoincrement=False),
    Column("part", Integer, primary_key=True, autoincrement=False),
    Column("size_bytes", BigInteger, nullable=False),
    Column("fetched_at", UTCDateTime, nullable=False),
)
