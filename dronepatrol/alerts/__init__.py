"""Operator alerts: low battery and "return now", link lost, failsafes, fence, EKF, GPS, silence.

* :mod:`~dronepatrol.alerts.rules` (pure): which events raise and clear which alert.
* :mod:`~dronepatrol.alerts.book`: the app's alert book (raised from the bus,
  acknowledged by a person, published as ``alert`` events).
"""

from dronepatrol.alerts.book import Alert, AlertBook, AlertError
from dronepatrol.alerts.rules import CRITICAL, SEVERITY, WARNING, charge_level

__all__ = ["CRITICAL", "SEVERITY", "WARNING", "Alert", "AlertBook", "AlertError", "charge_level"]
