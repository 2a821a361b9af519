"""Which events make an operator alert, and which clear one: pure rules, no threads.

An alert is keyed by (vehicle, kind): one low battery per drone, not one per
telemetry sample. :func:`judge` reads one bus event and says what it raises
and what it clears; :func:`silent` says which flying drones stopped reporting.

Kinds and what raises them:

==============  ========  ==========================================================
kind            severity  raised by
==============  ========  ==========================================================
return_now      critical  the energy watch: charge left reaches getting home + reserve
rtl_failed      critical  the energy watch could not command RTL
low_battery     warning   the energy watch's early warning, or remaining % at or below
                          ``low_pct`` (cleared above ``low_pct`` + 5)
failsafe        critical  the autopilot announced a failsafe (GCS, battery, radio, ...)
fence           critical  a fence breach
ekf             critical  an EKF failsafe, or an armed vehicle without a position estimate
gps             warning   an armed vehicle without a 3D fix, or "GPS Glitch"
link_lost       critical  no heartbeat (cleared when heard again)
not_reporting   critical  an armed vehicle sent no telemetry for ``silence_s``
==============  ========  ==========================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dronepatrol.energy.model import DEFAULT_RESERVE_FRAC

CRITICAL, WARNING = "critical", "warning"

SEVERITY = {
    "return_now": CRITICAL,
    "rtl_failed": CRITICAL,
    "low_battery": WARNING,
    "failsafe": CRITICAL,
    "fence": CRITICAL,
    "ekf": CRITICAL,
    "gps": WARNING,
    "link_lost": CRITICAL,
    "not_reporting": CRITICAL,
}
"""Every alert kind and how loud it is."""

LOW_BATTERY_PCT = 25.0
"""Remaining charge [%] at or below which a low-battery alert is raised."""
CLEAR_HYSTERESIS_PCT = 5.0
"""The charge must climb this far above the low mark to clear the alert [%]."""


RESERVE_PCT = DEFAULT_RESERVE_FRAC * 100.0
"""The charge every return keeps [%] (the energy model's reserve). The energy watch
raises ``return_now`` at the reserve plus the way home, so at or below the reserve it
has, wherever the drone is (even over its station): a card shows it red."""


def charge_level(remaining_pct: float | None, low_pct: float = LOW_BATTERY_PCT) -> str:
    """How a drone's charge is shown: ``ok`` (green), ``low`` (amber: at or below the
    low-battery alert's mark), ``critical`` (red: at or below the reserve every return
    keeps) or ``unknown`` (no report yet).

    >>> [charge_level(p) for p in (80, 25.5, 25, 20, 3, None)]
    ['ok', 'ok', 'low', 'critical', 'critical', 'unknown']
    """
    if remaining_pct is None:
        return "unknown"
    if remaining_pct <= RESERVE_PCT:
        return "critical"
    return "low" if remaining_pct <= low_pct else "ok"


@dataclass(frozen=True)
class Verdict:
    """What one event means for alerts: ``raise_`` (kind, text) pairs and kinds to clear."""

    raise_: tuple[tuple[str, str], ...] = ()
    clear: tuple[str, ...] = ()


_FAILSAFE_KIND = {"fence": "fence", "ekf": "ekf"}


def judge(
    kind: str, data: Mapping[str, Any], name: str, low_pct: float = LOW_BATTERY_PCT
) -> Verdict:
    """The alerts raised and cleared by one event of kind ``kind`` for the vehicle ``name``.

    >>> judge("telemetry", {"battery_pct": 15, "armed": False}, "S01-1").raise_
    (('low_battery', 'S01-1: battery 15 %'),)
    >>> judge("link_restored", {}, "S01-1").clear
    ('link_lost', 'not_reporting')
    """
    raised: list[tuple[str, str]] = []
    cleared: list[str] = []
    if kind == "energy":
        stage = data.get("stage")
        text = str(data.get("text") or f"{name}: battery {stage}")
        if stage == "return_now":
            raised.append(("return_now", text))
        elif stage == "low":
            raised.append(("low_battery", text))
        elif stage == "rtl_failed":
            raised.append(("rtl_failed", text))
    elif kind == "failsafe":
        which = str(data.get("failsafe") or "other")
        alert_kind = _FAILSAFE_KIND.get(which, "failsafe")
        what = "fence breach" if alert_kind == "fence" else f"{which} failsafe"
        mode = f"; vehicle in {data['mode']}" if data.get("mode") else ""
        raised.append((alert_kind, f"{name}: {what}: {data.get('text', '')}{mode}"))
    elif kind == "statustext":
        text = str(data.get("text") or "")
        lowered = text.lower()
        if "gps glitch" in lowered and "clear" not in lowered:
            raised.append(("gps", f"{name}: {text}"))
        elif "gps glitch" in lowered:
            cleared.append("gps")
        elif "ekf variance cleared" in lowered:
            cleared.append("ekf")
    elif kind == "link_lost":
        silent = data.get("silent_s")
        since = f" ({silent} s without a heartbeat)" if silent is not None else ""
        raised.append(("link_lost", f"{name}: link lost{since}"))
    elif kind == "link_restored":
        cleared.extend(("link_lost", "not_reporting"))
    elif kind == "telemetry":
        raised_, cleared_ = _telemetry(data, name, low_pct)
        raised.extend(raised_)
        cleared.extend(cleared_)
        cleared.append("not_reporting")
    return Verdict(tuple(raised), tuple(cleared))


def _telemetry(
    data: Mapping[str, Any], name: str, low_pct: float
) -> tuple[list[tuple[str, str]], list[str]]:
    raised: list[tuple[str, str]] = []
    cleared: list[str] = []
    battery = data.get("battery_pct")
    if isinstance(battery, int | float):
        if battery <= low_pct:
            raised.append(("low_battery", f"{name}: battery {battery:.0f} %"))
        elif battery > low_pct + CLEAR_HYSTERESIS_PCT:
            cleared.append("low_battery")
    armed = bool(data.get("armed"))
    fix = data.get("gps_fix_type")
    if isinstance(fix, int):
        if armed and fix < 3:
            raised.append(("gps", f"{name}: no 3D GPS fix (fix type {fix}) in flight"))
        elif fix >= 3:
            cleared.append("gps")
    ekf_ok = data.get("ekf_ok")
    if ekf_ok is False and armed:
        raised.append(("ekf", f"{name}: EKF has no usable position estimate"))
    elif ekf_ok is True:
        cleared.append("ekf")
    return raised, cleared


def silent(
    last_sample_s: Mapping[str, tuple[float, bool]], now_s: float, silence_s: float
) -> list[tuple[str, float]]:
    """Vehicles armed at their last sample that have sent none for ``silence_s`` [s].

    ``last_sample_s`` maps vehicle id -> (time of its last telemetry [s], armed then).

    >>> silent({"a": (100.0, True), "b": (100.0, False), "c": (108.0, True)}, 112.0, 10.0)
    [('a', 12.0)]
    """
    return [
        (vid, round(now_s - at, 1))
        for vid, (at, armed) in sorted(last_sample_s.items())
        if armed and now_s - at >= silence_s
    ]
