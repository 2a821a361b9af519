"""The telemetry event: one vehicle sample on the event bus, the recorder's track source.

The link publishes a :data:`~dronepatrol.events.EventKind.TELEMETRY` event at
a steady rate (4 Hz by default, at least 2 Hz) while it hears a vehicle, with
flat JSON data (all optional but the position):

``lat_deg``, ``lon_deg`` [deg], ``alt_amsl_m``, ``alt_rel_m`` [m],
``heading_deg`` [deg], ``groundspeed_mps``, ``climb_mps`` [m/s, up positive],
``velocity_ned_mps``, ``armed``, ``mode`` (ArduCopter mode name),
``landed_state`` (name), ``battery_pct`` [%], ``battery_v`` [V],
``current_a``, ``consumed_mah``, ``mission_seq``, ``mission_total``,
``gps_fix_type``, ``gps_satellites``, ``link`` (``up`` when given), and
``time_s`` (when the sample was taken [s since the epoch]).

:func:`telemetry_event` builds that event from a
:class:`~dronepatrol.state.VehicleSnapshot` (for any other publisher: replays,
tests, simulators); :func:`track_sample` turns one into a track row. This
flat form is the recorder's; the control app sends a whole snapshot in its
own API shape (``dronepatrol.web.schema.vehicles.Vehicle``). This module is
pure (no database).

>>> from dronepatrol.state import Position, VehicleSnapshot
>>> snap = VehicleSnapshot("1", armed=True, mode="AUTO", time_s=100.0,
...                        position=Position(-35.36, 149.16, 600.0, 30.0))
>>> event = telemetry_event(snap)
>>> event.kind, event.vehicle_id, event.time_s
(<EventKind.TELEMETRY: 'telemetry'>, '1', 100.0)
>>> sample = track_sample(event)
>>> sample["lat_deg"], sample["alt_rel_m"], sample["mode"]
(-35.36, 30.0, 'AUTO')
"""

from __future__ import annotations

import time
from typing import Any

from dronepatrol.events import Event, EventKind
from dronepatrol.state import (
    LinkState,
    VehicleSnapshot,
)


def telemetry_data(snapshot: VehicleSnapshot) -> dict[str, Any]:
    """The TELEMETRY event data for ``snapshot`` (the keys in this module's docstring)."""
    position = snapshot.position
    battery = snapshot.battery
    return {
        "lat_deg": position.lat_deg if position else None,
        "lon_deg": position.lon_deg if position else None,
        "alt_amsl_m": position.alt_amsl_m if position else None,
        "alt_rel_m": position.alt_rel_m if position else None,
        "heading_deg": snapshot.heading_deg,
        "groundspeed_mps": snapshot.groundspeed_mps,
        "climb_mps": -snapshot.velocity_ned_mps[2],
        "velocity_ned_mps": list(snapshot.velocity_ned_mps),
        "armed": snapshot.armed,
        "mode": snapshot.mode,
        "landed_state": snapshot.landed_state.name,
        "battery_pct": battery.remaining_pct,
        "battery_v": battery.voltage_v,
        "current_a": battery.current_a,
        "consumed_mah": battery.consumed_mah,
        "mission_seq": snapshot.mission.current_seq,
        "mission_total": snapshot.mission.total,
        "gps_fix_type": snapshot.gps_fix_type,
        "gps_satellites": snapshot.gps_satellites,
        "link": snapshot.link.value,
        "time_s": snapshot.time_s,
    }


def telemetry_event(snapshot: VehicleSnapshot) -> Event:
    """The TELEMETRY event for ``snapshot``, timed at the snapshot's ``time_s``."""
    return Event(
        kind=EventKind.TELEMETRY,
        vehicle_id=snapshot.vehicle_id,
        data=telemetry_data(snapshot),
        time_s=snapshot.time_s or time.time(),
    )


def _float(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def track_sample(event: Event) -> dict[str, Any] | None:
    """A track sample's columns from a TELEMETRY event, or None without a position."""
    data = event.data
    lat, lon = _float(data.get("lat_deg")), _float(data.get("lon_deg"))
    if lat is None or lon is None:
        return None
    return {
        "time_s": _float(data.get("time_s")) or event.time_s,
        "lat_deg": lat,
        "lon_deg": lon,
        "alt_amsl_m": _float(data.get("alt_amsl_m")),
        "alt_rel_m": _float(data.get("alt_rel_m")),
        "heading_deg": _float(data.get("heading_deg")),
        "groundspeed_mps": _float(data.get("groundspeed_mps")),
        "climb_mps": _float(data.get("climb_mps")),
        "battery_pct": _float(data.get("battery_pct")),
        "battery_v": _float(data.get("battery_v")),
        "mode": str(data.get("mode") or ""),
        "armed": bool(data.get("armed", True)),
    }


def heard_armed(event: Event) -> bool | None:
    """The armed flag of a TELEMETRY event whose link is up (None when it does not say)."""
    data = event.data
    link = data.get("link")
    if link is not None and link != LinkState.UP.value:
        return None
    armed = data.get("armed")
    return None if armed is None else bool(armed)
