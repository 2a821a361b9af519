"""Who can fly where, how soon, and with what battery: the basis of dispatch and lockdown.

A :class:`Responder` is a drone as the dispatcher sees it (built from its
vehicle snapshot by the caller); a :class:`ResponseModel` turns distance into
time and battery. Path lengths come from a ``distance_fn`` so that the
caller can plug in the planner's no-fly-aware route length; the default is
the straight great-circle distance.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from dronepatrol.geo import distance_m

DistanceFn = Callable[[float, float, float, float], float]
"""(lat1, lon1, lat2, lon2) [deg] -> flyable path length [m]."""


class ResponderState(Enum):
    """What a drone is doing, as far as dispatch is concerned."""

    IDLE = "idle"  # on the ground at its station, ready to launch
    PATROLLING = "patrolling"  # flying a patrol sortie: may be diverted
    ON_INCIDENT = "on_incident"  # already answering an incident
    HOLDING = "holding"  # holding an overwatch point (lockdown)
    RETURNING = "returning"  # coming home (RTL, low battery, failsafe)
    CHARGING = "charging"  # on the ground, battery being swapped or charged
    UNAVAILABLE = "unavailable"  # link lost, not ready to arm, grounded


DISPATCHABLE = frozenset({ResponderState.IDLE, ResponderState.PATROLLING})
"""States from which a drone may be sent to an incident or an overwatch point."""


@dataclass(frozen=True)
class Responder:
    """A drone that might answer.

    Attributes:
        vehicle_id: the fleet's id.
        state: see :class:`ResponderState`.
        lat_deg, lon_deg: where it is now [deg].
        alt_rel_m: height above its home [m]; 0 on the ground.
        battery_frac: remaining charge, 0..1 of a full battery.
        station_lat_deg, station_lon_deg: where it lands after the job [deg].
        endurance_s: this drone's own flight time at cruise on a full pack [s]
            (from its pack and learned consumption); None: the model's.
        why_not: why it may not answer, in an operator's words, when its state says it
            may not ("" to let the state's name speak).
    """

    vehicle_id: str
    state: ResponderState
    lat_deg: float
    lon_deg: float
    alt_rel_m: float
    battery_frac: float
    station_lat_deg: float
    station_lon_deg: float
    endurance_s: float | None = None
    why_not: str = ""


@dataclass(frozen=True)
class ResponseModel:
    """Flight times and battery use for responses.

    Attributes:
        cruise_speed_mps: horizontal speed on the way [m/s]; the dispatcher flies
            it (DO_REPOSITION's speed), within ArduCopter's 20 m/s WPNAV_SPEED
            ceiling. 15 m/s puts a drone 2 km from its station on scene in about
            three minutes (bench/patrol_day.py).
        climb_rate_mps: vertical speed [m/s] (climb and descent alike).
        response_alt_m: altitude flown to the scene [m above home].
        launch_delay_s: from the order to wheels up for a drone on the ground
            (arming, checks, takeoff) [s].
        endurance_s: flight time on a full battery at cruise [s].
        reserve_frac: battery kept untouched for the landing, 0..1.
    """

    cruise_speed_mps: float = 15.0
    climb_rate_mps: float = 3.0
    response_alt_m: float = 60.0
    launch_delay_s: float = 15.0
    endurance_s: float = 25 * 60.0
    reserve_frac: float = 0.2

    def __post_init__(self) -> None:
        for name in ("cruise_speed_mps", "climb_rate_mps", "endurance_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)!r}")
        if not 0 <= self.reserve_frac < 1:
            raise ValueError(f"reserve_frac must be in [0, 1), got {self.reserve_frac!r}")

    def travel_s(self, responder: Responder, path_m: float) -> float:
        """Time [s] for ``responder`` to be over a place ``path_m`` metres away."""
        climb_s = abs(self.response_alt_m - responder.alt_rel_m) / self.climb_rate_mps
        launch_s = self.launch_delay_s if responder.state is ResponderState.IDLE else 0.0
        return launch_s + climb_s + path_m / self.cruise_speed_mps

    def return_s(self, path_m: float) -> float:
        """Time [s] to fly ``path_m`` home and descend to land."""
        return path_m / self.cruise_speed_mps + self.response_alt_m / self.climb_rate_mps

    def battery_frac_for(self, flight_s: float, endurance_s: float | None = None) -> float:
        """Battery fraction [0..1] that ``flight_s`` seconds of flight use.

        ``endurance_s`` is the drone's own endurance when known, else the model's.
        """
        return flight_s / (endurance_s or self.endurance_s)


@dataclass(frozen=True)
class Reach:
    """Whether a responder can serve a place, and at what cost.

    Attributes:
        vehicle_id: the responder.
        eta_s: time to arrive [s]; infinite when it cannot go at all.
        battery_needed_frac: battery for there, hold and back, plus reserve.
        feasible: it can go, hold and come back within its battery.
        reason: why not, in words an operator acts on ("" when feasible).
    """

    vehicle_id: str
    eta_s: float
    battery_needed_frac: float
    feasible: bool
    reason: str = ""


def reach(
    responder: Responder,
    lat_deg: float,
    lon_deg: float,
    hold_s: float,
    model: ResponseModel,
    distance_fn: DistanceFn = distance_m,
) -> Reach:
    """Can ``responder`` fly to (lat, lon), hold ``hold_s`` [s] there and return home?"""
    if responder.state not in DISPATCHABLE:
        reason = responder.why_not or responder.state.value
        return Reach(responder.vehicle_id, math.inf, math.inf, False, reason)
    there_m = distance_fn(responder.lat_deg, responder.lon_deg, lat_deg, lon_deg)
    back_m = distance_fn(lat_deg, lon_deg, responder.station_lat_deg, responder.station_lon_deg)
    if not (math.isfinite(there_m) and math.isfinite(back_m)):
        return Reach(responder.vehicle_id, math.inf, math.inf, False, "no flyable route")
    eta_s = model.travel_s(responder, there_m)
    flight_s = eta_s - (model.launch_delay_s if responder.state is ResponderState.IDLE else 0.0)
    needed = (
        model.battery_frac_for(flight_s + hold_s + model.return_s(back_m), responder.endurance_s)
        + model.reserve_frac
    )
    if needed > responder.battery_frac:
        return Reach(
            responder.vehicle_id,
            eta_s,
            needed,
            False,
            f"battery: needs {needed:.0%}, has {responder.battery_frac:.0%}",
        )
    return Reach(responder.vehicle_id, eta_s, needed, True)
