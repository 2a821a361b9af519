"""The DronePatrol database: SQLAlchemy 2 models, engine factory, packaged migrations.

Start-up does ``engine = upgrade(settings)`` (or an engine or URL): it builds
the engine (SQLite in WAL mode in the data directory by default, PostgreSQL
via psycopg 3 when ``DRONEPATROL_DATABASE_URL`` says so) and brings the schema
to the newest revision.
"""

from __future__ import annotations

from dronepatrol.database.account_tables import ApiToken, AuditEntry, User
from dronepatrol.database.city_tables import CityRecord, OutboxRecord
from dronepatrol.database.engine import StoreError, make_engine, normalise_url
from dronepatrol.database.incident_tables import Incident
from dronepatrol.database.large_event_tables import LargeEventRow
from dronepatrol.database.migrate import current_revision, downgrade, head_revision, upgrade
from dronepatrol.database.record_tables import (
    Base,
    Detection,
    Media,
    MediaKind,
    Outcome,
    Sortie,
    SortieEvent,
    TrackSample,
    VehicleRecord,
)
from dronepatrol.database.visit_tables import TargetVisit

__all__ = [
    "ApiToken",
    "AuditEntry",
    "Base",
    "CityRecord",
    "Detection",
    "Incident",
    "LargeEventRow",
    "Media",
    "MediaKind",
    "OutboxRecord",
    "Outcome",
    "Sortie",
    "SortieEvent",
    "StoreError",
    "TargetVisit",
    "TrackSample",
    "User",
    "VehicleRecord",
    "current_revision",
    "downgrade",
    "head_revision",
    "make_engine",
    "normalise_url",
    "upgrade",
]
