"""Schema version 24: plate reads indexed only where a read is waiting to be processed and
where it belongs to a sighting. Every read of a burst went into both indexes when stored
(with no sighting yet) and moved in both when processed; now storing adds one entry and
processing removes it and adds the other."""

from sqlalchemy import Boolean, Column, Connection, Index, Integer, MetaData, Table, text


def upgrade(connection: Connection) -> None:
    frozen = MetaData()
    reads = Table(
        "plate_reads",
        frozen,
        Column("id", Integer),
        Column("processed", Boolean),
        Column("sighting_id", Integer),
    )
    partial = (
        ("ix_plate_reads_processed", reads.c.id, "processed = FALSE"),
        ("ix_plate_reads_sighting", reads.c.sighting_id, "sighting_id IS NOT NULL"),
    )
    for name, column, where in partial:
        connection.exec_driver_sql(f"DROP INDEX {name}")
        Index(name, column, sqlite_where=text(where), postgresql_where=text(where)).create(
            connection
        )
