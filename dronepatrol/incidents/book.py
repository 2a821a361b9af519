"""The incident book: incidents and their response times in the database."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Engine, case, func, select, update
from sqlalchemy.orm import Session

from dronepatrol.database import Incident

PRIORITIES = ("key", "attention", "general")
STATUSES = ("open", "dispatched", "on_scene", "released", "failed")
OPEN_STATUSES = ("open", "dispatched", "on_scene")
"""An incident still being dealt with: waiting for a drone, one on its way, or one there."""
KINDS = ("incident", "hold")
"""A reported incident, or a lockdown's overwatch hold (flown alike, reported apart)."""
NOTE_MAX_CHARS = 2000
"""An incident's note is a few lines for the crew, not a document: longer ones are refused."""


class IncidentError(ValueError):
    """An incident request that cannot be done; the message says what to fix."""


@dataclass(frozen=True)
class IncidentView:
    """One incident as the app shows it (times [s since the epoch], None until reached)."""

    id: int
    created_s: float
    lat_deg: float
    lon_deg: float
    priority: str
    note: str
    creator: str
    status: str
    vehicle_id: str | None
    dispatched_by: str | None
    dispatched_s: float | None
    airborne_s: float | None
    on_scene_s: float | None
    released_s: float | None
    paused_seq: int | None
    failure: str
    kind: str = "incident"

    @property
    def dispatchable(self) -> bool:
        """Whether a drone may be sent now: an incident not answered (open) or whose answer
        ended (failed, released). A lockdown hold only while open, as its lockdown sends
        it: once over, the point is held again by activating a lockdown."""
        if self.kind == "hold":
            return self.status == "open"
        return self.status in ("open", "failed", "released")

    @property
    def response_s(self) -> float | None:
        """Created to on scene [s], the figure commanders are measured by."""
        return None if self.on_scene_s is None else self.on_scene_s - self.created_s

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["response_s"] = self.response_s
        return out


def _view(row: Incident) -> IncidentView:
    return IncidentView(**{f: getattr(row, f) for f in IncidentView.__dataclass_fields__})


class IncidentBook:
    """Create, list and update incidents; safe to share between threads."""

    def __init__(self, engine: Engine, clock: Callable[[], float] = time.time) -> None:
        self._engine = engine
        self._clock = clock

    def create(
        self,
        lat_deg: float,
        lon_deg: float,
        priority: str,
        note: str,
        creator: str,
        kind: str = "incident",
    ) -> IncidentView:
        """A new open incident (or lockdown ``hold``); refuses impossible coordinates,
        unknown priorities and kinds."""
        if kind not in KINDS:
            raise IncidentError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
        if not (math.isfinite(lat_deg) and -90 <= lat_deg <= 90):
            raise IncidentError(f"lat must be a latitude in -90..90 degrees, got {lat_deg!r}")
        if not (math.isfinite(lon_deg) and -180 <= lon_deg <= 180):
            raise IncidentError(f"lon must be a longitude in -180..180 degrees, got {lon_deg!r}")
        if len(note) > NOTE_MAX_CHARS:
            raise IncidentError(
                f"note must be at most {NOTE_MAX_CHARS} characters, got {len(note)}: shorten it"
            )
        if priority not in PRIORITIES:
            raise IncidentError(
                f"priority must be one of {', '.join(PRIORITIES)}, got {priority!r}"
            )
        row = Incident(
            created_s=self._clock(),
            lat_deg=lat_deg,
            lon_deg=lon_deg,
            priority=priority,
            note=note,
            creator=creator,
            status="open",
            failure="",
            kind=kind,
        )
        with Session(self._engine) as session:
            session.add(row)
            session.commit()
            return _view(row)

    def get(self, incident_id: int) -> IncidentView:
        with Session(self._engine) as session:
            row = session.get(Incident, incident_id) if incident_id < 2**63 else None
            if row is None:
                raise IncidentError(f"no incident {incident_id}")
            return _view(row)

    def list(self, limit: int = 200) -> list[IncidentView]:
        """Incidents, newest first."""
        with Session(self._engine) as session:
            rows = session.scalars(
                select(Incident)
                .order_by(Incident.created_s.desc(), Incident.id.desc())
                .limit(limit)
            )
            return [_view(r) for r in rows]

    def open_incidents(
        self, limit: int = 100, kind: str = "incident"
    ) -> tuple[list[IncidentView], int]:
        """The ``limit`` most recent open incidents of ``kind`` (newest first), and how
        many are open in all."""
        where = (Incident.status.in_(OPEN_STATUSES), Incident.kind == kind)
        with Session(self._engine) as session:
            rows = session.scalars(
                select(Incident)
                .where(*where)
                .order_by(Incident.created_s.desc(), Incident.id.desc())
                .limit(limit)
            )
            views = [_view(r) for r in rows]
            total = session.scalar(select(func.count()).select_from(Incident).where(*where))
        return views, int(total or 0)

    def mark(self, incident_id: int, **values: Any) -> None:
        """Set fields (status, times, vehicle...) of one incident."""
        unknown = set(values) - set(IncidentView.__dataclass_fields__)
        if unknown:
            raise IncidentError(f"unknown incident fields: {sorted(unknown)}")
        with Session(self._engine) as session:
            session.execute(update(Incident).where(Incident.id == incident_id).values(**values))
            session.commit()

    def mark_once(
        self, incident_id: int, field: str, value: float, *, status_from: str = "", status: str = ""
    ) -> bool:
        """Set a time field only if it is still empty (first airborne, first on scene).

        With ``status``, the same write also moves the status to it when it is
        ``status_from``, so that no reader sees the time without the status.
        """
        column = getattr(Incident, field)
        values: dict[str, Any] = {field: value}
        if status:
            values["status"] = case((Incident.status == status_from, status), else_=Incident.status)
        with Session(self._engine) as session:
            result = session.execute(
                update(Incident).where(Incident.id == incident_id, column.is_(None)).values(values)
            )
            session.commit()
            return result.rowcount > 0
