"""Geofence and battery failsafe logic of the simulated copter (AC_Fence, AP_BattMonitor).

Fence: FENCE_TYPE bits 1 max altitude, 2 circle (FENCE_RADIUS around home),
4 polygons (inclusion and exclusion polygons and circles uploaded with the
fence mission type). A breach is reported once per fence as ArduPilot does
("Polygon fence breached") and cleared when the vehicle is back inside.

Battery: low and critical levels by voltage (held for BATT_LOW_TIMER
seconds) or by remaining capacity (BATT_LOW_MAH / BATT_CRT_MAH); each level
triggers once, with ArduPilot's "Battery 1 is low 10.40V used 2100 mAh" text,
until MAV_CMD_BATTERY_RESET sets the level to what the battery shows then.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from dronepatrol.sitl.mission_protocol import Item

FENCE_ALT_MAX = 1
FENCE_CIRCLE = 2
FENCE_POLYGON = 4
FENCE_ALT_MIN = 8
_FENCE_NAMES = (
    (FENCE_ALT_MAX, "Max Alt"),
    (FENCE_CIRCLE, "Circle"),
    (FENCE_POLYGON, "Polygon"),
    (FENCE_ALT_MIN, "Min Alt"),
)


def fence_names(mask: int) -> str:
    """AC_Fence::get_fence_names: "Polygon fence", "Max Alt and Circle fences"."""
    names = [name for bit, name in _FENCE_NAMES if mask & bit]
    if not names:
        return ""
    text = names[0]
    for i, name in enumerate(names[1:], start=1):
        text += (" and " if i == len(names) - 1 else ", ") + name
    return text + (" fences" if len(names) > 1 else " fence")


def point_in_polygon(x: float, y: float, poly: list[tuple[float, float]]) -> bool:
    """Even-odd rule; ``poly`` vertices as (x, y) without repeating the first."""
    inside = False
    j = len(poly) - 1
    for i in range(len(poly)):
        xi, yi = poly[i]
        xj, yj = poly[j]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


@dataclass
class Zone:
    """One fence zone in local metres: a polygon or a circle, inclusion or exclusion."""

    inclusion: bool
    polygon: list[tuple[float, float]] | None = None  # (north, east)
    centre: tuple[float, float] | None = None
    radius_m: float = 0.0

    def contains(self, north: float, east: float) -> bool:
        if self.polygon is not None:
            return point_in_polygon(north, east, self.polygon)
        assert self.centre is not None
        return math.hypot(north - self.centre[0], east - self.centre[1]) <= self.radius_m


def zones_from_items(items: list[Item], to_ne) -> list[Zone]:
    """Fence zones from stored fence items; ``to_ne(lat, lon)`` gives local (north, east)."""
    zones: list[Zone] = []
    i = 0
    while i < len(items):
        it = items[i]
        if it.command in (5001, 5002):
            count = int(it.param1)
            verts = [to_ne(items[j].lat_deg, items[j].lon_deg) for j in range(i, i + count)]
            zones.append(Zone(inclusion=it.command == 5001, polygon=verts))
            i += count
            continue
        if it.command in (5003, 5004):
            zones.append(
                Zone(
                    inclusion=it.command == 5003,
                    centre=to_ne(it.lat_deg, it.lon_deg),
                    radius_m=it.param1,
                )
            )
        i += 1
    return zones


def polygon_breached(zones: list[Zone], north: float, east: float) -> bool:
    """Outside any inclusion zone or inside any exclusion zone (AC_PolyFence_loader)."""
    for zone in zones:
        inside = zone.contains(north, east)
        if zone.inclusion and not inside:
            return True
        if not zone.inclusion and inside:
            return True
    return False


def _segment_distance(
    px: float, py: float, a: tuple[float, float], b: tuple[float, float]
) -> float:
    ax, ay = a
    bx, by = b
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length2))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def _zone_boundary_distance(zone: Zone, north: float, east: float) -> float:
    if zone.polygon is not None:
        poly = zone.polygon
        return min(
            _segment_distance(north, east, poly[i], poly[(i + 1) % len(poly)])
            for i in range(len(poly))
        )
    assert zone.centre is not None
    return abs(math.hypot(north - zone.centre[0], east - zone.centre[1]) - zone.radius_m)


def polygon_breach_distance(zones: list[Zone], north: float, east: float) -> float:
    """Distance [m] to get back inside: the farthest of the zones currently breached."""
    worst = 0.0
    for zone in zones:
        inside = zone.contains(north, east)
        if inside != zone.inclusion:
            worst = max(worst, _zone_boundary_distance(zone, north, east))
    return worst


class BatteryFailsafe:
    """AP_BattMonitor's failsafe levels for battery 1."""

    NONE, LOW, CRITICAL = 0, 1, 2

    def __init__(self) -> None:
        self.level = self.NONE
        self._low_since: float | None = None
        self._crit_since: float | None = None

    def check(
        self, now: float, voltage_v: float, consumed_mah: float, params
    ) -> tuple[int, str] | None:
        """A newly reached level and its name ("low"/"critical"), or None."""
        if not params["BATT_MONITOR"]:
            return None
        level = self._current_level(now, voltage_v, consumed_mah, params)
        if level > self.level:
            self.level = level
            return level, "critical" if level == self.CRITICAL else "low"
        return None

    def reset(self, now: float, voltage_v: float, consumed_mah: float, params) -> None:
        """After MAV_CMD_BATTERY_RESET: the level the battery is at now, lower or not.

        AP_BattMonitor_Backend::reset_remaining sets the failsafe state to
        what update_failsafes finds at once (a voltage below its threshold
        for BATT_LOW_TIMER still counts), without a message; at NONE the
        failsafe may trigger again later, and arming is no longer refused.
        """
        if not params["BATT_MONITOR"]:
            self.level = self.NONE  # no monitor instance: nothing left in failsafe
            return
        self.level = self._current_level(now, voltage_v, consumed_mah, params)

    def _current_level(self, now: float, voltage_v: float, consumed_mah: float, params) -> int:
        capacity = params["BATT_CAPACITY"]
        remaining_mah = capacity - consumed_mah
        timer = params["BATT_LOW_TIMER"]

        def held(threshold: float, since: float | None) -> tuple[bool, float | None]:
            if threshold > 0 and voltage_v < threshold:
                since = now if since is None else since
                return now - since >= timer, since
            return False, None

        crit_v, self._crit_since = held(params["BATT_CRT_VOLT"], self._crit_since)
        low_v, self._low_since = held(params["BATT_LOW_VOLT"], self._low_since)
        crit_mah = params["BATT_CRT_MAH"] > 0 and remaining_mah < params["BATT_CRT_MAH"]
        low_mah = params["BATT_LOW_MAH"] > 0 and remaining_mah < params["BATT_LOW_MAH"]
        if crit_v or crit_mah:
            return self.CRITICAL
        if low_v or low_mah:
            return self.LOW
        return self.NONE
