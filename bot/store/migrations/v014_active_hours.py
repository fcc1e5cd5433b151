"""Schema version 14: active hours on watches, follows and occupancy alerts; allow-lists and
unknown-plate alerts; indexes for the plate history (`plates search`, `plates recent … since`)."""

from sqlalchemy import (
    Column,
    Connection,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from bot.store.column_types import RowId, UTCDateTime


def upgrade(connection: Connection) -> None:
    for table in ("plate_watches", "plate_follows", "occupancy_alerts"):
        connection.execute(text(f"ALTER TABLE {table} ADD COLUMN hours VARCHAR(64)"))
    metadata = MetaData()
    Table(
        "plate_allows",
        metadata,
        Column("id", RowId, primary_key=True, autoincrement=True),
        Column("platform", String(32), nullable=False),
        Column("room_id", String(255), nullable=False),
        Column("pattern", String(32), nullable=False),
        Column("note", Text),
        Column("hours", String(64)),
        Column("created_by", String(255), nullable=False),
        Column("created_at", UTCDateTime, nullable=False),
        UniqueConstraint("platform", "room_id", "pattern", name="uq_plate_allows_room_pattern"),
    )
    Table(
        "plate_unknown_alerts",
        metadata,
        Column("id", RowId, primary_key=True, autoincrement=True),
        Column("platform", String(32), nullable=False),
        Column("room_id", String(255), nullable=False),
        Column("serial", String(64), nullable=False),
        Column("camera", String(255), nullable=False),
        Column("hours", String(64)),
        Column("created_by", String(255), nullable=False),
        Column("created_at", UTCDateTime, nullable=False),
        UniqueConstraint("platform", "room_id", "serial", name="uq_plate_unknown_room_serial"),
    )
    metadata.create_all(connection)
    connection.execute(
        text("CREATE INDEX ix_plate_sightings_serial_first ON plate_sightings (serial, first_at)")
    )
    connection.execute(
        text("CREATE INDEX ix_plate_sightings_canonical ON plate_sightings (canonical, first_at)")
    )
