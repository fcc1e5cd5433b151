"""Schema version 12: incidents (several cameras, one window) and their cameras' files."""

from sqlalchemy import (
    JSON,
    Column,
    Connection,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from bot.store.column_types import RowId, UTCDateTime


def upgrade(connection: Connection) -> None:
    """Create `incidents` and `incident_cameras` as version 12 created them (frozen; the live
    tables are in bot/incidents/tables.py)."""
    frozen = MetaData()
    Table(
        "incidents",
        frozen,
        Column("id", RowId, primary_key=True, autoincrement=True),
        Column("note", Text, nullable=False),
        Column("start", UTCDateTime, nullable=False),
        Column("end", UTCDateTime, nullable=False),
        Column("time_zone", String(64), nullable=False),
        Column("platform", String(32), nullable=False),
        Column("room_id", String(255), nullable=False),
        Column("place", JSON, nullable=False),
        Column("asker", JSON, nullable=False),
        Column("created_at", UTCDateTime, nullable=False),
        Column("status", String(16), nullable=False),
        Column("link_expires_at", UTCDateTime, nullable=False),
        Column("revoked_at", UTCDateTime),
        Column("revision", Integer, nullable=False),
        Column("package", String(255)),
        Column("package_sha256", String(64)),
        Column("manifest_sha256", String(64)),
        Column("updated_at", UTCDateTime, nullable=False),
        Column("command_key", String(191)),
        Index("ix_incidents_room", "platform", "room_id"),
        UniqueConstraint("platform", "command_key", name="uq_incidents_command"),
    )
    Table(
        "incident_cameras",
        frozen,
        Column("id", RowId, primary_key=True, autoincrement=True),
        Column("incident_id", Integer, nullable=False),
        Column("position", Integer, nullable=False),
        Column("serial", String(64), nullable=False),
        Column("camera", String(255), nullable=False),
        Column("model", String(64)),
        Column("file", String(255)),
        Column("size", Integer),
        Column("sha256", String(64)),
        Column("problem", Text),
        Column("added_by", String(255), nullable=False),
        Column("added_at", UTCDateTime, nullable=False),
        UniqueConstraint("incident_id", "serial", name="uq_incident_cameras_serial"),
    )
    frozen.create_all(connection)
