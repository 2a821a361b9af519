"""Readiness and preflight checks before a takeoff.

Readiness is what the autopilot needs to arm (GPS fix, EKF position, its own
prearm checks); preflight checks are what a station requires on top
(battery, failsafes, fence, RTL altitude). Both report reasons in words; a
failed preflight check can be overridden only by naming it.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable

from dronepatrol.mavlink.errors import (
    FlightError,
    NotReadyError,
    ParamError,
    PreflightError,
    VehicleError,
)
from dronepatrol.mission import Mission, MissionType
from dronepatrol.state import LinkState, VehicleSnapshot

CHECKS = ("battery", "gcs_failsafe", "battery_failsafe", "fence", "rtl_alt")
"""Names of the preflight checks, as used to override one."""

PATROL_SAFETY_PARAMS = {
    "FS_GCS_ENABLE": 1,  # link to the control app lost: RTL
    "BATT_FS_LOW_ACT": 2,  # battery low: RTL
    "FENCE_ENABLE": 1,
    "FENCE_TYPE": 5,  # maximum altitude and the plan's polygon (no 300 m circle round home)
    "FENCE_ALT_MAX": 120,  # [m], the legal ceiling the planner keeps to
}
"""ArduCopter parameters with which a patrol drone passes the preflight checks: the
failsafes bring it home and the plan's fence holds it (the demo's drones are set so)."""


def blocking_reasons(snap: VehicleSnapshot, texts: Iterable[str] = ()) -> list[str]:
    """Why the vehicle cannot arm now (empty when it can), in the autopilot's words."""
    reasons: list[str] = []
    if snap.link is not LinkState.UP:
        reasons.append(f"link {snap.link.value}")
    if snap.gps_fix_type < 3:
        reasons.append(
            f"no 3D GPS fix (fix type {snap.gps_fix_type}, {snap.gps_satellites} satellites)"
        )
    if not snap.ekf_ok:
        reasons.append("EKF has no position estimate yet")
    if not snap.prearm_ok:
        prearm = [t for t in texts if t.lower().startswith(("prearm", "arm:"))]
        reasons.append("prearm checks failing" + (f": {prearm[-1]}" if prearm else ""))
    if snap.home is None:
        reasons.append("home position not set")
    return reasons


def wait_ready(
    vehicle, timeout_s: float = 120.0, on_reasons: Callable[[list[str]], None] | None = None
) -> VehicleSnapshot:
    """Wait until the vehicle can arm; ``on_reasons`` hears each new list of blockers.

    Raises NotReadyError with the last reasons when ``timeout_s`` [s] passes.
    """
    deadline = time.monotonic() + timeout_s
    last: list[str] | None = None
    while True:
        snap = vehicle.snapshot
        reasons = blocking_reasons(snap, vehicle.recent_statustexts(10.0))
        if not reasons:
            return snap
        if reasons != last and on_reasons is not None:
            on_reasons(reasons)
        last = reasons
        if time.monotonic() >= deadline:
            raise NotReadyError(reasons)
        with contextlib.suppress(FlightError):  # no change within 1 s: look again
            vehicle.wait_for(lambda s, old=snap: s is not old, min(1.0, timeout_s), "change")


def preflight_failures(
    vehicle, mission: Mission | None, min_battery_pct: float = 50.0, max_rtl_alt_m: float = 120.0
) -> dict[str, str]:
    """Every failed check by name -> reason (empty when all pass).

    Parameters are read fresh from the vehicle; the fence check downloads the
    vehicle's fence and compares it with the plan's.
    """
    failures: dict[str, str] = {}
    snap = vehicle.snapshot

    def param(name: str) -> float | None:
        try:
            return vehicle.read_param(name)
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
    fence_enable = param("FENCE_ENABLE")
    fence_alt_max = param("FENCE_ALT_MAX")
    if not fence_enable:
        failures["fence"] = "geofence disabled (FENCE_ENABLE=0)"
    elif mission is not None and mission.fence_items():
        from dronepatrol.mavlink.readback import compare_items

        try:
            got = vehicle.download(MissionType.FENCE)
            problems = compare_items(list(mission.fence_items()), got, False, MissionType.FENCE)
        except VehicleError as exc:
            problems = [str(exc)]
        if problems:
            failures["fence"] = "the plan's fence is not on the vehicle: " + problems[0]
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
    vehicle, mission: Mission | None, overrides: Iterable[str] = (), **limits
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
