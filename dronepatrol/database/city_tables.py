"""The city bus tables: a station's outbox, and the centre's records from every station.

A station writes every event it sends to the centre into ``city_outbox``
first, under an idempotency key, and deletes the row only when the centre has
acknowledged it; nothing leaves the outbox by age, so a station cut off for
hours keeps every record. The centre stores what it receives in
``city_records``, whose primary key is that idempotency key: a record sent
twice (an acknowledgement lost on the way) is stored once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Double, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from dronepatrol.database.record_tables import Base, Json, RowId


class OutboxRecord(Base):
    """A record waiting for the centre's acknowledgement, oldest first by ``id``."""

    __tablename__ = "city_outbox"
    # ids only grow, also after the newest rows are deleted (SQLite reuses rowids otherwise):
    # the sender's cursor relies on it
    __table_args__ = {"sqlite_autoincrement": True}  # noqa: RUF012

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    vehicle_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    time_s: Mapped[float] = mapped_column(Double)
    """When the event happened [s since the epoch]."""
    data: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)


class CityRecord(Base):
    """One station record as the centre stored it."""

    __tablename__ = "city_records"
    __table_args__ = (Index("ix_city_records_station_time", "station", "time_s"),)

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    station: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(40))
    vehicle_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    time_s: Mapped[float] = mapped_column(Double)
    """When the event happened at the station [s since the epoch]."""
    received_s: Mapped[float] = mapped_column(Double)
    """When the centre stored it [s since the epoch]."""
    data: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
