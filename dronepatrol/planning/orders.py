"""Flight orders made safe: a goto, orbit or return home routed round the no-fly zones.

An order names a fleet operation (:mod:`dronepatrol.mavlink.operations`) and its
arguments as an operator gave them; :func:`route_order` turns it into what the
vehicle flies, given the :class:`~dronepatrol.planning.airspace.Airspace`, the
vehicle's snapshot and the camera's range:

* ``fly_route`` (a goto) ``[lat, lon, alt_m]``: to the place along the shortest
  path that keeps out; a place inside a zone (or its margin) is watched from
  the nearest safe vantage outside, camera on it (ROI), or refused as
  :class:`Unflyable` when that vantage is beyond camera range;
* ``orbit_via`` (an orbit) ``[lat, lon, alt_m, radius_m]``: to the circle along
  a clear path; a circle that touches a zone is :class:`Unflyable`;
* ``return_home`` ``[]``: the routed way home (the autopilot's own RTL flies a
  straight line, through a zone if one is in the way);
* ``resume`` ``[seq?]``: the airspace goes along, so that the way back to the
  mission's next place goes round the zones (AUTO flies a straight line to it
  from wherever a goto left the vehicle); the vehicle's mission is read then;
* ``safe_arm``/``safe_takeoff``: the zones join the vehicle's fence.

Every other operation passes unchanged. :data:`ORDERS` gives the orders taken
by name from outside the control app (the city bus), with their argument
ranges, and :func:`parse_order` checks arguments against them. Pure: no I/O.

>>> parse_order("goto", [-35.36, 149.16, 30])
('fly_route', [-35.36, 149.16, 30.0])
>>> parse_order("orbit", [-35.36, 149.16, 300, 50])
Traceback (most recent call last):
...
dronepatrol.planning.orders.BadOrder: orbit: alt_m must be 2..120 [m above home], got 300
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from dronepatrol.mission import LatLon
from dronepatrol.planning.airspace import Airspace, NoSafeVantage, Vantage
from dronepatrol.state import VehicleSnapshot

MIN_ALT_M = 2.0
"""Lowest altitude an order may ask for [m above home]."""

MAX_ALT_M = 120.0
"""Highest altitude an order may ask for [m above home] (the open category's ceiling)."""

MIN_ORBIT_RADIUS_M, MAX_ORBIT_RADIUS_M = 5.0, 500.0
"""Orbit radius an order may ask for [m]."""

CAMERA_RANGE_M = 300.0
"""Farthest a drone watches a place from when it may not fly over it [m]: at 60 m up the
camera still makes out people and vehicles at this slant range."""


class OrderRefused(ValueError):
    """The vehicle cannot be sent this way now; the message says why and what to do."""


class Unflyable(OrderRefused):
    """The place can never be flown safely: inside a no-fly zone with no safe vantage
    within camera range, or an orbit whose circle would enter one."""


class BadOrder(OrderRefused):
    """The order is malformed: an unknown name, or an argument missing or out of range."""


@dataclass(frozen=True)
class Argument:
    """One argument of an order: its name and allowed range [its unit]."""

    name: str
    low: float
    high: float
    unit: str


@dataclass(frozen=True)
class OrderShape:
    """An order taken by name: the fleet operation it runs and its arguments in order."""

    operation: str
    arguments: tuple[Argument, ...] = ()


_LAT = Argument("lat", -90.0, 90.0, "deg")
_LON = Argument("lon", -180.0, 180.0, "deg")
_ALT = Argument("alt_m", MIN_ALT_M, MAX_ALT_M, "m above home")
_RADIUS = Argument("radius_m", MIN_ORBIT_RADIUS_M, MAX_ORBIT_RADIUS_M, "m")

ORDERS: dict[str, OrderShape] = {
    "rtl": OrderShape("return_home"),
    "land": OrderShape("land"),
    "pause": OrderShape("pause"),
    "resume": OrderShape("resume"),
    "goto": OrderShape("fly_route", (_LAT, _LON, _ALT)),
    "orbit": OrderShape("orbit_via", (_LAT, _LON, _ALT, _RADIUS)),
}
"""Orders taken by name (the control app's command names), the fleet operation each runs
and its arguments, as the app's own flight commands take them."""


def parse_order(name: str, arguments: Sequence[Any]) -> tuple[str, list[float]]:
    """The fleet operation and checked arguments of order ``name``; BadOrder says what is wrong.

    Arguments are numbers in the order of :data:`ORDERS` (booleans, text, NaN
    and values out of range are refused, naming the argument and its range).
    """
    shape = ORDERS.get(name)
    if shape is None:
        raise BadOrder(f"no order named {name!r}; known: {', '.join(sorted(ORDERS))}")
    wanted = [a.name for a in shape.arguments]
    if len(arguments) != len(wanted):
        takes = f"[{', '.join(wanted)}]" if wanted else "no arguments"
        raise BadOrder(f"{name}: takes {takes}, got {len(arguments)} argument(s)")
    checked = []
    for spec, value in zip(shape.arguments, arguments, strict=True):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise BadOrder(f"{name}: {spec.name} must be a number [{spec.unit}], got {value!r:.40}")
        if not (math.isfinite(value) and spec.low <= value <= spec.high):
            raise BadOrder(
                f"{name}: {spec.name} must be {spec.low:g}..{spec.high:g} [{spec.unit}], "
                f"got {value:g}"
            )
        checked.append(float(value))
    return shape.operation, checked


@dataclass(frozen=True)
class RoutedOrder:
    """An order as the vehicle flies it, and what the operator is told.

    Attributes:
        operation: the fleet operation.
        arguments: its arguments, the route and camera target put in.
        route: the path flown round the no-fly zones, (lat, lon) [deg] from the
            vehicle on (None: the order flies no path of ours).
        watch: where a goto watches the place from (None for other orders).
    """

    operation: str
    arguments: list[Any]
    route: list[LatLon] | None = None
    watch: Vantage | None = field(default=None)

    def told(self) -> dict[str, Any]:
        """What to tell the operator: ``route`` ([lat, lon] corners) and ``watch``, if any."""
        told: dict[str, Any] = {}
        if self.route is not None:
            told["route"] = [list(p) for p in self.route]
        if self.watch is not None:
            told["watch"] = self.watch.as_dict()
        return told


def route_order(
    airspace: Airspace,
    snapshot: VehicleSnapshot,
    operation: str,
    arguments: Sequence[Any],
    camera_range_m: float,
) -> RoutedOrder:
    """``operation`` with ``arguments`` as flown round the no-fly zones (see the module doc).

    Args:
        airspace: the no-fly zones and their margin.
        snapshot: the vehicle now (its position and home).
        operation: the fleet operation (``fly_route``, ``orbit_via``, ``return_home``...).
        arguments: as the operator gave them (``[lat, lon, alt_m]`` for a goto).
        camera_range_m: farthest a goto's vantage may be from the place [m].

    Raises:
        Unflyable: the place can never be flown safely.
        OrderRefused: no flyable path from where the vehicle is now.
    """
    arguments = list(arguments)
    if operation in ("safe_arm", "safe_takeoff"):  # the no-fly zones join the vehicle's fence
        return RoutedOrder(operation, [*arguments, list(airspace.fence().fence_items())])
    if operation == "resume" and airspace.zones:  # the way back is routed when flown
        return RoutedOrder(operation, [arguments[0] if arguments else None, airspace])
    if operation not in ("fly_route", "orbit_via", "return_home"):
        return RoutedOrder(operation, arguments)
    here = snapshot.position
    if operation == "return_home":
        home = snapshot.home
        if home is None or here is None:  # nothing known to route with: the autopilot's RTL
            return RoutedOrder(operation, [[]])
        route = airspace.route_home((here.lat_deg, here.lon_deg), (home.lat_deg, home.lon_deg))
        if route is None:
            raise OrderRefused(
                "no flyable route home round the no-fly zones: land or fly it by hand"
            )
        return RoutedOrder(operation, [route], route)
    if here is None:
        raise OrderRefused("the vehicle's position is not known yet: wait for its GPS")
    start = (here.lat_deg, here.lon_deg)
    if operation == "orbit_via":
        lat, lon, alt, radius = arguments
        zone = airspace.zone_at(lat, lon)
        if zone is not None or not airspace.circle_is_clear(lat, lon, radius):
            where = f"the no-fly zone {zone.name or zone.id!r}" if zone else "a no-fly zone"
            raise Unflyable(
                f"an orbit of {radius:g} m round that place would enter {where} or its "
                "margin: send the drone there with goto to watch it from outside"
            )
        route = airspace.route_to_circle(start, (lat, lon), radius)
        if route is None:
            raise OrderRefused("no flyable route to that place round the no-fly zones")
        return RoutedOrder(operation, [route, lat, lon, alt, radius], route)
    lat, lon, alt = arguments
    try:
        vantage = airspace.vantage(lat, lon, camera_range_m)
    except NoSafeVantage as exc:
        raise Unflyable(str(exc)) from None
    route = airspace.route(start, (vantage.lat_deg, vantage.lon_deg))
    if route is None:
        raise OrderRefused("no flyable route to that place round the no-fly zones")
    look_at = (lat, lon) if vantage.from_outside else None
    return RoutedOrder(operation, [route, alt, -1.0, look_at], route, vantage)
