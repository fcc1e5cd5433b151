"""Schema version 15: camera health (state, follows, notices) and sensor-to-camera links."""

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Index,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)

from bot.store.column_types import RowId, UTCDateTime


def upgrade(connection: Connection) -> None:
    """Create the four tables as version 15 created them (frozen; the live ones move on)."""
    frozen = MetaData()
    Table(
        "camera_health",
        frozen,
        Column("serial", String(64), primary_key=True),
        Column("status", String(16), nullable=False),
        Column("since", UTCDateTime, nullable=False),
        Column("seen", String(16), nullable=False),
        Column("seen_since", UTCDateTime, nullable=False),
        Column("updated_at", UTCDateTime, nullable=False),
    )
    Table(
        "health_follows",
        frozen,
        Column("id", RowId, primary_key=True, autoincrement=True),
        Column("platform", String(32), nullable=False),
        Column("room_id", String(255), nullable=False),
        Column("network", String(255)),
        Column("created_by", String(255), nullable=False),
        Column("created_at", UTCDateTime, nullable=False),
        UniqueConstraint("platform", "room_id", name="uq_health_follows_room"),
    )
    Table(
        "health_notices",
        frozen,
        Column("id", RowId, primary_key=True, autoincrement=True),
        Column("serial", String(64), nullable=False),
        Column("camera", String(255), nullable=False),
        Column("status", String(16), nullable=False),
        Column("at", UTCDateTime, nullable=False),
        Column("platform", String(32), nullable=False),
        Column("room_id", String(255), nullable=False),
        Column("posted", Boolean, nullable=False),
        Column("created_at", UTCDateTime, nullable=False),
        Index("ix_health_notices_posted", "posted"),
    )
    Table(
        "sensor_links",
        frozen,
        Column("id", RowId, primary_key=True, autoincrement=True),
        Column("sensor", String(255), nullable=False),
        Column("camera_serial", String(64), nullable=False),
        Column("created_by", String(255), nullable=False),
        Column("created_at", UTCDateTime, nullable=False),
        UniqueConstraint("sensor", "camera_serial", name="uq_sensor_links_pair"),
    )
    frozen.create_all(connection)
