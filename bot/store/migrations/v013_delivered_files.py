"""Schema version 13: every file mvbot delivered (checksum, camera, span, place, asker),
and the rooms marked as dashboard-user rooms."""

from sqlalchemy import BigInteger, Column, Connection, Index, MetaData, String, Table

from bot.store.column_types import RowId, UTCDateTime


def upgrade(connection: Connection) -> None:
    """Create `delivered_files` and `dashboard_rooms` as version 13 created them (frozen;
    bot/footage/tables.py is live)."""
    frozen = MetaData()
    Table(
        "delivered_files",
        frozen,
        Column("id", RowId, primary_key=True, autoincrement=True),
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
    Table(
        "dashboard_rooms",
        frozen,
        Column("platform", String(32), primary_key=True),
        Column("room_id", String(255), primary_key=True),
        Column("marked_by", String(255), nullable=False),
        Column("marked_at", UTCDateTime, nullable=False),
    )
    frozen.create_all(connection)
