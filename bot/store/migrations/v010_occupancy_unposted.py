"""Schema version 10: an occupancy alert's firing is stored with its count until it is
posted, so a crash or an outage between the two delays the alert but never loses it."""

from sqlalchemy import Connection, text


def upgrade(connection: Connection) -> None:
    """Add `occupancy_alerts.unposted_count` (nullable: no firing waits to be posted)."""
    connection.execute(text("ALTER TABLE occupancy_alerts ADD COLUMN unposted_count INTEGER"))
