"""A scripted sortie on the event bus: what the link publishes for one flight.

Times are explicit (no sleeping): a flight of minutes is published in
milliseconds, with every event stamped as the link would stamp it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from dronepatrol import geo
from dronepatrol.events import Event, EventBus, EventKind
from dronepatrol.records.telemetry import telemetry_event
from dronepatrol.state import (
    Battery,
    LandedState,
    LinkState,
    MissionProgress,
    Position,
    VehicleSnapshot,
)

HOME = (-35.363261, 149.165230)
"""ArduPilot SITL's default home, the example network's centre (lat, lon) [deg]."""
HOME_AMSL_M = 584.0


def square(side_m: float = 200.0) -> list[tuple[float, float]]:
    """Waypoints of a square north-east of home, back to home (lat, lon) [deg]."""
    corners = [(0, 0), (side_m, 0), (side_m, side_m), (0, side_m), (0, 0)]
    return [geo.offset(*HOME, n, e) for n, e in corners]


@dataclass
class ScriptedSortie:
    """Publishes one sortie: commands, arming, a track along ``route``, disarming."""

    bus: EventBus
    vehicle_id: str = "1"
    start_s: float = 1_790_000_000.0
    route: Sequence[tuple[float, float]] = field(default_factory=square)
    alt_m: float = 40.0
    speed_mps: float = 10.0
    rate_hz: float = 5.0
    plan: str = "S01-1"
    targets: Sequence[str] = ("G001", "P003")
    operator: str = "alice"
    failsafe_at_leg: int | None = None
    published: list[Event] = field(default_factory=list)

    def _emit(self, kind: EventKind, time_s: float, **data: object) -> Event:
        event = Event(kind=kind, vehicle_id=self.vehicle_id, data=data, time_s=time_s)
        self.bus.publish(event)
        self.published.append(event)
        return event

    def _snapshot(self, t: float, lat: float, lon: float, alt: float, **kw) -> VehicleSnapshot:
        elapsed = t - self.start_s
        return VehicleSnapshot(
            vehicle_id=self.vehicle_id,
            name=f"copter-{self.vehicle_id}",
            link=LinkState.UP,
            armed=kw.get("armed", True),
            mode=kw.get("mode", "AUTO"),
            position=Position(lat, lon, HOME_AMSL_M + alt, alt),
            groundspeed_mps=kw.get("speed", self.speed_mps),
            heading_deg=kw.get("heading", 0.0),
            battery=Battery(voltage_v=12.6, remaining_pct=max(0.0, 100.0 - elapsed / 12.0)),
            mission=MissionProgress(current_seq=0, total=len(self.route) + 1),
            landed_state=LandedState.IN_AIR if alt > 0.5 else LandedState.ON_GROUND,
            time_s=t,
        )

    def _telemetry(self, snap: VehicleSnapshot) -> None:
        event = telemetry_event(snap)
        self.bus.publish(event)
        self.published.append(event)

    def fly(self, until_leg: int | None = None) -> float:
        """Publish the sortie (up to ``until_leg`` legs, then stop without disarming).

        Returns the time of the last event [s].
        """
        t = self.start_s - 30.0
        self._emit(
            EventKind.MISSION_UPLOAD,
            t,
            plan=self.plan,
            targets=list(self.targets),
            station="S01",
            operator=self.operator,
            count=len(self.route),
        )
        t = self.start_s - 1.0
        self._emit(EventKind.COMMAND_SENT, t, command="ARM", actor=self.operator)
        self._emit(EventKind.COMMAND_RESULT, t + 0.2, command="ARM", result="ACCEPTED")
        self._emit(EventKind.ARMED, self.start_s, name=f"copter-{self.vehicle_id}")
        self._emit(EventKind.MODE_CHANGED, self.start_s + 0.1, mode="AUTO", previous="GUIDED")
        step = 1.0 / self.rate_hz
        t = self.start_s + 0.2
        lat, lon = self.route[0]
        legs = list(zip(self.route, self.route[1:], strict=False))
        for index, (a, b) in enumerate(legs, start=1):
            if until_leg is not None and index > until_leg:
                return t
            length = geo.distance_m(*a, *b)
            heading = geo.bearing_deg(*a, *b)
            n = max(1, math.ceil(length / self.speed_mps / step))
            for k in range(n):
                f = k / n
                lat, lon = a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f
                self._telemetry(self._snapshot(t, lat, lon, self.alt_m, heading=heading))
                t += step
            self._emit(EventKind.WAYPOINT_REACHED, t, seq=index)
            if self.failsafe_at_leg == index:
                self._emit(EventKind.FAILSAFE, t, reason="battery low", type="battery")
                self._emit(EventKind.MODE_CHANGED, t + 0.1, mode="RTL", previous="AUTO")
                break
        self._emit(EventKind.STATUSTEXT, t, text="Mission complete", severity=6)
        self._emit(EventKind.COMMAND_SENT, t + 0.1, command="RTL", actor=self.operator)
        self._emit(EventKind.COMMAND_RESULT, t + 0.3, command="RTL", result="ACCEPTED")
        for k in range(3):
            t += step
            self._telemetry(self._snapshot(t, *self.route[-1], self.alt_m * (2 - k) / 3))
        t += step
        self._emit(EventKind.DISARMED, t)
        self._telemetry(self._snapshot(t + step, *self.route[-1], 0.0, armed=False, speed=0))
        return t
