"""Simulated ArduCopters and the ArduPilot SITL launcher (installed as ``dronepatrol.sitl``).

:class:`SimFleet` runs N simulated copters that speak MAVLink 2 over TCP the
way ArduCopter 4.x SITL does; :mod:`dronepatrol.sitl.launcher` starts real
``arducopter`` SITL processes instead. Both serve the same flight tests.
"""

from dronepatrol.sitl.copter import Home, SimCopter
from dronepatrol.sitl.fleet import SimFleet

__all__ = ["Home", "SimCopter", "SimFleet"]
