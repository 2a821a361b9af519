"""Incidents: places that need a drone now, and their response times, kept in the database."""

from dronepatrol.incidents.book import (
    PRIORITIES,
    STATUSES,
    IncidentBook,
    IncidentError,
    IncidentView,
)

__all__ = ["KINDS", "PRIORITIES", "STATUSES", "IncidentBook", "IncidentError", "IncidentView"]
