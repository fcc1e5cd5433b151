"""Schema version 18: per-installation secrets, and the near-live streams' leases and segments
(so that any replica serves any link, and one replica at a time fetches a camera's stream)."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from bot.store.column_types import UTCDateTime


def upgrade(connection: Connection) -> None:
    """Create the three tables as version 18 created them (frozen; the live ones move on)."""
    frozen = MetaData()
    Table(
        "installation_secrets",
        frozen,
        Column("name", String(64), primary_key=True),
        Column("value", Text, nullable=False),
        Column("created_at", UTCDateTime, nullable=False),
    )
    Table(
        "stream_leases",
        frozen,
        Column("serial", String(64), primary_key=True),
        Column("holder", String(160), nullable=False),
        Column("until", UTCDateTime, nullable=False),
        Column("watched_at", UTCDateTime, nullable=False),
        Column("codec", String(64)),
        Column("problem", Text),
        Column("due_at", UTCDateTime),
        Column("delayed", Boolean, nullable=False),
        Column("discontinuities", Integer, nullable=False),
    )
    Table(
        "stream_segments",
        frozen,
        Column("serial", String(64), primary_key=True),
        Column("seq", BigInteger, primary_key=True, autoincrement=False),
        Column("start", UTCDateTime, nullable=False),
        Column("duration", Float, nullable=False),
        Column("discontinuity", Boolean, nullable=False),
    )
    frozen.create_all(connection)
