"""The incident tables as the code uses them now (schema version 12 built them).

They keep who asked, where, when, each camera's file and checksum, and the evidence
package's checksums, so the evidence trail can be read without the files themselves.
"""

from sqlalchemy import JSON, Column, Index, Integer, MetaData, String, Table, Text, UniqueConstraint

from bot.store.column_types import RowId, UTCDateTime

metadata = MetaData()

incidents = Table(
    "incidents",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("note", Text, nullable=False),
    Column("start", UTCDateTime, nullable=False),
    Column("end", UTCDateTime, nullable=False),
    Column("time_zone", String(64), nullable=False),  # the zone the asker's times were read in
    Column("platform", String(32), nullable=False),
    Column("room_id", String(255), nullable=False),
    Column("place", JSON, nullable=False),
    Column("asker", JSON, nullable=False),  # platform, id, name, email
    Column("created_at", UTCDateTime, nullable=False),
    Column("status", String(16), nullable=False),  # collecting, ready, failed
    Column("link_expires_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
    Column("revision", Integer, nullable=False),  # bumped with each new evidence package
    Column("package", String(255)),  # the ZIP's file name in the incident's folder
    Column("package_sha256", String(64)),
    Column("manifest_sha256", String(64)),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("command_key", String(191)),  # the chat command that made it
    Index("ix_incidents_room", "platform", "room_id"),
    UniqueConstraint("platform", "command_key", name="uq_incidents_command"),
)

incident_cameras = Table(
    "incident_cameras",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("incident_id", Integer, nullable=False),
    Column("position", Integer, nullable=False),  # order on the page and in the manifest
    Column("serial", String(64), nullable=False),
    Column("camera", String(255), nullable=False),
    Column("model", String(64)),
    Column("file", String(255)),  # set once fetched
    Column("size", Integer),
    Column("sha256", String(64)),
    Column("problem", Text),  # why there is no file
    Column("added_by", String(255), nullable=False),
    Column("added_at", UTCDateTime, nullable=False),
    UniqueConstraint("incident_id", "serial", name="uq_incident_cameras_serial"),
)
