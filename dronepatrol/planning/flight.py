"""Flight time and battery energy of a path, from the drone profile.

Energy is counted as equivalent hover time (see :class:`DroneProfile`). A leg
from one 3-D position to the next takes the longer of its horizontal time at
cruise speed and its vertical time at the climb or descent rate; climbing
costs the climb power ratio, descending the descent ratio.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from dronepatrol.geo import distance_m
from dronepatrol.mission import NAV_COMMANDS, Cmd, Mission
from dronepatrol.planning.profile import DroneProfile


@dataclass
class FlightCost:
    """Accumulates a sortie's length [m], time [s] and energy [s of hover]."""

    profile: DroneProfile
    length_m: float = 0.0
    duration_s: float = 0.0
    energy_s: float = 0.0

    def leg(self, horizontal_m: float, climb_m: float) -> None:
        """A straight leg ``horizontal_m`` long that climbs ``climb_m`` (negative: descends)."""
        p = self.profile
        t_h = horizontal_m / p.cruise_speed_mps
        if climb_m >= 0:
            t_v, ratio = climb_m / p.climb_rate_mps, p.climb_power_ratio
        else:
            t_v, ratio = -climb_m / p.descent_rate_mps, p.descent_power_ratio
        t = max(t_h, t_v)
        self.length_m += horizontal_m
        self.duration_s += t
        self.energy_s += t * p.cruise_power_ratio + t_v * (ratio - p.cruise_power_ratio)

    def moving(self, seconds: float) -> None:
        """Time in forward flight that adds no distance to the track (turnarounds, orbits)."""
        self.duration_s += seconds
        self.energy_s += seconds * self.profile.cruise_power_ratio

    def hover(self, seconds: float) -> None:
        self.duration_s += seconds
        self.energy_s += seconds

    @property
    def energy_frac(self) -> float:
        """Fraction of a full battery used."""
        return self.energy_s / self.profile.hover_endurance_s


def hop_estimate(cost: FlightCost, distance_m: float, alt_from: float, alt_to: float) -> None:
    """Add a transit hop as the planner flies it: up to transit altitude and down again
    when the hop is long, at the higher of the two altitudes when it is short."""
    p = cost.profile
    if distance_m >= p.short_hop_m:
        cruise = max(p.transit_altitude_m, alt_from, alt_to)
        cost.leg(distance_m / 2, cruise - alt_from)
        cost.leg(distance_m / 2, alt_to - cruise)
    else:
        cost.leg(distance_m, alt_to - alt_from)


def hop_energy_s(profile: DroneProfile, distance_m, alt_from: float, alt_to: float):
    """Energy [s of hover] of :func:`hop_estimate` hops, for an array of distances [m]
    at once (the same sums, vectorised)."""
    import numpy as np

    p = profile
    d = np.asarray(distance_m, dtype=float)

    def leg(horizontal: np.ndarray, climb_m: float) -> np.ndarray:
        t_h = horizontal / p.cruise_speed_mps
        if climb_m >= 0:
            t_v, ratio = climb_m / p.climb_rate_mps, p.climb_power_ratio
        else:
            t_v, ratio = -climb_m / p.descent_rate_mps, p.descent_power_ratio
        return np.maximum(t_h, t_v) * p.cruise_power_ratio + t_v * (ratio - p.cruise_power_ratio)

    cruise = max(p.transit_altitude_m, alt_from, alt_to)
    long = leg(d / 2, cruise - alt_from) + leg(d / 2, alt_to - cruise)
    short = leg(d, alt_to - alt_from)
    return np.where(d >= p.short_hop_m, long, short)


MAX_MISSION_STEPS = 100_000
"""Items a mission's estimate walks at most (DO_JUMP repeats included) before it is
judged endless."""


class EndlessMission(ValueError):
    """A mission that never ends by itself (DO_JUMP for ever, LOITER_UNLIM): no battery fits."""


def mission_cost(
    mission: Mission, profile: DroneProfile, home: tuple[float, float], takeoff_alt_m: float = 0.0
) -> FlightCost:
    """What flying ``mission`` from ``home`` (lat, lon) [deg] and back costs, as the autopilot
    flies it: a mission file flown alone has no planner's figures.

    Items are walked in order, DO_JUMP repeats included; each move is a
    straight leg at the current speed (the profile's cruise, changed by
    DO_CHANGE_SPEED), climbing or descending to the item's altitude above
    home; waypoint holds and LOITER_TIME hover; LOITER_TURNS circle at the
    orbit speed. The sortie ends with the way home and the landing (the
    mission's own RTL or LAND, or the RTL that ends a flight otherwise).
    ``takeoff_alt_m`` is the take-off flown before the mission starts [m].
    Raises :class:`EndlessMission` for a mission that never ends by itself.

    >>> from dronepatrol.mission import MissionItem
    >>> wp = MissionItem(Cmd.NAV_WAYPOINT, lat_deg=-35.35, lon_deg=149.16, alt_m=40.0)
    >>> cost = mission_cost(Mission(items=(wp,)), DroneProfile(), (-35.36, 149.16))
    >>> round(cost.length_m), round(cost.duration_s)  # 2 x 1,113 m at 10 m/s, 40 m down at 1.5
    (2226, 249)
    """
    cost = FlightCost(profile)
    lat, lon = home
    alt = 0.0
    if takeoff_alt_m > 0:
        cost.leg(0.0, takeoff_alt_m)
        alt = takeoff_alt_m
    items = list(mission.items)
    jumps_left: dict[int, int] = {}
    k = steps = 0
    landed = False
    while k < len(items) and not landed:
        steps += 1
        if steps > MAX_MISSION_STEPS:
            raise EndlessMission(f"the mission repeats for more than {MAX_MISSION_STEPS} items")
        item = items[k]
        k += 1
        command = item.command
        if command == Cmd.DO_JUMP:
            seq = int(item.param1)  # mission sequence number: items[seq - 1]
            repeats = int(item.param2)
            if repeats < 0:
                raise EndlessMission(f"item {k} jumps back to item {seq} for ever (DO_JUMP -1)")
            left = jumps_left.setdefault(k, repeats)
            if left > 0 and 1 <= seq <= len(items):
                jumps_left[k] = left - 1
                k = seq - 1
            continue
        if command == Cmd.DO_CHANGE_SPEED and item.param2 > 0:
            cost.profile = replace(cost.profile, cruise_speed_mps=float(item.param2))
            continue
        if command == Cmd.NAV_LOITER_UNLIM:
            raise EndlessMission(f"item {k} loiters without end (NAV_LOITER_UNLIM)")
        if command == Cmd.NAV_RETURN_TO_LAUNCH:
            break
        if command not in NAV_COMMANDS:
            continue
        to_lat, to_lon = (item.lat_deg, item.lon_deg)
        if to_lat == 0.0 and to_lon == 0.0:  # ArduPilot: "here"
            to_lat, to_lon = lat, lon
        to_alt = alt if command == Cmd.NAV_LAND else item.alt_m
        cost.leg(distance_m(lat, lon, to_lat, to_lon), to_alt - alt)
        lat, lon, alt = to_lat, to_lon, to_alt
        if command in (Cmd.NAV_WAYPOINT, Cmd.NAV_LOITER_TIME):  # param1: the hold [s]
            cost.hover(max(item.param1, 0.0))
        elif command == Cmd.NAV_LOITER_TURNS:
            turns, radius = abs(item.param1), abs(item.param3)
            cost.moving(turns * 2 * math.pi * radius / profile.orbit_speed_mps)
        elif command == Cmd.NAV_LAND:
            cost.leg(0.0, -alt)
            alt = 0.0
            landed = True
    if not landed:  # RTL: home at the altitude it has, then down
        cost.profile = profile
        cost.leg(distance_m(lat, lon, *home), 0.0)
        cost.leg(0.0, -alt)
    cost.profile = profile
    return cost
