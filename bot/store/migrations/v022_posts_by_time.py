"""Schema version 22: post keys are found by age, so that old ones are forgotten cheaply."""

from sqlalchemy import Column, Connection, Index, MetaData, Table

from bot.store.column_types import UTCDateTime


def upgrade(connection: Connection) -> None:
    frozen = MetaData()
    table = Table("posts", frozen, Column("intended_at", UTCDateTime))
    Index("ix_posts_intended_at", table.c.intended_at).create(connection)
