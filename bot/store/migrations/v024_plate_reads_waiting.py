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
    connection.exec_driver_sql("DROP INDEX ix_plate_reads_processed")
    connection.exec_driver_sql("DROP INDEX ix_plate_reads_sighting")
    waiting = text("processed = FALSE")
    Index(
        "ix_plate_reads_processed",
        reads.c.id,
        sqlite_where=waiting,
        postgresql_where=waiting,
    ).create(connection)
    linked = text("sighting_id IS NOT NULL")
    Index(
        "ix_plate_reads_sighting",
        reads.c.sighting_id,
        sqlite_where=linked,
        postgresql_where=linked,
    ).create(connection)
