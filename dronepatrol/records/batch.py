"""What one writer batch gathers, and the writer's memory between batches."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, insert

from dronepatrol.database.record_tables import Detection, SortieEvent, TrackSample
from dronepatrol.records.audit import OpenSortie


@dataclass
class LedgerState:
    """The writer's memory, copied before each batch so that a failed batch can be replayed.

    Attributes:
        open: vehicle id -> its sortie in flight.
        context: vehicle id -> plan, targets, station, operator for its next sortie.
        last_closed: vehicle id -> (sortie id, ended_s) of its last sortie.
        last_transition: vehicle id -> time of its last armed/disarmed change [s].
        awaiting: sorties found open at start-up whose vehicle has not been heard
            yet: vehicle id -> (sortie id, started_s, decide-by monotonic deadline).
        known_vehicles: ids already in the vehicles table.
    """

    open: dict[str, OpenSortie] = field(default_factory=dict)
    context: dict[str, dict[str, Any]] = field(default_factory=dict)
    last_closed: dict[str, tuple[int, float]] = field(default_factory=dict)
    last_transition: dict[str, float] = field(default_factory=dict)
    awaiting: dict[str, tuple[int, float, float]] = field(default_factory=dict)
    known_vehicles: set[str] = field(default_factory=set)


@dataclass
class Batch:
    """Rows waiting for one multi-row insert each, and media to hash after the commit."""

    tracks: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    detections: list[dict[str, Any]] = field(default_factory=list)
    to_hash: list[int] = field(default_factory=list)
    track_rows: int = 0
    other_rows: int = 0

    def insert(self, connection: Connection) -> None:
        """Write the waiting rows (executemany per table) and empty the lists."""
        if self.tracks:
            _insert_tracks(connection, self.tracks)
            self.track_rows += len(self.tracks)
            self.tracks = []
        if self.events:
            connection.execute(insert(SortieEvent), self.events)
            self.other_rows += len(self.events)
            self.events = []
        if self.detections:
            connection.execute(insert(Detection), self.detections)
            self.other_rows += len(self.detections)
            self.detections = []


TRACK_COLUMNS = (
    "sortie_id",
    "time_s",
    "lat_deg",
    "lon_deg",
    "alt_amsl_m",
    "alt_rel_m",
    "heading_deg",
    "groundspeed_mps",
    "climb_mps",
    "battery_pct",
    "battery_v",
    "mode",
    "armed",
)
"""Every column a track row carries (the id is the database's)."""

_PLACEHOLDER = {"qmark": "?", "format": "%s", "pyformat": "%s"}


def _insert_tracks(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """Track rows straight through the driver's executemany: the recorder's hot path.

    Plain floats, strings and booleans need none of SQLAlchemy's per-row
    processing; skipping it roughly doubles the rows per second. Drivers with
    another parameter style go through SQLAlchemy.
    """
    mark = _PLACEHOLDER.get(connection.dialect.paramstyle)
    if mark is None:
        connection.execute(insert(TrackSample), rows)
        return
    table = TrackSample.__tablename__
    sql = (
        f"INSERT INTO {table} ({', '.join(TRACK_COLUMNS)}) "
        f"VALUES ({', '.join([mark] * len(TRACK_COLUMNS))})"
    )
    connection.exec_driver_sql(sql, [tuple(row[c] for c in TRACK_COLUMNS) for row in rows])
