"""Schema version 2: external stream shares, their links and the access log."""

from sqlalchemy import JSON, Column, Connection, Index, MetaData, String, Table, Text

from bot.store.column_types import RowId, UTCDateTime


def upgrade(connection: Connection) -> None:
    """Create the share tables as version 2 created them (frozen; bot/shares/tables.py is live)."""
    frozen = MetaData()
    # A link is found by the hash of its token, never the token itself.
    Table(
        "share_links",
        frozen,
        Column("id", String(32), primary_key=True),
        Column("email", String(320), nullable=False),
        Column("token_hash", String(64), nullable=False, unique=True),
        Column("pin_hash", String(255)),
        Column("created_at", UTCDateTime, nullable=False),
        Column("created_by", String(255), nullable=False),
        Column("disabled_at", UTCDateTime),
        Index("ix_share_links_email", "email"),
    )
    # One row per camera shared to an e-mail address.
    Table(
        "shares",
        frozen,
        Column("id", String(32), primary_key=True),
        Column("email", String(320), nullable=False),
        Column("serial", String(64), nullable=False),
        Column("camera_name", String(255), nullable=False),
        Column("model", String(64), nullable=False),
        Column("network_name", String(255), nullable=False),
        Column("org_name", String(255), nullable=False),
        Column("address", Text, nullable=False),
        Column("recipient_name", String(255)),
        Column("reason", Text),
        Column("created_at", UTCDateTime, nullable=False),
        Column("created_by", String(255), nullable=False),
        Column("place", JSON(none_as_null=True)),
        Column("expires_at", UTCDateTime, nullable=False),
        Column("reminded_for", UTCDateTime),
        Column("ended_at", UTCDateTime),
        Column("end_reason", String(16)),
        Index("ix_shares_email", "email"),
        Index("ix_shares_serial", "serial"),
    )
    Table(
        "share_access",
        frozen,
        Column("id", RowId, primary_key=True, autoincrement=True),
        Column("at", UTCDateTime, nullable=False),
        Column("event", String(16), nullable=False),
        Column("email", String(320), nullable=False),
        Column("serial", String(64)),
        Column("camera", String(255)),
        Column("client_address", String(64)),
        Column("user_agent", Text),
        Column("actor", String(255)),
        Column("detail", Text),
        Index("ix_share_access_at", "at"),
        Index("ix_share_access_email", "email"),
    )
    frozen.create_all(connection)
