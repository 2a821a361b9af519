"""Patrol operations that act on the fleet: incidents, their dispatch, lockdowns, large events.

The decisions (who answers, who holds which point) are pure code in
:mod:`dronepatrol.patrol`; this package records incidents and carries the
decisions out through the fleet.
"""

from dronepatrol.operations.dispatcher import Dispatcher, DispatchError, responder_of
from dronepatrol.operations.incidents import IncidentBook, IncidentError, IncidentView
from dronepatrol.operations.large_events import (
    LargeEventBook,
    LargeEventConflict,
    LargeEventNotFound,
    LargeEventRecord,
)
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
    "LargeEventBook",
    "LargeEventConflict",
    "LargeEventNotFound",
    "LargeEventRecord",
    "Lockdown",
    "LockdownStatus",
    "lockdown_status",
    "overwatch_points",
    "responder_of",
]
