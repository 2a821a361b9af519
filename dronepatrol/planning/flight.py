"""Flight time and battery energy of a path, from the drone profile.

Energy is counted as equivalent hover time (see :class:`DroneProfile`). A leg
from one 3-D position to the next takes the longer of its horizontal time at
cruise speed and its vertical time at the climb or descent rate; climbing
costs the climb power ratio, descending the descent ratio.
"""

from __future__ import annotations

from dataclasses import dataclass

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
