"""Patrol operations that act on the fleet: incidents, their dispatch, and lockdowns.

The decisions (who answers, who holds which point) are pure code in
:mod:`dronepatrol.patrol`; this package records incidents and carries the
decisions out through the fleet.
"""

from dronepatrol.operations.dispatcher import Dispatcher, DispatchError, responder_of
from dronepatrol.operations.incidents import IncidentBook, IncidentError, IncidentView
from dronepatrol.operations.lockdowns import (
    Hold,
    Lockdown,
    LockdownStatus,
    lockdown_status,
    overwatch_points,
)

__all__ = [
    "DispatchError",
    "Dispatcher",
    "Hold",
    "IncidentBook",
    "IncidentError",
    "IncidentView",
    "Lockdown",
    "LockdownStatus",
    "lockdown_status",
    "overwatch_points",
    "responder_of",
]
