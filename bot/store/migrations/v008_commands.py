"""Schema version 8: commands in flight, stored before they are acknowledged."""

from sqlalchemy import JSON, Column, Connection, Index, Integer, MetaData, String, Table, Text

from bot.store.column_types import UTCDateTime


def upgrade(connection: Connection) -> None:
    """Create `commands` as version 8 created it (frozen; bot/inflight/tables.py is live).
    Nothing came before it: until now commands in flight lived in memory only."""
    frozen = MetaData()
    Table(
        "commands",
        frozen,
        Column("platform", String(32), primary_key=True),
        Column("delivery_key", String(255), primary_key=True),
        Column("raw", JSON(none_as_null=True)),
        Column("message", JSON(none_as_null=True)),
        Column("status", String(16), nullable=False),
        Column("progress", JSON(none_as_null=True)),
        Column("attempts", Integer, nullable=False),
        Column("owner", String(64)),
        Column("lease_until", UTCDateTime),
        Column("detail", Text),
        Column("accepted_at", UTCDateTime, nullable=False),
        Column("updated_at", UTCDateTime, nullable=False),
        Index("ix_commands_status_updated_at", "status", "updated_at"),
    )
    frozen.create_all(connection)
