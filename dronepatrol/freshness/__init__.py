"""Freshness: which targets a flown sortie really patrolled, and how overdue each is.

* :mod:`~dronepatrol.freshness.patrolled` (pure): the patrolled rules (a point held
  in view for its dwell, 90 % of a line, 95 % of a grid's flyable area).
* :mod:`~dronepatrol.freshness.ontime` (pure): on-time accounting over a day.
* :mod:`~dronepatrol.freshness.keeper`: judges each landed sortie's track and
  keeps the visits in the database.

Revisit intervals per priority level live with the network
(:mod:`dronepatrol.network.revisit`).
"""

from dronepatrol.freshness.keeper import FreshnessKeeper, LargeEventSource

__all__ = ["FreshnessKeeper", "LargeEventSource"]
