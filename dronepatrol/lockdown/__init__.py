"""Lockdown ("close the city gates"): every overwatch point covered at once.

* :mod:`~dronepatrol.lockdown.plan` (pure): the bottleneck assignment of drones
  to overwatch points, worst arrival first.
* :mod:`~dronepatrol.lockdown.status`: the lockdown in force and every hold's
  live status. The dispatcher (:class:`dronepatrol.dispatch.Dispatcher`)
  activates and releases it.
"""

from dronepatrol.lockdown.plan import Assignment, LockdownPlan, OverwatchPoint, plan_lockdown
from dronepatrol.lockdown.status import (
    Hold,
    Lockdown,
    LockdownStatus,
    lockdown_status,
    overwatch_points,
)

__all__ = [
    "Assignment",
    "Hold",
    "Lockdown",
    "LockdownPlan",
    "LockdownStatus",
    "OverwatchPoint",
    "lockdown_status",
    "overwatch_points",
    "plan_lockdown",
]
