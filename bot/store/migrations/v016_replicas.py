"""Schema version 16: the replicas sharing this database, for /healthz and the operator."""

from sqlalchemy import Column, Connection, MetaData, String, Table

from bot.store.column_types import UTCDateTime


def upgrade(connection: Connection) -> None:
    """Create `replicas` as version 16 created it (frozen; bot/fleet/tables.py is live)."""
    frozen = MetaData()
    Table(
        "replicas",
        frozen,
        Column("id", String(64), primary_key=True),
        Column("role", String(16), nullable=False),
        Column("started_at", UTCDateTime, nullable=False),
        Column("seen_at", UTCDateTime, nullable=False),
        Column("url", String(255)),
    )
    frozen.create_all(connection)
