"""MAVLink: links, vehicles and the fleet. The only package that imports pymavlink.

Start with :class:`Fleet` (``fleet.add("tcp:127.0.0.1:5760")``), or a single
:class:`Link` for one connection. Vehicles are :class:`Vehicle` handles:
read ``vehicle.snapshot``; its plugins ``vehicle.action``, ``vehicle.mission``,
``vehicle.params``, ``vehicle.telemetry`` and ``vehicle.commands`` each offer a
blocking form (typed errors) and a ``submit`` form (non-blocking, outcome as a
future and an event). Operations by name: :mod:`dronepatrol.mavlink.operations`.
"""

from __future__ import annotations

from dronepatrol.mavlink.errors import (
    CommandError,
    CommandTimeout,
    FenceTooBigError,
    FlightError,
    LinkDownError,
    MissionTransferError,
    MissionVerifyError,
    NotReadyError,
    ParamError,
    PreflightError,
    VehicleError,
)
from dronepatrol.mavlink.fleet import Fleet, UnknownVehicleError
from dronepatrol.mavlink.link import Link, LinkStats
from dronepatrol.mavlink.plugins.commands import CommandHandle
from dronepatrol.mavlink.preflight import CHECKS, blocking_reasons, check_preflight, wait_ready
from dronepatrol.mavlink.urls import LinkUrl, LinkUrlError
from dronepatrol.mavlink.vehicle import Vehicle

__all__ = [
    "CHECKS",
    "CommandError",
    "CommandHandle",
    "CommandTimeout",
    "FenceTooBigError",
    "Fleet",
    "FlightError",
    "Link",
    "LinkDownError",
    "LinkStats",
    "LinkUrl",
    "LinkUrlError",
    "MissionTransferError",
    "MissionVerifyError",
    "NotReadyError",
    "ParamError",
    "PreflightError",
    "UnknownVehicleError",
    "Vehicle",
    "VehicleError",
    "blocking_reasons",
    "check_preflight",
    "wait_ready",
]
