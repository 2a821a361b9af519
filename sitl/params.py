"""The simulated copter's parameter table: ArduCopter 4.7 names, order, types and defaults.

The table a ground station downloads is real ArduCopter 4.7 SITL's, as
`dronepatrol sitl` starts it (params/arducopter-4.7-sitl.json, recorded by
tests/simulator/record_param_table.py): the same 1354 names in ArduPilot's
index order, with their MAV_PARAM_TYPEs and defaults. The parameters the
simulator acts on are listed in ``_SPECS``; each of their values really
changes behaviour where ArduCopter's does. The others are kept and read
back as ArduPilot would, and change nothing. Units follow ArduCopter:
WPNAV_* and RTL_ALT in centimetres, FENCE_* in metres, BATT_* in volts and
mAh, DISARM_DELAY and FS_GCS_TIMEOUT in seconds. The ``SIM_*`` parameters
are those of ArduPilot's SITL (libraries/SITL) so fault injection reads the
same on both backends.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources

# MAV_PARAM_TYPE values as ArduPilot reports them.
INT8 = 2
INT16 = 4
INT32 = 6
REAL32 = 9


@dataclass(frozen=True)
class ParamSpec:
    """One parameter: default value and the MAVLink type ArduPilot reports."""

    default: float
    ptype: int = REAL32


# Kept in ArduPilot's alphabetical order so PARAM_REQUEST_LIST indexes are stable.
_SPECS: dict[str, ParamSpec] = {
    "ANGLE_MAX": ParamSpec(3000, INT16),
    "ARMING_CHECK": ParamSpec(1, INT32),
    "ATC_SLEW_YAW": ParamSpec(6000),
    "AUTO_OPTIONS": ParamSpec(0, INT32),
    "AVOID_BEHAVE": ParamSpec(0, INT8),
    "AVOID_ENABLE": ParamSpec(3, INT8),
    "AVOID_MARGIN": ParamSpec(2),
    "BATT_ARM_VOLT": ParamSpec(0),
    "BATT_CAPACITY": ParamSpec(3300, INT32),
    "BATT_CRT_MAH": ParamSpec(0),
    "BATT_CRT_VOLT": ParamSpec(0),
    "BATT_FS_CRT_ACT": ParamSpec(0, INT8),
    "BATT_FS_LOW_ACT": ParamSpec(0, INT8),
    "BATT_FS_VOLTSRC": ParamSpec(0, INT8),
    "BATT_LOW_MAH": ParamSpec(0),
    "BATT_LOW_TIMER": ParamSpec(10, INT8),
    "BATT_LOW_VOLT": ParamSpec(10.5),
    "BATT_MONITOR": ParamSpec(4, INT8),
    "CIRCLE_RADIUS": ParamSpec(1000),
    "CIRCLE_RATE": ParamSpec(20),
    "DISARM_DELAY": ParamSpec(10, INT8),
    "FENCE_ACTION": ParamSpec(1, INT8),
    "FENCE_ALT_MAX": ParamSpec(100),
    "FENCE_ALT_MIN": ParamSpec(-10),
    "FENCE_ENABLE": ParamSpec(0, INT8),
    "FENCE_MARGIN": ParamSpec(2),
    "FENCE_RADIUS": ParamSpec(300),
    "FENCE_TYPE": ParamSpec(7, INT8),
    "FLTMODE1": ParamSpec(5, INT8),
    "FRAME_CLASS": ParamSpec(1, INT8),
    "FRAME_TYPE": ParamSpec(1, INT8),
    "FS_EKF_ACTION": ParamSpec(1, INT8),
    "FS_EKF_THRESH": ParamSpec(0.8),
    "FS_GCS_ENABLE": ParamSpec(0, INT8),
    "FS_GCS_TIMEOUT": ParamSpec(5),
    "FS_OPTIONS": ParamSpec(16, INT32),
    "FS_THR_ENABLE": ParamSpec(1, INT8),
    "GPS_HDOP_GOOD": ParamSpec(140, INT16),
    "GPS_TYPE": ParamSpec(1, INT8),
    "INITIAL_MODE": ParamSpec(0, INT8),
    "LAND_ALT_LOW": ParamSpec(1000, INT16),
    "LAND_SPEED": ParamSpec(50, INT16),
    "LAND_SPEED_HIGH": ParamSpec(0, INT16),
    "MAV_GCS_SYSID": ParamSpec(255, INT16),
    "MAV_SYSID": ParamSpec(1, INT16),
    "MIS_OPTIONS": ParamSpec(0, INT16),
    "MIS_RESTART": ParamSpec(0, INT8),
    "MIS_TOTAL": ParamSpec(0, INT16),
    "PILOT_SPEED_DN": ParamSpec(0, INT16),
    "PILOT_SPEED_UP": ParamSpec(250, INT16),
    "PILOT_TKOFF_ALT": ParamSpec(0),
    "RALLY_INCL_HOME": ParamSpec(1, INT8),
    "RALLY_LIMIT_KM": ParamSpec(0.3),
    "RALLY_TOTAL": ParamSpec(0, INT8),
    "RC_OVERRIDE_TIME": ParamSpec(3.0),
    "RTL_ALT": ParamSpec(1500, INT32),
    "RTL_ALT_FINAL": ParamSpec(0, INT16),
    "RTL_CLIMB_MIN": ParamSpec(0, INT16),
    "RTL_LOIT_TIME": ParamSpec(5000, INT32),
    "RTL_SPEED": ParamSpec(0, INT16),
    "SIM_BATT_CAP_AH": ParamSpec(0),
    "SIM_BATT_VOLTAGE": ParamSpec(12.6),
    "SIM_GPS1_ENABLE": ParamSpec(1, INT8),
    "SIM_GPS_DISABLE": ParamSpec(0, INT8),
    "SIM_SPEEDUP": ParamSpec(1),
    "SIM_WIND_DIR": ParamSpec(180),
    "SIM_WIND_SPD": ParamSpec(0),
    "SIM_WIND_TURB": ParamSpec(0),
    "SRTL_ACCURACY": ParamSpec(2),
    "SRTL_POINTS": ParamSpec(300, INT16),
    "THR_DZ": ParamSpec(100, INT16),
    "WPNAV_ACCEL": ParamSpec(250),
    "WPNAV_ACCEL_Z": ParamSpec(100),
    "WPNAV_RADIUS": ParamSpec(200),
    "WPNAV_SPEED": ParamSpec(1000),
    "WPNAV_SPEED_DN": ParamSpec(150),
    "WPNAV_SPEED_UP": ParamSpec(250),
    "WP_YAW_BEHAVIOR": ParamSpec(2, INT8),
}


def _load_table() -> list[tuple[str, int, float]]:
    path = resources.files("dronepatrol.sitl") / "params" / "arducopter-4.7-sitl.json"
    return [(name, int(ptype), float(value)) for name, ptype, value in json.loads(path.read_text())]


_TABLE = _load_table()
# the SITL table first, in its order; then the simulator's older aliases SITL no longer has
PARAM_NAMES: tuple[str, ...] = tuple(name for name, _, _ in _TABLE) + tuple(
    sorted(set(_SPECS) - {name for name, _, _ in _TABLE})
)
_TYPES: dict[str, int] = {name: ptype for name, ptype, _ in _TABLE}
_TYPES.update({name: s.ptype for name, s in _SPECS.items()})
_DEFAULTS: dict[str, float] = {name: value for name, _, value in _TABLE}
_DEFAULTS.update({name: float(s.default) for name, s in _SPECS.items()})
_INDEX = {name: i for i, name in enumerate(PARAM_NAMES)}


def spec(name: str) -> ParamSpec | None:
    """The spec of ``name`` or None when the simulated copter has no such parameter."""
    if name in _SPECS:
        return _SPECS[name]
    if name in _DEFAULTS:
        return ParamSpec(_DEFAULTS[name], _TYPES[name])
    return None


def _coerce(name: str, value: float) -> float:
    """Round integer parameters as ArduPilot stores them (truncating to the type)."""
    ptype = _TYPES[name]
    if ptype == REAL32:
        return float(value)
    limit = {INT8: 127, INT16: 32767, INT32: 2**31 - 1}.get(ptype)
    if limit is None:
        return float(value)
    return float(max(-limit - 1, min(limit, int(value))))


class Params:
    """A vehicle's parameter values with ArduCopter's names and types.

    ``changed`` holds the names set since the vehicle last looked, so the copter
    can react (e.g. SIM_GPS_DISABLE) without polling every value each step.
    """

    def __init__(self, overrides: dict[str, float] | None = None) -> None:
        self._values = dict(_DEFAULTS)
        self.changed: set[str] = set()
        for name, value in (overrides or {}).items():
            self.set(name, value)
        self.changed.clear()

    def __getitem__(self, name: str) -> float:
        return self._values[name]

    def get(self, name: str, default: float = 0.0) -> float:
        return self._values.get(name, default)

    def __contains__(self, name: str) -> bool:
        return name in self._values

    def set(self, name: str, value: float) -> bool:
        """Set ``name``; False when the vehicle has no such parameter (ArduPilot ignores it)."""
        if name not in self._values:
            return False
        self._values[name] = _coerce(name, value)
        self.changed.add(name)
        # SITL renamed SIM_GPS_DISABLE to SIM_GPS1_ENABLE; keep both views in step.
        if name == "SIM_GPS_DISABLE":
            self._values["SIM_GPS1_ENABLE"] = 0.0 if value else 1.0
        elif name == "SIM_GPS1_ENABLE":
            self._values["SIM_GPS_DISABLE"] = 0.0 if value else 1.0
        return True

    def index(self, name: str) -> int:
        return _INDEX[name]

    def ptype(self, name: str) -> int:
        return _TYPES[name]
