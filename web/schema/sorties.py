"""Recorded sorties: the list, one sortie's record, and the list's filters."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from dronepatrol.records.archive import SortieSummary
from dronepatrol.web.schema.base import Query, Reply, reply_of


class SortieFilter(Query):
    vehicle: str | None = Field(default=None, description="only this vehicle's sorties")
    limit: int = Field(default=200, ge=1, le=5000, description="at most this many, newest first")


class Sortie(reply_of(SortieSummary, "SortieRecorded")):  # type: ignore[misc]
    """One sortie as listed: who flew what, when [s since the epoch], how it ended."""

    # the record's fields come from SortieSummary; below, what it computes
    number: int = Field(description="the how-many-th sortie of its drone (1 for its first)")
    label: str = Field(description='what people call it: "sortie 3 of S01-1"')
    status: str = Field(description="the outcome, or open while recording")
    duration_s: float | None
    started: str | None = Field(description="ISO 8601, UTC")
    ended: str | None


class Sorties(Reply):
    sorties: list[Sortie]


class SortieDetail(Reply):
    """A sortie's record; ``track`` rows are [time_s, lat_deg, lon_deg, alt_rel_m]."""

    sortie: Sortie
    stats: dict[str, Any]
    events: list[dict[str, Any]]
    detections: list[dict[str, Any]]
    media: list[dict[str, Any]] = Field(description="fetched from /sorties/{id}/media/{index}")
    track_samples: int
    track: list[list[float | None]]
