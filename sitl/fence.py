"""The simulated copter's geofence state: breaches, breach distance and GUIDED target checks.

Geometry (polygons, circles, names) lives in :mod:`safety`; this mixin
applies FENCE_ENABLE / FENCE_TYPE / FENCE_ALT_MAX / FENCE_RADIUS to the
vehicle, as AC_Fence::check and check_destination_within_fence do.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from dronepatrol.sitl.flight import Point
from dronepatrol.sitl.mission_protocol import FENCE
from dronepatrol.sitl.safety import (
    FENCE_ALT_MAX,
    FENCE_ALT_MIN,
    FENCE_CIRCLE,
    FENCE_POLYGON,
    polygon_breach_distance,
    polygon_breached,
    zones_from_items,
)

if TYPE_CHECKING:
    pass

M = mavlink
SEV_CRITICAL = 2
SEV_WARNING = 4
SEV_NOTICE = 5
SEV_INFO = 6


class FenceMixin:
    """Fence checks of :class:`~dronepatrol.sitl.copter.SimCopter`."""

    def reload_fence(self) -> None:
        self.fence_zones = zones_from_items(self.stores[FENCE].commands(), self.to_ne)

    def fence_breach_type(self) -> int:
        if self.fence_breaches & FENCE_ALT_MAX:
            return M.FENCE_BREACH_MAXALT
        if self.fence_breaches & (FENCE_CIRCLE | FENCE_POLYGON):
            return M.FENCE_BREACH_BOUNDARY
        return M.FENCE_BREACH_NONE

    def present_fences(self) -> int:
        """AC_Fence::present: FENCE_TYPE's fences, the polygon one only once one is uploaded."""
        mask = FENCE_ALT_MAX | FENCE_CIRCLE | FENCE_ALT_MIN
        if self.fence_zones:
            mask |= FENCE_POLYGON
        return int(self.params["FENCE_TYPE"]) & mask

    def enabled_fences(self) -> int:
        """AC_Fence::get_enabled_fences: the present fences while the fence is enabled."""
        return self.present_fences() & 7 if self.params["FENCE_ENABLE"] else 0

    def destination_within_fence(self, point: Point) -> bool:
        """AC_Fence::check_destination_within_fence for a GUIDED target."""
        fences = self.enabled_fences()
        p = self.params
        home = self.home_local
        if fences & FENCE_ALT_MAX and point.up - home.up > p["FENCE_ALT_MAX"]:
            return False
        from_home_m = math.hypot(point.north - home.north, point.east - home.east)
        if fences & FENCE_CIRCLE and from_home_m > p["FENCE_RADIUS"]:
            return False
        return not (
            fences & FENCE_POLYGON and polygon_breached(self.fence_zones, point.north, point.east)
        )

    def fence_breach_distance(self, fences: int) -> float:
        """How far outside the given breached fences the vehicle is [m]."""
        p = self.params
        air = self.air
        dist = 0.0
        if fences & FENCE_ALT_MAX:
            dist = max(dist, air.up_m - self.home_local.up - p["FENCE_ALT_MAX"])
        if fences & FENCE_CIRCLE:
            home = math.hypot(
                air.north_m - self.home_local.north, air.east_m - self.home_local.east
            )
            dist = max(dist, home - p["FENCE_RADIUS"])
        if fences & FENCE_POLYGON:
            dist = max(dist, polygon_breach_distance(self.fence_zones, air.north_m, air.east_m))
        return dist

    def fence_check(self) -> int:
        """Newly breached fences (bitmask) and the breach state update."""
        p = self.params
        if not p["FENCE_ENABLE"] or not self.home_set:
            self.fence_breaches = 0
            return 0
        types = int(p["FENCE_TYPE"])
        air = self.air
        now_breached = 0
        alt_rel = air.up_m - self.home_local.up
        if types & FENCE_ALT_MAX and alt_rel >= p["FENCE_ALT_MAX"]:
            now_breached |= FENCE_ALT_MAX
        dist = math.hypot(air.north_m - self.home_local.north, air.east_m - self.home_local.east)
        if types & FENCE_CIRCLE and dist >= p["FENCE_RADIUS"]:
            now_breached |= FENCE_CIRCLE
        if types & FENCE_POLYGON and polygon_breached(self.fence_zones, air.north_m, air.east_m):
            now_breached |= FENCE_POLYGON
        new = now_breached & ~self.fence_breaches
        cleared = self.fence_breaches & ~now_breached
        self.fence_breaches = now_breached
        if new:
            self.fence_breach_count += 1
            self.fence_breach_time = self.now
        if cleared and not now_breached and not self.landed:
            # Copter::fence_checks_async: said only in the air (a fence replaced on
            # the ground clears a breach silently)
            self.text(SEV_NOTICE, "Fence breach cleared")
        return new
