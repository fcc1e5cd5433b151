"""Schema version 21: each open alert names the replica that delivers it.

A replica claims an alert before it tells the room; the alerts of a replica that died are
taken over by compare-and-set on this column, so two survivors never both tell one.
"""

from sqlalchemy import Connection, text


def upgrade(connection: Connection) -> None:
    connection.execute(text("ALTER TABLE alerts ADD COLUMN owner VARCHAR(64)"))
