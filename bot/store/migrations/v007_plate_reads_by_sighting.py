"""Schema version 7: plate reads indexed by sighting, so a sighting's reads are read back
when its merge window is no longer in memory (bot/events/sightings.py)."""

from sqlalchemy import Column, Connection, Index, Integer, MetaData, Table


def upgrade(connection: Connection) -> None:
    """Add `ix_plate_reads_sighting` (frozen: a stub of the table, the index alone)."""
    frozen = MetaData()
    reads = Table("plate_reads", frozen, Column("sighting_id", Integer))
    Index("ix_plate_reads_sighting", reads.c.sighting_id).create(connection)
