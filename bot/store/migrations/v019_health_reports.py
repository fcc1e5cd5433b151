"""Schema version 19: stored camera status alerts are found by their status.

Any replica stores a Meraki offline/back alert; the leader judges the ones still marked
`health` (bot.health.monitor): an index keeps that look cheap however many events are kept.
"""

from sqlalchemy import Column, Connection, Index, MetaData, String, Table


def upgrade(connection: Connection) -> None:
    frozen = MetaData()
    table = Table("hook_events", frozen, Column("status", String(16)))
    Index("ix_hook_events_status", table.c.status).create(connection)
