"""Schema version 17: one Dashboard API rate budget per organisation shared by replicas."""

from sqlalchemy import Column, Connection, Index, Integer, MetaData, String, Table

from bot.store.column_types import RowId, UTCDateTime


def upgrade(connection: Connection) -> None:
    """Create the three tables as version 17 created them (frozen; the live ones move on)."""
    frozen = MetaData()
    Table(
        "budget_orgs",
        frozen,
        Column("org", String(64), primary_key=True),
        Column("paused_until", UTCDateTime),
    )
    Table(
        "budget_starts",
        frozen,
        Column("id", RowId, primary_key=True, autoincrement=True),
        Column("org", String(64), nullable=False),
        Column("replica", String(64), nullable=False),
        Column("stamp", UTCDateTime, nullable=False),
        Index("ix_budget_starts_org_stamp", "org", "stamp"),
    )
    Table(
        "budget_waiters",
        frozen,
        Column("org", String(64), primary_key=True),
        Column("replica", String(64), primary_key=True),
        Column("priority", Integer, nullable=False),
        Column("seen_at", UTCDateTime, nullable=False),
    )
    frozen.create_all(connection)
