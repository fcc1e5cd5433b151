"""MV Sense occupancy: live counts from MQTT (REST as fallback), history windows, alerts."""

from bot.occupancy.live import LiveCounts, Reading, SenseUpdate, parse_sense_message
from bot.occupancy.service import SENSE_TOPIC, LiveView, Occupancy, ZoneNow

__all__ = [
    "SENSE_TOPIC",
    "LiveCounts",
    "LiveView",
    "Occupancy",
    "Reading",
    "SenseUpdate",
    "ZoneNow",
    "parse_sense_message",
]
