"""Fence avoidance of the simulated copter: ArduCopter's AC_Avoid with AVOID_ENABLE's fence bit.

With AVOID_ENABLE bit 0 (ArduCopter's default 3 has it) and the fence
enabled, the velocity a pilot or a GUIDED velocity target asks for is cut
so the copter stops FENCE_MARGIN inside the circle fence, inside each
inclusion polygon and circle and outside each exclusion zone, and below
FENCE_ALT_MAX less FENCE_MARGIN (AC_Avoid::adjust_velocity,
adjust_velocity_z), braking at no more than 1 m/s/s
(AC_AVOID_ACCEL_CMSS_MAX). With AVOID_BEHAVE 0 (slide) only the part of the
velocity toward a boundary is cut: the copter slides along the fence.
Checked against real ArduCopter 4.7 SITL: 8 m/s north toward a 60 m circle
fence, it slows from about 30 m and stops at 58 m. (Held at the margin,
SITL later crept through and its fence action took it home; that creep is
not modelled.)

AC_Avoid acts where a mode calls it: GUIDED velocity control and the climb
rate of LOITER, ALT_HOLD and POSHOLD. Position targets (GUIDED goto, AUTO
waypoints, RTL) are not cut: a GUIDED destination outside the fence is
refused (check_destination_within_fence), an AUTO waypoint outside it is
flown into the breach and the fence action follows.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from dronepatrol.sitl.safety import FENCE_ALT_MAX, FENCE_CIRCLE, FENCE_POLYGON, Zone

if TYPE_CHECKING:
    from dronepatrol.sitl.copter import SimCopter

AVOID_STOP_AT_FENCE = 1
"""AVOID_ENABLE bit: stop at the fence (AC_AVOID_STOP_AT_FENCE)."""
POS_XY_P = 1.0
"""PSC_POSXY_P, the gain of AC_Avoid's stopping speed [1/s]."""
POS_Z_P = 1.0
"""PSC_POSZ_P [1/s]."""
ACCEL_MAX_MSS = 1.0
"""AC_AVOID_ACCEL_CMSS_MAX: the deceleration AC_Avoid plans with, at most [m/s/s]."""


def max_speed(distance_m: float, kp: float, accel_mss: float) -> float:
    """AC_Avoid::get_max_speed: sqrt_controller's speed that still stops in ``distance_m``."""
    if distance_m <= 0:
        return 0.0
    linear = accel_mss / (kp * kp)
    if distance_m <= linear:
        return kp * distance_m
    return math.sqrt(2.0 * accel_mss * (distance_m - linear / 2.0))


def _limit_toward(
    vn: float, ve: float, normal: tuple[float, float], room_m: float, accel: float
) -> tuple[float, float]:
    """Cut the part of (vn, ve) along the unit ``normal`` to what stops within ``room_m``."""
    along = vn * normal[0] + ve * normal[1]
    if along <= 0:
        return vn, ve
    limit = max_speed(room_m, POS_XY_P, accel)
    if along <= limit:
        return vn, ve
    cut = along - limit
    return vn - cut * normal[0], ve - cut * normal[1]


Vertex = tuple[float, float]


def _edges(polygon: list[Vertex]) -> list[tuple[Vertex, Vertex]]:
    return [(polygon[i], polygon[(i + 1) % len(polygon)]) for i in range(len(polygon))]


def _nearest_on_segment(
    pn: float, pe: float, a: tuple[float, float], b: tuple[float, float]
) -> tuple[float, float]:
    dn, de = b[0] - a[0], b[1] - a[1]
    length2 = dn * dn + de * de
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((pn - a[0]) * dn + (pe - a[1]) * de) / length2))
    return a[0] + t * dn, a[1] + t * de


def adjust_velocity(c: SimCopter, vn: float, ve: float, vu: float) -> tuple[float, float, float]:
    """The velocity [m/s north, east, up] AC_Avoid lets through at the copter's position."""
    p = c.params
    if not int(p["AVOID_ENABLE"]) & AVOID_STOP_AT_FENCE or not c.home_set:
        return vn, ve, vu
    fences = c.enabled_fences()
    if not fences:
        return vn, ve, vu
    margin = max(0.0, p["FENCE_MARGIN"])
    limits = c.limits()
    accel_xy = min(limits.accel_xy_mss, ACCEL_MAX_MSS)
    accel_z = min(limits.accel_z_mss, ACCEL_MAX_MSS)
    air = c.air
    home = c.home_local
    pn, pe = air.north_m, air.east_m
    if fences & FENCE_ALT_MAX and vu > 0:
        room = home.up + p["FENCE_ALT_MAX"] - margin - air.up_m
        vu = min(vu, max_speed(room, POS_Z_P, accel_z))
    if fences & FENCE_CIRCLE:
        dn, de = pn - home.north, pe - home.east
        dist = math.hypot(dn, de)
        if dist > 0.01:
            room = p["FENCE_RADIUS"] - margin - dist
            vn, ve = _limit_toward(vn, ve, (dn / dist, de / dist), room, accel_xy)
    if fences & FENCE_POLYGON:
        for zone in c.fence_zones:
            vn, ve = _limit_zone(zone, pn, pe, vn, ve, margin, accel_xy)
    return vn, ve, vu


def _limit_zone(
    zone: Zone, pn: float, pe: float, vn: float, ve: float, margin: float, accel: float
) -> tuple[float, float]:
    """AC_Avoid::adjust_velocity_polygon / _circle for one inclusion or exclusion zone."""
    inside = zone.contains(pn, pe)
    if zone.inclusion != inside:
        return vn, ve  # already breached: the fence action, not avoidance, deals with it
    if zone.polygon is None:
        assert zone.centre is not None
        cn, ce = zone.centre
        dn, de = pn - cn, pe - ce
        dist = math.hypot(dn, de)
        if dist < 0.01:
            return vn, ve
        outward = (dn / dist, de / dist)
        if zone.inclusion:
            return _limit_toward(vn, ve, outward, zone.radius_m - margin - dist, accel)
        inward = (-outward[0], -outward[1])
        return _limit_toward(vn, ve, inward, dist - zone.radius_m - margin, accel)
    for a, b in _edges(zone.polygon):
        qn, qe = _nearest_on_segment(pn, pe, a, b)
        dn, de = qn - pn, qe - pe
        dist = math.hypot(dn, de)
        if dist < 1e-6:
            continue
        vn, ve = _limit_toward(vn, ve, (dn / dist, de / dist), dist - margin, accel)
    return vn, ve
