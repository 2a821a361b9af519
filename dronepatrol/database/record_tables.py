"""The sortie record's tables, as SQLAlchemy 2 declarative models.

Times are wall-clock seconds since the Unix epoch (UTC) in double precision,
the same ``time_s`` the event bus and the vehicle snapshots carry, so that a
track sample, an event and a video frame line up without time-zone games.
Positions are WGS-84 degrees; altitudes metres (``alt_amsl_m`` above mean sea
level, ``alt_rel_m`` above home).

The schema itself is created and evolved only by the Alembic migrations in
:mod:`dronepatrol.database.migrations`; these classes describe it for queries
and must match the newest migration (a test compares them).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""Constraint names that migrations can refer to on every database."""

Json = JSON().with_variant(JSONB(), "postgresql")
"""A JSON document: JSONB on PostgreSQL, JSON text on SQLite."""

RowId = BigInteger().with_variant(Integer(), "sqlite")
"""A 64-bit surrogate key (SQLite only auto-increments INTEGER PRIMARY KEY)."""


class Outcome(StrEnum):
    """How a sortie ended. An open sortie (still flying) has no outcome yet."""

    COMPLETED = "completed"
    """Landed and disarmed after flying its plan (or a free flight without a plan)."""
    ABORTED = "aborted"
    """Landed and disarmed early: a failsafe, or the plan's waypoints not all reached."""
    INTERRUPTED = "interrupted"
    """The controller stopped mid-sortie and the vehicle was not flying when it came back."""


class MediaKind(StrEnum):
    """What a media file is."""

    TLOG = "tlog"
    VIDEO = "video"
    SNAPSHOT = "snapshot"
    OTHER = "other"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class VehicleRecord(Base):
    """A vehicle the controller has flown: its id on the fleet and its name."""

    __tablename__ = "vehicles"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    first_seen_s: Mapped[float] = mapped_column(Double)
    last_seen_s: Mapped[float] = mapped_column(Double)


class Sortie(Base):
    """One flight, arming to disarming.

    ``plan_ref`` names the plan flown (a ``.plan`` file or a planner sortie
    id such as ``S01-1``); ``targets`` lists the patrol targets it was
    planned to cover (ids, or small GeoJSON features); ``outcome`` is None
    while the sortie is open.
    """

    __tablename__ = "sorties"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    vehicle_id: Mapped[str] = mapped_column(ForeignKey("vehicles.id"), index=True)
    plan_ref: Mapped[str] = mapped_column(String(500), default="")
    targets: Mapped[list[Any]] = mapped_column(Json, default=list)
    station: Mapped[str] = mapped_column(String(200), default="")
    operator: Mapped[str] = mapped_column(String(200), default="")
    started_s: Mapped[float] = mapped_column(Double, index=True)
    ended_s: Mapped[float | None] = mapped_column(Double, nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(20), nullable=True, index=True)
    outcome_reason: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)


class TrackSample(Base):
    """Where the vehicle was at ``time_s``, and how it was doing."""

    __tablename__ = "track_samples"
    __table_args__ = (Index("ix_track_samples_sortie_time", "sortie_id", "time_s"),)

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    sortie_id: Mapped[int] = mapped_column(ForeignKey("sorties.id", ondelete="CASCADE"))
    time_s: Mapped[float] = mapped_column(Double)
    lat_deg: Mapped[float] = mapped_column(Double)
    lon_deg: Mapped[float] = mapped_column(Double)
    alt_amsl_m: Mapped[float | None] = mapped_column(Double, nullable=True)
    alt_rel_m: Mapped[float | None] = mapped_column(Double, nullable=True)
    heading_deg: Mapped[float | None] = mapped_column(Double, nullable=True)
    groundspeed_mps: Mapped[float | None] = mapped_column(Double, nullable=True)
    climb_mps: Mapped[float | None] = mapped_column(Double, nullable=True)
    battery_pct: Mapped[float | None] = mapped_column(Double, nullable=True)
    battery_v: Mapped[float | None] = mapped_column(Double, nullable=True)
    mode: Mapped[str] = mapped_column(String(32), default="")
    armed: Mapped[bool] = mapped_column(Boolean, default=True)


class SortieEvent(Base):
    """Something that happened during (or around) a sortie: the audit trail.

    Commands carry ``command``, ``result`` and ``actor`` (who sent it: a user
    name, ``scheduler``, ``cli``); ``text`` is a one-line summary a person
    reads; ``data`` keeps the event's full details as published.
    """

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_sortie_time", "sortie_id", "time_s"),)

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    sortie_id: Mapped[int | None] = mapped_column(
        ForeignKey("sorties.id", ondelete="CASCADE"), nullable=True
    )
    vehicle_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    time_s: Mapped[float] = mapped_column(Double)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    command: Mapped[str | None] = mapped_column(String(80), nullable=True)
    result: Mapped[str | None] = mapped_column(String(80), nullable=True)
    actor: Mapped[str | None] = mapped_column(String(200), nullable=True)
    text: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)


class Detection(Base):
    """An object the video pipeline detected: what, how sure, where, and its snapshot."""

    __tablename__ = "detections"
    __table_args__ = (Index("ix_detections_sortie_time", "sortie_id", "time_s"),)

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    sortie_id: Mapped[int | None] = mapped_column(
        ForeignKey("sorties.id", ondelete="CASCADE"), nullable=True
    )
    vehicle_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    time_s: Mapped[float] = mapped_column(Double)
    lat_deg: Mapped[float | None] = mapped_column(Double, nullable=True)
    lon_deg: Mapped[float | None] = mapped_column(Double, nullable=True)
    class_name: Mapped[str] = mapped_column(String(80))
    confidence: Mapped[float] = mapped_column(Double)
    snapshot_path: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    data: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)


class Media(Base):
    """A file belonging to a sortie (tlog, video, snapshot) with its SHA-256.

    ``sha256`` covers the file's first ``size_bytes`` bytes; ``complete`` is
    False while its writer may still append (a link's tlog outlives the
    sortie), so a later verify checks that the hashed part is unchanged.
    """

    __tablename__ = "media"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    sortie_id: Mapped[int | None] = mapped_column(
        ForeignKey("sorties.id", ondelete="CASCADE"), nullable=True, index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    path: Mapped[str] = mapped_column(String(1000))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    complete: Mapped[bool] = mapped_column(Boolean, default=True)
    registered_s: Mapped[float] = mapped_column(Double)
