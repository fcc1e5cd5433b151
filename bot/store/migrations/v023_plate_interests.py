"""Schema version 23: a counter that moves on with every change to what rooms hear of plates
(watches, follows, unknown-plate alerts, allow-lists), so that processing reads those again
only when they changed. Triggers move it, whichever code or tool made the change."""

from sqlalchemy import Column, Connection, Integer, MetaData, Table, insert

_TABLES = ("plate_watches", "plate_follows", "plate_unknown_alerts", "plate_allows")
_BUMP = "UPDATE plate_interests SET version = version + 1"


def upgrade(connection: Connection) -> None:
    frozen = MetaData()
    table = Table(
        "plate_interests",
        frozen,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("version", Integer, nullable=False),
    )
    table.create(connection)
    connection.execute(insert(table).values(id=1, version=0))
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(
            "CREATE FUNCTION plate_interests_changed() RETURNS trigger LANGUAGE plpgsql "
            f"AS $$ BEGIN {_BUMP}; RETURN NULL; END $$"
        )
        for name in _TABLES:  # once a statement, however many rows it changed
            connection.exec_driver_sql(
                f"CREATE TRIGGER {name}_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                f"ON {name} FOR EACH STATEMENT EXECUTE FUNCTION plate_interests_changed()"
            )
        return
    for name in _TABLES:  # SQLite has row triggers only
        for change in ("INSERT", "UPDATE", "DELETE"):
            connection.exec_driver_sql(
                f"CREATE TRIGGER {name}_{change.lower()} AFTER {change} ON {name} "
                f"BEGIN {_BUMP}; END"
            )
