"""Schema version 4: occupancy threshold alerts."""

from sqlalchemy import JSON, Boolean, Column, Connection, Index, Integer, MetaData, String, Table

from bot.store.column_types import RowId, UTCDateTime


def upgrade(connection: Connection) -> None:
    """Create `occupancy_alerts` as version 4 created it (frozen; the live table is in
    bot/occupancy/threshold_store.py)."""
    frozen = MetaData()
    Table(
        "occupancy_alerts",
        frozen,
        Column("id", RowId, primary_key=True, autoincrement=True),
        Column("serial", String(64), nullable=False),
        Column("camera", String(255), nullable=False),
        Column("zone_id", String(64), nullable=False),
        Column("zone_name", String(255), nullable=False),
        Column("threshold", Integer, nullable=False),
        Column("place", JSON, nullable=False),
        Column("created_by", String(255), nullable=False),
        Column("created_at", UTCDateTime, nullable=False),
        Column("armed", Boolean, nullable=False),
        Column("last_fired_at", UTCDateTime),
        Index("ix_occupancy_alerts_serial", "serial"),
    )
    frozen.create_all(connection)
