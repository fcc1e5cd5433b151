"""Incidents: several cameras' clips and the stored events of one window, kept together."""

from bot.incidents.incident import Happening, Incident, IncidentCamera
from bot.incidents.service import IncidentAdmission, IncidentService

__all__ = ["Happening", "Incident", "IncidentAdmission", "IncidentCamera", "IncidentService"]
