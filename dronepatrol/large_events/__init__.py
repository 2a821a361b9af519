"""Large events: a temporary zone with its own targets and tighter revisit intervals.

* :mod:`~dronepatrol.large_events.model` (pure): the event and the patrol in force.
* :mod:`~dronepatrol.large_events.files` (pure): the event file reader.
* :mod:`~dronepatrol.large_events.book`: events kept in the database.
"""

from dronepatrol.large_events.book import (
    LargeEventBook,
    LargeEventConflict,
    LargeEventNotFound,
    LargeEventRecord,
)
from dronepatrol.large_events.files import LargeEventError, load_large_event, read_large_event
from dronepatrol.large_events.model import (
    DEFAULT_EVENT_REVISIT_MIN,
    LargeEvent,
    PatrolInForce,
    event_target_id,
    in_force,
    in_force_between,
    network_at,
)

__all__ = [
    "DEFAULT_EVENT_REVISIT_MIN",
    "LargeEvent",
    "LargeEventBook",
    "LargeEventConflict",
    "LargeEventError",
    "LargeEventNotFound",
    "LargeEventRecord",
    "PatrolInForce",
    "event_target_id",
    "in_force",
    "in_force_between",
    "load_large_event",
    "network_at",
    "read_large_event",
]
