"""The DronePatrol database: SQLAlchemy 2 models, engine factory, packaged migrations.

Start-up does ``engine = upgrade(settings)`` (or an engine or URL): it builds
the engine (SQLite in WAL mode in the data directory by default, PostgreSQL
via psycopg 3 when ``DRONEPATROL_DATABASE_URL`` says so) and brings the schema
to the newest revision.
"""

from __future__ import annotations

from dronepatrol.store.account_tables import ApiToken, AuditEntry, User
from dronepatrol.store.engine import StoreError, make_engine, normalise_url
from dronepatrol.store.event_tables import LargeEventRow
from dronepatrol.store.incident_tables import Incident
from dronepatrol.store.migrate import current_revision, downgrade, head_revision, upgrade
from dronepatrol.store.models import (
    Base,
    Detection,
    Media,
    MediaKind,
    Outcome,
    Sortie,
    SortieEvent,
    TrackSample,
    Vehicle,
)
from dronepatrol.store.visit_tables import TargetVisit

__all__ = [
    "ApiToken",
    "AuditEntry",
    "Base",
    "Detection",
    "Incident",
    "LargeEventRow",
    "Media",
    "MediaKind",
    "Outcome",
    "Sortie",
    "SortieEvent",
    "StoreError",
    "TargetVisit",
    "TrackSample",
    "User",
    "Vehicle",
    "current_revision",
    "downgrade",
    "head_revision",
    "make_engine",
    "normalise_url",
    "upgrade",
]
