"""The patrol schedule: idle, charged drones fly their station's most overdue targets.

* :mod:`~dronepatrol.schedule.choice` (pure): which sortie a drone flies next.
* :mod:`~dronepatrol.schedule.turnaround` (pure): battery swap or charge time at the station.
* :mod:`~dronepatrol.schedule.scheduler`: proposes, approves and launches sorties
  through the fleet (modes off / approve / auto).
"""

from dronepatrol.schedule.choice import SortieChoice, SortieProposal, due_candidates, propose_sortie
from dronepatrol.schedule.scheduler import MODES, Scheduler, SchedulerError, station_at
from dronepatrol.schedule.turnaround import ScheduleSettingError, Turnaround

__all__ = [
    "MODES",
    "ScheduleSettingError",
    "Scheduler",
    "SchedulerError",
    "SortieChoice",
    "SortieProposal",
    "Turnaround",
    "due_candidates",
    "propose_sortie",
    "station_at",
]
