"""The handle other threads hold for one vehicle: its identity, its snapshot, its plugins.

A :class:`Vehicle` is wiring only. What it can do lives in plugins, as in
MAVSDK: ``vehicle.telemetry`` (the snapshot and waiting on it),
``vehicle.commands`` (MAV_CMDs with their ACKs), ``vehicle.params``,
``vehicle.mission`` (mission, fence and rally lists) and ``vehicle.action``
(flight operations). Calls that talk to the vehicle come in two forms:
``submit*`` returns at once with a future (and, for commands, a command id)
whose outcome also arrives as an event, for web handlers that must never
block on the radio; the plain form waits for the outcome and raises a typed
error, for scripts and the CLI. Nothing here touches the connection: jobs run
on the link's owner thread, named operations through
:mod:`dronepatrol.mavlink.operations`.
"""

from __future__ import annotations

from collections.abc import Sequence

from dronepatrol.mavlink.channel import LinkPort, VehicleChannel
from dronepatrol.mavlink.plugins.action import ActionPlugin
from dronepatrol.mavlink.plugins.commands import CommandPlugin
from dronepatrol.mavlink.plugins.mission import MissionPlugin
from dronepatrol.mavlink.plugins.params import ParamPlugin
from dronepatrol.mavlink.plugins.telemetry import TelemetryPlugin
from dronepatrol.mavlink.preflight import prepare_flight
from dronepatrol.mission import MissionItem
from dronepatrol.state import VehicleSnapshot


class Vehicle:
    """One vehicle on a :class:`~dronepatrol.mavlink.link.Link`.

    Attributes:
        vehicle_id: the controller's id; sysid: its MAVLink system id; link: where it is heard.
        channel: its way to the link (jobs, bus, operation pool).
        telemetry, commands, params, mission, action: its plugins.
    """

    def __init__(self, link: LinkPort, sysid: int, vehicle_id: str) -> None:
        self.link = link
        self.sysid = sysid
        self.vehicle_id = vehicle_id
        self.channel = VehicleChannel(link, sysid, vehicle_id)
        self.telemetry = TelemetryPlugin(self.channel)
        self.commands = CommandPlugin(self.channel, self.telemetry)
        self.params = ParamPlugin(self.channel)
        self.mission = MissionPlugin(self.channel, self.telemetry)
        self.action = ActionPlugin(
            vehicle_id, self.commands, self.params, self.telemetry, self._preflight
        )

    def __repr__(self) -> str:
        return f"Vehicle({self.vehicle_id!r}, sysid={self.sysid}, {self.link.url})"

    @property
    def snapshot(self) -> VehicleSnapshot:
        """The latest immutable state (refreshed by the link thread up to 20 times a second)."""
        return self.telemetry.snapshot

    def _preflight(self, no_fly_fence: Sequence[MissionItem], **limits: float) -> None:
        """An operator's take-off keeps the vehicle's fence and adds the no-fly zones."""
        prepare_flight(self, no_fly_fence, keep_held=True, **limits)
