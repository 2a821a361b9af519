"""The patrol scheduler: its state, the mode switch, and an operator's decision."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from dronepatrol.schedule.turnaround import Turnaround as TurnaroundRecord
from dronepatrol.web.schema.base import Reply, Request, reply_of

Mode = Literal["off", "approve", "auto"]


class Turnaround(reply_of(TurnaroundRecord, "TurnaroundFields")):  # type: ignore[misc]
    """Battery turnaround at the station: swap time [s] or charging from empty [s]."""


class PendingSortie(Reply):
    """A sortie the scheduler proposes, with its planned track [lat, lon] [deg]."""

    id: str
    vehicle: str
    station: str
    targets: list[str]
    reason: str
    duration_s: float
    energy_frac: float
    length_m: float
    created_s: float
    track: list[list[float]]


class ScheduleStatus(Reply):
    mode: Mode
    turnaround: Turnaround
    horizon_s: float = Field(description="targets falling due within this time are flown too")
    pending: list[PendingSortie]
    flying: dict[str, list[str]] = Field(description="vehicle id: the targets it is flying")
    waiting: dict[str, str] = Field(description="vehicle id: why it is not proposed")
    unschedulable: dict[str, str] = Field(description="target id: why no sortie can fly it")


class ModeChange(Request):
    mode: Mode


class ModeNow(Reply):
    mode: Mode


class Decision(Reply):
    proposal: str
    vehicle: str
    decision: Literal["approved", "rejected"]
