"""The footage tables as the code uses them now (schema version 13 built them)."""

from sqlalchemy import BigInteger, Column, Index, MetaData, String, Table

from bot.store.column_types import RowId, UTCDateTime

metadata = MetaData()

# One row per file mvbot delivered: small, and kept after the media itself is swept, so a
# copy can be checked against it for as long as the evidence matters.
delivered_files = Table(
    "delivered_files",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    # What makes a delivery the same one again (a re-post after a crash): recorded once.
    Column("key", String(191), nullable=False, unique=True),
    Column("sha256", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("serial", String(64), nullable=False),
    Column("camera", String(255), nullable=False),
    Column("zone", String(64), nullable=False),
    Column("start_at", UTCDateTime, nullable=False),
    Column("end_at", UTCDateTime, nullable=False),
    Column("size_bytes", BigInteger, nullable=False),
    Column("platform", String(32), nullable=False),
    Column("room_id", String(255), nullable=False),
    Column("thread_id", String(255)),
    Column("asker_id", String(255), nullable=False),
    Column("asker_name", String(255)),
    Column("delivered_at", UTCDateTime, nullable=False),
    Index("ix_delivered_files_sha256", "sha256"),
    Index("ix_delivered_files_delivered_at", "delivered_at"),
)

# Rooms whose people have dashboard logins: only there do replies offer "Open in Dashboard".
dashboard_rooms = Table(
    "dashboard_rooms",
    metadata,
    Column("platform", String(32), primary_key=True),
    Column("room_id", String(255), primary_key=True),
    Column("marked_by", String(255), nullable=False),
    Column("marked_at", UTCDateTime, nullable=False),
)
