"""Energy rules: a vehicle's pack and consumption, what a sortie needs, what getting home needs.

Pure functions and small value types (no MAVLink, no threads), so the planner,
the scheduler, dispatch and the in-flight watch all count charge the same way:

* a vehicle's :class:`PackEnergy` is its pack's capacity (ArduPilot's
  ``BATT_CAPACITY`` [mAh]) and the current it draws hovering and cruising,
  expressed as [mAh/min] and learned in flight (:class:`ConsumptionLearner`);
* a planned sortie's energy is in hover-equivalent seconds
  (:class:`dronepatrol.planning.DroneProfile`); with the vehicle's hover
  consumption it becomes mAh (:func:`sortie_need_mah`);
* a sortie is refused before upload when it needs more than the pack holds now,
  with the reserve kept untouched (:func:`check_sortie`);
* in flight, the charge to get home is distance over ground speed home (wind
  from the vehicle's own estimate) times cruise consumption, plus the descent
  (:func:`return_need_mah`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from dronepatrol.planning import DroneProfile

DEFAULT_RESERVE_FRAC = 0.2
"""Share of the pack's capacity no plan may use and every return must keep [0..1]."""

HOVER_MAX_SPEED_MPS = 1.0
"""Below this ground speed (and nearly level) a sample counts as hover [m/s]."""
CRUISE_MIN_SPEED_MPS = 3.0
"""Above this ground speed (and nearly level) a sample counts as cruise [m/s]."""
LEVEL_MAX_CLIMB_MPS = 0.5
"""Samples climbing or descending faster than this teach neither figure [m/s]."""
SMOOTHING_SAMPLES = 40
"""Samples over which learned consumption is smoothed (exponentially, after a plain mean)."""
MIN_LEARNED_SAMPLES = 20
"""Samples a figure needs before it replaces the profile's assumption."""


class EnergyRefusal(Exception):
    """A sortie or dispatch does not fit the vehicle's charge; the message says by how much."""


@dataclass(frozen=True)
class PackEnergy:
    """One vehicle's pack and consumption.

    Attributes:
        vehicle_id: the fleet's id.
        capacity_mah: the pack's capacity [mAh] (``BATT_CAPACITY``), None when unknown.
        hover_mah_per_min, cruise_mah_per_min: consumption [mAh/min], learned or assumed.
        learned_hover, learned_cruise: telemetry samples behind each figure
            (0: the profile's assumption).
    """

    vehicle_id: str
    capacity_mah: float | None
    hover_mah_per_min: float
    cruise_mah_per_min: float
    learned_hover: int = 0
    learned_cruise: int = 0

    @property
    def learned(self) -> bool:
        """True when a figure comes from this vehicle's own flights."""
        return max(self.learned_hover, self.learned_cruise) >= MIN_LEARNED_SAMPLES

    def profile(
        self, base: DroneProfile, reserve_frac: float = DEFAULT_RESERVE_FRAC
    ) -> DroneProfile:
        """``base`` with this vehicle's endurance, cruise power ratio and reserve.

        >>> pack = PackEnergy("S01-1", 3300.0, 440.0, 396.0)
        >>> p = pack.profile(DroneProfile())
        >>> round(p.hover_endurance_s), round(p.cruise_power_ratio, 2), p.usable_battery_frac
        (450, 0.9, 0.8)
        """
        if not self.capacity_mah or self.hover_mah_per_min <= 0:
            return replace(base, usable_battery_frac=1.0 - reserve_frac)
        return replace(
            base,
            hover_endurance_s=self.capacity_mah / self.hover_mah_per_min * 60.0,
            cruise_power_ratio=self.cruise_mah_per_min / self.hover_mah_per_min,
            usable_battery_frac=1.0 - reserve_frac,
        )

    def as_dict(self) -> dict[str, float | str | bool | None]:
        return {
            "vehicle": self.vehicle_id,
            "capacity_mah": self.capacity_mah,
            "hover_mah_per_min": round(self.hover_mah_per_min, 1),
            "cruise_mah_per_min": round(self.cruise_mah_per_min, 1),
            "learned_hover_samples": self.learned_hover,
            "learned_cruise_samples": self.learned_cruise,
            "learned": self.learned,
        }


def assumed_consumption(profile: DroneProfile, capacity_mah: float) -> tuple[float, float]:
    """(hover, cruise) [mAh/min] the profile implies for a pack of ``capacity_mah``.

    Until a vehicle has flown, the planner's own figures stand: a full pack
    lasts ``hover_endurance_s`` hovering.

    >>> assumed_consumption(DroneProfile(), 3000.0)
    (100.0, 90.0)
    """
    hover = capacity_mah / (profile.hover_endurance_s / 60.0)
    return hover, hover * profile.cruise_power_ratio


@dataclass
class ConsumptionLearner:
    """Learns hover and cruise consumption [mAh/min] from the current drawn in flight.

    Current [A] is a rate in the vehicle's own time, so the figures hold
    whatever the telemetry rate (or a simulator's speed-up). Each figure is
    the plain mean of its first :data:`SMOOTHING_SAMPLES` samples, then an
    exponential average over that many, so one gust or climb moves it little
    and a new pack or payload shows within a few minutes of flight.

    >>> learner = ConsumptionLearner()
    >>> for _ in range(30):
    ...     learner.observe(28.0, 0.2, 0.0)   # hovering: 28 A
    ...     learner.observe(33.0, 10.0, 0.1)  # cruising at 10 m/s: 33 A
    ...     learner.observe(40.0, 0.0, 2.5)   # climbing: teaches neither
    >>> round(learner.hover_mah_per_min), round(learner.cruise_mah_per_min)
    (467, 550)
    """

    hover_mah_per_min: float | None = None
    cruise_mah_per_min: float | None = None
    hover_samples: int = 0
    cruise_samples: int = 0

    def observe(self, current_a: float, groundspeed_mps: float, climb_mps: float) -> None:
        """One airborne telemetry sample: ``current_a`` [A] drawn at that speed and climb."""
        if not (math.isfinite(current_a) and current_a > 0):
            return
        if abs(climb_mps) > LEVEL_MAX_CLIMB_MPS:
            return
        rate = current_a * 1000.0 / 60.0  # A -> mAh/min
        if groundspeed_mps <= HOVER_MAX_SPEED_MPS:
            self.hover_samples += 1
            self.hover_mah_per_min = _smooth(self.hover_mah_per_min, rate, self.hover_samples)
        elif groundspeed_mps >= CRUISE_MIN_SPEED_MPS:
            self.cruise_samples += 1
            self.cruise_mah_per_min = _smooth(self.cruise_mah_per_min, rate, self.cruise_samples)

    def pack(
        self, vehicle_id: str, capacity_mah: float | None, profile: DroneProfile
    ) -> PackEnergy:
        """The vehicle's figures: learned ones where there are enough samples, else assumed.

        With only one figure learned, the other follows the profile's cruise power ratio.
        """
        base_capacity = capacity_mah or 0.0
        hover, cruise = assumed_consumption(profile, base_capacity) if base_capacity else (0.0, 0.0)
        hover_known = self.hover_mah_per_min is not None and (
            self.hover_samples >= MIN_LEARNED_SAMPLES
        )
        cruise_known = self.cruise_mah_per_min is not None and (
            self.cruise_samples >= MIN_LEARNED_SAMPLES
        )
        if hover_known:
            hover = float(self.hover_mah_per_min)  # type: ignore[arg-type]
        if cruise_known:
            cruise = float(self.cruise_mah_per_min)  # type: ignore[arg-type]
        if hover_known and not cruise_known:
            cruise = hover * profile.cruise_power_ratio
        elif cruise_known and not hover_known:
            hover = cruise / profile.cruise_power_ratio
        return PackEnergy(
            vehicle_id,
            capacity_mah,
            hover,
            cruise,
            self.hover_samples if hover_known else 0,
            self.cruise_samples if cruise_known else 0,
        )

    def as_dict(self) -> dict[str, float | int | None]:
        return {
            "hover_mah_per_min": self.hover_mah_per_min,
            "cruise_mah_per_min": self.cruise_mah_per_min,
            "hover_samples": self.hover_samples,
            "cruise_samples": self.cruise_samples,
        }

    @classmethod
    def from_dict(cls, data: dict) -> ConsumptionLearner:
        """The learner kept by :meth:`as_dict` (unusable values are dropped, not trusted)."""

        def number(key: str) -> float | None:
            value = data.get(key)
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            return float(value) if ok and math.isfinite(value) and value >= 0 else None

        return cls(
            number("hover_mah_per_min"),
            number("cruise_mah_per_min"),
            int(number("hover_samples") or 0),
            int(number("cruise_samples") or 0),
        )


def _smooth(old: float | None, sample: float, count: int) -> float:
    """Running mean for the first :data:`SMOOTHING_SAMPLES`, exponential average after."""
    if old is None:
        return sample
    return old + (sample - old) / min(count, SMOOTHING_SAMPLES)


def available_mah(
    capacity_mah: float | None, consumed_mah: float | None, remaining_pct: float | None
) -> float | None:
    """Charge left in the pack [mAh], as ArduPilot's battery monitor counts it.

    Remaining % (SYS_STATUS, the fresher report) decides; consumed mAh
    (BATTERY_STATUS, once a second) refines it when the two agree to within
    1.5 % of the capacity. Right after a pack swap (MAV_CMD_BATTERY_RESET) they
    disagree until BATTERY_STATUS catches up, and the stale count must not win.

    >>> available_mah(3300, 1000, 70), available_mah(3300, 2310, 100), available_mah(None, 10, 50)
    (2300.0, 3300.0, None)
    >>> available_mah(3300, 1000, None)
    2300.0
    """
    if not capacity_mah:
        return None
    capacity = float(capacity_mah)
    by_count = None
    if consumed_mah is not None and math.isfinite(consumed_mah):
        by_count = max(0.0, capacity - consumed_mah)
    if remaining_pct is not None and math.isfinite(remaining_pct):
        by_pct = max(0.0, capacity * remaining_pct / 100.0)
        if by_count is not None and abs(by_count - by_pct) <= 0.015 * capacity:
            return by_count
        return by_pct
    return by_count


def endurance_left_s(
    pack: PackEnergy,
    consumed_mah: float | None,
    remaining_pct: float | None,
    reserve_frac: float = DEFAULT_RESERVE_FRAC,
) -> float | None:
    """Cruise flight left before the pack reaches its reserve [s]; None when unknown.

    The charge left (:func:`available_mah`) less the reserve every return keeps,
    at the vehicle's cruise consumption: what a fleet card shows as "min left".

    >>> pack = PackEnergy("S01-1", 3300.0, 440.0, 396.0)
    >>> round(endurance_left_s(pack, None, 50.0) / 60, 1)  # (1650 - 660) mAh / 396 mAh/min
    2.5
    >>> endurance_left_s(pack, None, 15.0), endurance_left_s(PackEnergy("x", None, 1, 1), 0, 90)
    (0.0, None)
    """
    available = available_mah(pack.capacity_mah, consumed_mah, remaining_pct)
    if available is None or not pack.capacity_mah or pack.cruise_mah_per_min <= 0:
        return None
    usable = max(0.0, available - reserve_frac * pack.capacity_mah)
    return usable / pack.cruise_mah_per_min * 60.0


def sortie_need_mah(energy_frac: float, profile: DroneProfile, pack: PackEnergy) -> float:
    """Charge [mAh] a planned sortie uses (its hover-equivalent time at the vehicle's hover rate).

    ``energy_frac`` is the planner's share of a full battery under ``profile``.

    >>> pack = PackEnergy("S01-1", 3300.0, 440.0, 396.0)
    >>> round(sortie_need_mah(0.5, DroneProfile(hover_endurance_s=600.0), pack))
    2200
    """
    hover_equivalent_s = energy_frac * profile.hover_endurance_s
    return hover_equivalent_s / 60.0 * pack.hover_mah_per_min


def check_sortie(
    vehicle_name: str,
    need_mah: float,
    available: float | None,
    capacity_mah: float | None,
    reserve_frac: float = DEFAULT_RESERVE_FRAC,
) -> float:
    """Refuse a sortie that does not fit the charge left; returns the need with reserve [mAh].

    >>> check_sortie("S01-1", 2000, 3200, 4000)
    2800.0
    >>> try:
    ...     check_sortie("S01-1", 4240, 3100, 3300)
    ... except EnergyRefusal as refusal:
    ...     print(refusal)
    sortie needs 4,900 mAh with 20 % reserve; S01-1 has 3,100 mAh
    """
    if available is None or not capacity_mah:
        raise EnergyRefusal(
            f"{vehicle_name} reports no battery capacity or charge (BATT_CAPACITY, "
            "BATTERY_STATUS): cannot tell whether the sortie fits"
        )
    with_reserve = need_mah + reserve_frac * capacity_mah
    if with_reserve > available:
        raise EnergyRefusal(
            f"sortie needs {with_reserve:,.0f} mAh with {reserve_frac * 100:.0f} % reserve; "
            f"{vehicle_name} has {available:,.0f} mAh"
        )
    return with_reserve


def headwind_ground_speed(
    airspeed_mps: float, track_deg: float, wind_speed_mps: float, wind_from_deg: float
) -> float:
    """Ground speed [m/s] along ``track_deg`` at ``airspeed_mps`` in the given wind.

    ``wind_from_deg`` is where the wind blows from (ArduPilot's WIND.direction).
    The crosswind is crabbed into; a wind stronger than the airspeed leaves a
    crawl of 0.5 m/s so the time home stays finite but very long.

    >>> headwind_ground_speed(10, 0, 4, 0), headwind_ground_speed(10, 0, 4, 180)
    (6.0, 14.0)
    >>> round(headwind_ground_speed(10, 90, 6, 0), 2)
    8.0
    """
    angle = math.radians(wind_from_deg - track_deg)
    head = wind_speed_mps * math.cos(angle)
    cross = wind_speed_mps * math.sin(angle)
    if abs(cross) >= airspeed_mps:
        return 0.5
    return max(0.5, math.sqrt(airspeed_mps**2 - cross**2) - head)


def return_need_mah(
    distance_home_m: float,
    alt_rel_m: float,
    pack: PackEnergy,
    speed_mps: float,
    track_home_deg: float = 0.0,
    wind_speed_mps: float = 0.0,
    wind_from_deg: float = 0.0,
    descent_rate_mps: float = 1.5,
    turn_s: float = 0.0,
    loiter_s: float = 0.0,
) -> float:
    """Charge [mAh] to fly home and land, the way ArduCopter's RTL does it.

    Its phases: stop and turn for home (``turn_s`` [s]: braking and
    accelerating again at WPNAV_ACCEL), cruise home against the wind at the
    vehicle's cruise consumption, loiter over home (``loiter_s``,
    RTL_LOIT_TIME) and descend (``descent_rate_mps`` on average) at its hover
    consumption. The headwind is counted as ground speed lost: ArduCopter
    holds its waypoint speed where it can and pays in power instead, which
    this over-estimates, so the drone turns home early rather than late.

    >>> pack = PackEnergy("S01-1", 3300.0, 480.0, 420.0)
    >>> round(return_need_mah(1200, 60, pack, 10.0, 0.0, 4.0, 0.0))
    1720
    >>> round(return_need_mah(1200, 60, pack, 10.0, 0.0, 4.0, 0.0, turn_s=8, loiter_s=5))
    1824
    """
    ground_speed = headwind_ground_speed(speed_mps, track_home_deg, wind_speed_mps, wind_from_deg)
    cruise_min = distance_home_m / ground_speed / 60.0
    hover_min = (max(0.0, alt_rel_m) / descent_rate_mps + turn_s + loiter_s) / 60.0
    return cruise_min * pack.cruise_mah_per_min + hover_min * pack.hover_mah_per_min
