"""Reading recorded sorties back: listings, one sortie's track, events, detections, media."""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, and_, func, or_, select
from sqlalchemy.orm import aliased

from dronepatrol import geo
from dronepatrol.database.record_tables import (
    Detection,
    Media,
    Sortie,
    SortieEvent,
    TrackSample,
    VehicleRecord,
)


class SortieNotFound(LookupError):
    """No sortie has the id asked for."""

    def __init__(self, sortie_id: int) -> None:
        super().__init__(f"no sortie with id {sortie_id}; `dronepatrol sorties list` shows them")
        self.sortie_id = sortie_id


def iso_utc(time_s: float | None) -> str | None:
    """``time_s`` [s since the epoch] as ISO 8601 UTC with a Z, milliseconds kept.

    >>> iso_utc(0.25)
    '1970-01-01T00:00:00.250Z'
    """
    if time_s is None:
        return None
    stamp = datetime.fromtimestamp(time_s, UTC).isoformat(timespec="milliseconds")
    return stamp.replace("+00:00", "Z")


@dataclass(frozen=True)
class SortieSummary:
    """One sortie as listed: who flew what, when, how it ended, how much was recorded."""

    id: int
    vehicle_id: str
    vehicle_name: str
    plan_ref: str
    targets: list[Any]
    station: str
    operator: str
    started_s: float
    ended_s: float | None
    outcome: str | None
    outcome_reason: str
    samples: int
    events: int
    detections: int
    media: int
    number: int = 0
    """The how-many-th sortie of its drone this is (1 for its first, by take-off time)."""

    @property
    def label(self) -> str:
        """What people call it: "sortie 3 of S01-1", never just an id a drone could bear.

        >>> s = SortieSummary(7, "1", "S01-1", "", [], "", "", 0.0, None, None, "", 0, 0, 0, 0, 3)
        >>> s.label
        'sortie 3 of S01-1'
        """
        return f"sortie {self.number} of {self.vehicle_name}"

    @property
    def duration_s(self) -> float | None:
        return None if self.ended_s is None else self.ended_s - self.started_s

    @property
    def status(self) -> str:
        """The outcome, or ``open`` while the sortie is still recording."""
        return self.outcome or "open"

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["status"] = self.status
        out["label"] = self.label
        out["duration_s"] = self.duration_s
        out["started"] = iso_utc(self.started_s)
        out["ended"] = iso_utc(self.ended_s)
        return out


@dataclass(frozen=True)
class SortieRecord:
    """Everything recorded about one sortie, in time order."""

    summary: SortieSummary
    track: list[dict[str, Any]]
    events: list[dict[str, Any]]
    detections: list[dict[str, Any]]
    media: list[dict[str, Any]]

    @property
    def commands(self) -> list[dict[str, Any]]:
        """The command audit: every command sent and every result, in order."""
        return [e for e in self.events if e["kind"] in ("command_sent", "command_result")]

    def distance_m(self) -> float:
        """Length of the flown track over the ground [m]."""
        points = [(s["lat_deg"], s["lon_deg"]) for s in self.track]
        return sum(geo.distance_m(*a, *b) for a, b in itertools.pairwise(points))

    def track_rate_hz(self) -> float:
        """Mean track sample rate while armed [Hz] (0 with fewer than two samples)."""
        if len(self.track) < 2:
            return 0.0
        span = self.track[-1]["time_s"] - self.track[0]["time_s"]
        return (len(self.track) - 1) / span if span > 0 else 0.0

    def stats(self) -> dict[str, Any]:
        """Figures for the summary line and the report."""
        batteries = [s["battery_pct"] for s in self.track if s["battery_pct"] is not None]
        alts = [s["alt_rel_m"] for s in self.track if s["alt_rel_m"] is not None]
        speeds = [s["groundspeed_mps"] for s in self.track if s["groundspeed_mps"] is not None]
        return {
            "distance_m": round(self.distance_m(), 1),
            "track_rate_hz": round(self.track_rate_hz(), 2),
            "max_alt_rel_m": max(alts) if alts else None,
            "max_groundspeed_mps": max(speeds) if speeds else None,
            "battery_start_pct": batteries[0] if batteries else None,
            "battery_end_pct": batteries[-1] if batteries else None,
            "waypoints_reached": sorted(
                {e["data"].get("seq") for e in self.events if e["kind"] == "waypoint_reached"}
                - {None}
            ),
            "commands": len(self.commands),
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "sortie": self.summary.as_dict(),
            "stats": self.stats(),
            "events": self.events,
            "detections": self.detections,
            "media": self.media,
            "track_samples": len(self.track),
        }


def _rows(result: Any) -> list[dict[str, Any]]:
    return [dict(row._mapping) for row in result]


class SortieArchive:
    """Read-only access to the sorties in a database (a migrated ``engine``)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _summary_query(self):
        counts = {
            name: select(func.count())
            .select_from(model)
            .where(model.sortie_id == Sortie.id)
            .scalar_subquery()
            for name, model in (
                ("samples", TrackSample),
                ("events", SortieEvent),
                ("detections", Detection),
                ("media", Media),
            )
        }
        earlier = aliased(Sortie)
        number = (
            select(func.count())
            .select_from(earlier)
            .where(
                earlier.vehicle_id == Sortie.vehicle_id,
                or_(
                    earlier.started_s < Sortie.started_s,
                    and_(earlier.started_s == Sortie.started_s, earlier.id <= Sortie.id),
                ),
            )
            .scalar_subquery()
        )
        return select(
            Sortie.id,
            Sortie.vehicle_id,
            func.coalesce(VehicleRecord.name, Sortie.vehicle_id).label("vehicle_name"),
            Sortie.plan_ref,
            Sortie.targets,
            Sortie.station,
            Sortie.operator,
            Sortie.started_s,
            Sortie.ended_s,
            Sortie.outcome,
            Sortie.outcome_reason,
            *(query.label(name) for name, query in counts.items()),
            number.label("number"),
        ).join(VehicleRecord, VehicleRecord.id == Sortie.vehicle_id, isouter=True)

    def list(
        self, vehicle: str | None = None, since_s: float | None = None, limit: int | None = None
    ) -> list[SortieSummary]:
        """Sorties newest first, of one vehicle (id or name) and/or started since ``since_s``."""
        query = self._summary_query().order_by(Sortie.started_s.desc(), Sortie.id.desc())
        if vehicle:
            query = query.where((Sortie.vehicle_id == vehicle) | (VehicleRecord.name == vehicle))
        if since_s is not None:
            query = query.where(Sortie.started_s >= since_s)
        if limit:
            query = query.limit(limit)
        with self.engine.connect() as connection:
            return [SortieSummary(**row) for row in _rows(connection.execute(query))]

    def summary(self, sortie_id: int) -> SortieSummary:
        """One sortie's summary; raises :class:`SortieNotFound`."""
        with self.engine.connect() as connection:
            rows = _rows(connection.execute(self._summary_query().where(Sortie.id == sortie_id)))
        if not rows:
            raise SortieNotFound(sortie_id)
        return SortieSummary(**rows[0])

    def record(self, sortie_id: int) -> SortieRecord:
        """Everything recorded for ``sortie_id``; raises :class:`SortieNotFound`."""
        summary = self.summary(sortie_id)
        columns = [c for c in TrackSample.__table__.c if c.name not in ("id", "sortie_id")]
        with self.engine.connect() as connection:
            track = _rows(
                connection.execute(
                    select(*columns)
                    .where(TrackSample.sortie_id == sortie_id)
                    .order_by(TrackSample.time_s, TrackSample.id)
                )
            )
            events = _rows(
                connection.execute(
                    select(
                        SortieEvent.time_s,
                        SortieEvent.kind,
                        SortieEvent.command,
                        SortieEvent.result,
                        SortieEvent.actor,
                        SortieEvent.text,
                        SortieEvent.data,
                    )
                    .where(SortieEvent.sortie_id == sortie_id)
                    .order_by(SortieEvent.time_s, SortieEvent.seq, SortieEvent.id)
                )
            )
            detections = _rows(
                connection.execute(
                    select(
                        Detection.time_s,
                        Detection.lat_deg,
                        Detection.lon_deg,
                        Detection.class_name,
                        Detection.confidence,
                        Detection.snapshot_path,
                    )
                    .where(Detection.sortie_id == sortie_id)
                    .order_by(Detection.time_s, Detection.id)
                )
            )
            media = _rows(
                connection.execute(
                    select(Media.kind, Media.path, Media.sha256, Media.size_bytes, Media.complete)
                    .where(Media.sortie_id == sortie_id)
                    .order_by(Media.id)
                )
            )
        for event in events:
            event["time"] = iso_utc(event["time_s"])
            event["data"] = event["data"] or {}
        return SortieRecord(summary, track, events, detections, media)
