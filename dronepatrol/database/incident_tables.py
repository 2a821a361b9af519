"""The incidents table: where a drone was needed, who asked, and how fast it got there."""

from __future__ import annotations

from sqlalchemy import Double, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dronepatrol.database.record_tables import Base, RowId


class Incident(Base):
    """One incident and its response times (all [s since the epoch]; null until reached).

    ``paused_seq`` is the patrol mission item a diverted drone left, so that
    release resumes it there. ``kind`` is ``incident`` (reported by someone)
    or ``hold`` (a lockdown's overwatch point, flown like an incident but not
    counted as one in reports).
    """

    __tablename__ = "incidents"
    __table_args__ = (Index("ix_incidents_created_s", "created_s"),)

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    created_s: Mapped[float] = mapped_column(Double)
    lat_deg: Mapped[float] = mapped_column(Double)
    lon_deg: Mapped[float] = mapped_column(Double)
    priority: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    creator: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20))
    vehicle_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    dispatched_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    dispatched_s: Mapped[float | None] = mapped_column(Double, nullable=True)
    airborne_s: Mapped[float | None] = mapped_column(Double, nullable=True)
    on_scene_s: Mapped[float | None] = mapped_column(Double, nullable=True)
    released_s: Mapped[float | None] = mapped_column(Double, nullable=True)
    paused_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    failure: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(20), default="incident", server_default="incident")
