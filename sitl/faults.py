"""Fault injection by parameter: the same SIM_* settings for the simulator and real SITL.

ArduPilot SITL injects faults through its own ``SIM_*`` parameters
(libraries/SITL/SITL.cpp) and the embedded simulator implements the same
names, so a test or tool sets faults over MAVLink (PARAM_SET) on either
backend. These helpers give the parameter values for a fault; apply them
with whatever link you have::

    for name, value in gps(enabled=False).items():
        link.set_param(name, value)

Link loss is not a parameter: use :class:`dronepatrol.sitl.proxy.LinkProxy`
(any backend) or :meth:`dronepatrol.sitl.SimFleet.cut_link`.
"""

from __future__ import annotations


def gps(enabled: bool) -> dict[str, float]:
    """GPS 1 on or off. SITL 4.6+ reads SIM_GPS1_ENABLE, older SITL SIM_GPS_DISABLE.

    Setting a name the vehicle lacks is ignored by ArduPilot, so both are given.
    """
    return {"SIM_GPS1_ENABLE": 1.0 if enabled else 0.0, "SIM_GPS_DISABLE": 0.0 if enabled else 1.0}


def battery_voltage(volts: float) -> dict[str, float]:
    """The simulated battery's resting voltage [V] (a sudden drop: a failing pack)."""
    if volts < 0:
        raise ValueError("battery voltage must be >= 0 V")
    return {"SIM_BATT_VOLTAGE": float(volts)}


def wind(speed_mps: float, from_deg: float = 180.0, turbulence: float = 0.0) -> dict[str, float]:
    """Wind speed [m/s], the direction it blows from [deg], and gust strength [m/s]."""
    if speed_mps < 0 or turbulence < 0:
        raise ValueError("wind speed and turbulence must be >= 0")
    return {
        "SIM_WIND_SPD": float(speed_mps),
        "SIM_WIND_DIR": float(from_deg) % 360.0,
        "SIM_WIND_TURB": float(turbulence),
    }
