"""Several mvbot replicas on one PostgreSQL database: who is alive, who leads."""

from bot.fleet.fleet import LOST_EXIT, Fleet, Replica, Standing

__all__ = ["LOST_EXIT", "Fleet", "Replica", "Standing"]
