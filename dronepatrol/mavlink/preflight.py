"""Readiness and preflight checks before a takeoff.

Readiness is what the autopilot needs to arm (GPS fix, EKF position, its own
prearm checks); preflight checks are what a station requires on top
(battery, failsafes, fence, RTL altitude). Both report reasons in words; a
failed preflight check can be overridden only by naming it.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Sequence

from dronepatrol.mavlink.errors import (
    FlightError,
    NotReadyError,
    ParamError,
    PreflightError,
    VehicleError,
)
from dronepatrol.mavlink.readback import compare_items
from dronepatrol.mission import Cmd, Mission, MissionItem, MissionType
from dronepatrol.state import LinkState, VehicleSnapshot

FENCE_TYPE_POLYGON = 4
"""FENCE_TYPE bit that enables inclusion and exclusion polygons (AC_FENCE_TYPE_POLYGON)."""

POLYGON_VERTICES = (
    Cmd.NAV_FENCE_POLYGON_VERTEX_INCLUSION,
    Cmd.NAV_FENCE_POLYGON_VERTEX_EXCLUSION,
)

FENCE_CIRCLES = (Cmd.NAV_FENCE_CIRCLE_INCLUSION, Cmd.NAV_FENCE_CIRCLE_EXCLUSION)

CHECKS = ("battery", "gcs_failsafe", "battery_failsafe", "fence", "rtl_alt", "return_watch")
"""Names of the preflight checks, as used to override one. ``return_watch`` is the
controller's own return-home-on-charge watch in flight (:mod:`dronepatrol.energy`):
overridden, only the vehicle's failsafes bring it home."""

PATROL_SAFETY_PARAMS = {
    "FS_GCS_ENABLE": 1,  # link to the control app lost: RTL
    "BATT_FS_LOW_ACT": 2,  # battery low: RTL
    "FENCE_ENABLE": 1,
    "FENCE_TYPE": 5,  # maximum altitude and the plan's polygon (no 300 m circle round home)
    "FENCE_ALT_MAX": 120,  # [m], the legal ceiling the planner keeps to
}
"""ArduCopter parameters with which a patrol drone passes the preflight checks: the
failsafes bring it home and the plan's fence holds it (the demo's drones are set so)."""


def blocking_reasons(
    snap: VehicleSnapshot, texts: Iterable[str] = (), prearm: bool = True
) -> list[str]:
    """Why the vehicle cannot arm now (empty when it can), in the autopilot's words.

    ``prearm=False`` leaves out the autopilot's own pre-arm checks: what is left
    (link, GPS, EKF, home) is what a sortie needs before its fence can be judged.
    """
    reasons: list[str] = []
    if snap.link is not LinkState.UP:
        reasons.append(f"link {snap.link.value}")
    if snap.gps_fix_type < 3:
        reasons.append(
            f"no 3D GPS fix (fix type {snap.gps_fix_type}, {snap.gps_satellites} satellites)"
        )
    if not snap.ekf_ok:
        reasons.append("EKF has no position estimate yet")
    if prearm and not snap.prearm_ok:
        prearm_texts = [t for t in texts if t.lower().startswith(("prearm", "arm:"))]
        reasons.append("prearm checks failing" + (f": {prearm_texts[-1]}" if prearm_texts else ""))
    if snap.home is None:
        reasons.append("home position not set")
    return reasons


def wait_ready(
    vehicle,
    timeout_s: float = 120.0,
    on_reasons: Callable[[list[str]], None] | None = None,
    prearm: bool = True,
) -> VehicleSnapshot:
    """Wait until the vehicle can arm; ``on_reasons`` hears each new list of blockers.

    ``prearm=False``: wait for link, GPS, EKF and home only (see
    :func:`blocking_reasons`). Raises NotReadyError with the last reasons when
    ``timeout_s`` [s] passes.
    """
    deadline = time.monotonic() + timeout_s
    last: list[str] | None = None
    while True:
        snap = vehicle.snapshot
        reasons = blocking_reasons(snap, vehicle.telemetry.recent_statustexts(10.0), prearm)
        if not reasons:
            return snap
        if reasons != last and on_reasons is not None:
            on_reasons(reasons)
        last = reasons
        if time.monotonic() >= deadline:
            raise NotReadyError(reasons)
        with contextlib.suppress(FlightError):  # no change within 1 s: look again
            vehicle.telemetry.wait_for(
                lambda s, old=snap: s is not old, min(1.0, timeout_s), "change"
            )


def _fence_of(fence: Mission | Sequence[MissionItem] | None) -> list[MissionItem]:
    if fence is None:
        return []
    if isinstance(fence, Mission):
        return list(fence.fence_items())
    return list(fence)


def preflight_failures(
    vehicle,
    mission: Mission | Sequence[MissionItem] | None,
    min_battery_pct: float = 50.0,
    max_rtl_alt_m: float = 120.0,
) -> dict[str, str]:
    """Every failed check by name -> reason (empty when all pass).

    Parameters are read fresh from the vehicle; the fence check downloads the
    vehicle's fence and compares it with the plan's (``mission``: the mission
    whose fence it is, or the fence items themselves).
    """
    fence_items = _fence_of(mission)
    failures: dict[str, str] = {}
    snap = vehicle.snapshot

    def param(name: str) -> float | None:
        try:
            return vehicle.params.read(name)
        except (ParamError, VehicleError):
            return None

    remaining = snap.battery.remaining_pct
    if remaining is None:
        failures["battery"] = "battery level unknown"
    elif remaining < min_battery_pct:
        failures["battery"] = f"battery {remaining:.0f}% is below {min_battery_pct:.0f}%"
    fs_gcs = param("FS_GCS_ENABLE")
    if not fs_gcs:
        failures["gcs_failsafe"] = (
            "GCS failsafe disabled (FS_GCS_ENABLE=0)" if fs_gcs == 0 else "FS_GCS_ENABLE unreadable"
        )
    low_act, crt_act = param("BATT_FS_LOW_ACT"), param("BATT_FS_CRT_ACT")
    if not low_act and not crt_act:
        failures["battery_failsafe"] = (
            "battery failsafe disabled (BATT_FS_LOW_ACT=0, BATT_FS_CRT_ACT=0)"
        )
    elif low_act and not param("BATT_LOW_VOLT") and not param("BATT_LOW_MAH"):
        failures["battery_failsafe"] = (
            "battery failsafe can never trigger (BATT_LOW_VOLT=0, BATT_LOW_MAH=0): set one"
        )
    if "battery" not in failures and not param("BATT_CAPACITY"):
        failures["battery"] = "pack capacity unknown (BATT_CAPACITY=0): set the pack's mAh"
    fence_enable = param("FENCE_ENABLE")
    fence_alt_max = param("FENCE_ALT_MAX")
    fence_type = param("FENCE_TYPE")
    # AC_FENCE_TYPE_POLYGON switches every item of the polygon fence loader on or off:
    # inclusion/exclusion polygons and circles alike (AC_PolyFence_loader)
    polygons = any(item.command in (*POLYGON_VERTICES, *FENCE_CIRCLES) for item in fence_items)
    if not fence_enable:
        failures["fence"] = "geofence disabled (FENCE_ENABLE=0)"
    elif polygons and fence_type is not None and not int(fence_type) & FENCE_TYPE_POLYGON:
        failures["fence"] = (
            f"FENCE_TYPE={int(fence_type)} leaves the polygon fence (and the no-fly zones) off"
        )
    elif fence_items:
        try:
            got = vehicle.mission.download(MissionType.FENCE)
            problems = compare_items(list(fence_items), got, False, MissionType.FENCE)
        except VehicleError as exc:
            problems = [str(exc)]
        if problems:
            failures["fence"] = "the flight's fence is not on the vehicle: " + problems[0]
    rtl_alt_cm = param("RTL_ALT")
    if rtl_alt_cm is None:
        failures["rtl_alt"] = "RTL_ALT unreadable"
    else:
        rtl_alt_m = rtl_alt_cm / 100.0
        ceiling = max_rtl_alt_m
        if fence_enable and fence_alt_max:
            ceiling = min(ceiling, fence_alt_max)
        if rtl_alt_m != 0 and not 15.0 <= rtl_alt_m <= ceiling:
            failures["rtl_alt"] = f"RTL altitude {rtl_alt_m:g} m is outside 15..{ceiling:g} m"
        elif rtl_alt_m == 0:
            failures["rtl_alt"] = "RTL_ALT=0 returns at the current altitude"
    return failures


def check_preflight(
    vehicle,
    mission: Mission | Sequence[MissionItem] | None,
    overrides: Iterable[str] = (),
    **limits,
) -> dict[str, str]:
    """Run the checks; raise PreflightError unless every failure is overridden by name.

    Returns the overridden failures (so callers can log what was accepted).
    """
    overrides = set(overrides)
    unknown = overrides - set(CHECKS)
    if unknown:
        raise ValueError(f"unknown preflight check(s) {sorted(unknown)}; known: {CHECKS}")
    failures = preflight_failures(vehicle, mission, **limits)
    blocking = {k: v for k, v in failures.items() if k not in overrides}
    if blocking:
        raise PreflightError(blocking)
    return {k: v for k, v in failures.items() if k in overrides}


def prepare_flight(
    vehicle,
    fence: Mission | Sequence[MissionItem],
    overrides: Iterable[str] = (),
    *,
    keep_held: bool = False,
    **limits,
) -> dict[str, str]:
    """The one preflight of every flight: the fence on the vehicle, then :func:`check_preflight`.

    Called before every take-off: a planned sortie's (``dronepatrol fly``,
    the scheduler), an errand's (dispatch, lockdown holds), an operator's
    arm or take-off from the app.

    ``fence`` is the fence that must be on the vehicle: a planned sortie's
    (its inclusion polygon and the no-fly zones), or the no-fly zones alone
    (:meth:`dronepatrol.planning.airspace.Airspace.fence`). With
    ``keep_held`` (an operator's take-off, where the vehicle may hold an
    uploaded sortie's fence) the vehicle's own inclusion items stay and only
    the no-fly exclusions are added when missing; otherwise the fence is
    replaced by ``fence``. It is uploaded and verified unless the vehicle
    already holds it; the checks then confirm it is there and enabled
    (FENCE_ENABLE, the polygon bit of FENCE_TYPE) with the failsafes, battery
    and RTL altitude. Returns the overridden failures; raises PreflightError.
    """
    wanted = _fence_of(fence)
    try:
        held = vehicle.mission.download(MissionType.FENCE)
    except VehicleError:
        held = None
    if keep_held and held is not None:
        wanted = _merged(held, wanted)
    if held is None or compare_items(wanted, held, skip_first=False):
        vehicle.mission.upload_items(wanted, MissionType.FENCE)
    return check_preflight(vehicle, wanted, overrides, **limits)


def _merged(held: list[MissionItem], required: list[MissionItem]) -> list[MissionItem]:
    """The held fence plus the required exclusion polygons it lacks (the held ones first)."""
    merged = list(held)
    for polygon in _polygons(required):
        if not any(not compare_items(polygon, have, skip_first=False) for have in _polygons(held)):
            merged.extend(polygon)
    return merged


def _polygons(items: list[MissionItem]) -> list[list[MissionItem]]:
    """Fence items split into polygons (param1 is each polygon's vertex count); circles alone."""
    out, k = [], 0
    while k < len(items):
        n = int(items[k].param1) if items[k].command in POLYGON_VERTICES else 1
        out.append(items[k : k + max(n, 1)])
        k += max(n, 1)
    return out
