"""JSON shapes of the core's objects as the API and the event stream send them."""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Any

from flask.json.provider import DefaultJSONProvider

from dronepatrol.state import VehicleSnapshot


def vehicle_json(snapshot: VehicleSnapshot) -> dict[str, Any]:
    """A vehicle snapshot for ``GET /api/vehicles`` and the live stream.

    Keys: id, name, link, last_heard_s, armed, mode, position {lat, lon,
    alt_amsl_m, alt_rel_m} or null, home (same) or null, groundspeed_mps,
    heading_deg, battery {voltage_v, current_a, remaining_pct, consumed_mah},
    mission {current_seq, total, state}, gps {fix_type, satellites}, ekf_ok,
    landed_state, airborne, statustext (newest or null), time_s.
    """

    def position(p: Any) -> dict[str, float] | None:
        if p is None:
            return None
        return {
            "lat": p.lat_deg,
            "lon": p.lon_deg,
            "alt_amsl_m": p.alt_amsl_m,
            "alt_rel_m": p.alt_rel_m,
        }

    return {
        "id": snapshot.vehicle_id,
        "name": snapshot.name or snapshot.vehicle_id,
        "link": snapshot.link.value,
        "last_heard_s": snapshot.last_heard_s,
        "armed": snapshot.armed,
        "mode": snapshot.mode,
        "position": position(snapshot.position),
        "home": position(snapshot.home),
        "groundspeed_mps": snapshot.groundspeed_mps,
        "heading_deg": snapshot.heading_deg,
        "battery": asdict(snapshot.battery),
        "mission": asdict(snapshot.mission),
        "gps": {"fix_type": snapshot.gps_fix_type, "satellites": snapshot.gps_satellites},
        "ekf_ok": snapshot.ekf_ok,
        "landed_state": snapshot.landed_state.name.lower(),
        "airborne": snapshot.airborne,
        "statustext": snapshot.statustexts[-1] if snapshot.statustexts else None,
        "time_s": snapshot.time_s,
    }


def finite(value: Any) -> Any:
    """``value`` with every NaN or infinite float replaced by None.

    JSON has no NaN: Python would write it anyway and a browser's JSON.parse
    would then reject the whole answer (a sensor that reports no value, an
    unreachable ETA).
    """
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


class FiniteJSONProvider(DefaultJSONProvider):
    """Flask's JSON, with NaN and infinities sent as null (see :func:`finite`)."""

    sort_keys = False

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return super().dumps(finite(obj), **kwargs)

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse a request body; JSON nested past Python's recursion limit is a bad request.

        ``json.loads`` raises RecursionError on ``[[[[...`` 50,000 deep, which
        Flask would answer with a 500; a ValueError becomes its usual 400.
        """
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("the JSON body is nested too deeply") from None
