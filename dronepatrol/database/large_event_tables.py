"""The large events table: each event's file, its times, and who ended it early."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Double, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from dronepatrol.database.record_tables import Base, Json


class LargeEventRow(Base):
    """One large event as it was added (times [s since the epoch]).

    ``geojson`` is the event file (zone and targets) exactly as checked when
    added; ``start_s``/``end_s`` repeat its times for queries. ``ended_s`` is
    set when it was ended early, or cancelled before it started.
    """

    __tablename__ = "large_events"
    __table_args__ = (Index("ix_large_events_start_s", "start_s"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    start_s: Mapped[float] = mapped_column(Double)
    end_s: Mapped[float] = mapped_column(Double)
    geojson: Mapped[dict[str, Any]] = mapped_column(Json)
    created_s: Mapped[float] = mapped_column(Double)
    creator: Mapped[str] = mapped_column(String(100))
    ended_s: Mapped[float | None] = mapped_column(Double, nullable=True)
    ended_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
