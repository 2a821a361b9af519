"""The patrol schedule: idle, charged drones fly their station's most overdue targets.

* :mod:`~dronepatrol.schedule.choice` (pure): which sortie a drone flies next.
* :mod:`~dronepatrol.schedule.turnaround` (pure): battery swap or charge time at the station.
* :mod:`~dronepatrol.schedule.scheduler`: proposes, approves and launches sorties
  through the fleet (modes off / approve / auto).

Importing this package is cheap: the scheduler (and with it pymavlink and the planner)
loads with the first name used, so :mod:`~dronepatrol.schedule.turnaround` (the
settings read it) costs nothing more.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dronepatrol.lazy import lazy_exports

if TYPE_CHECKING:  # what type checkers see; at run time each name loads on first use
    from dronepatrol.schedule.choice import (
        SortieChoice,
        SortieProposal,
        due_candidates,
        propose_sortie,
    )
    from dronepatrol.schedule.scheduler import (
        MODES,
        Scheduler,
        SchedulerError,
        station_at,
    )
    from dronepatrol.schedule.turnaround import (
        ScheduleSettingError,
        Turnaround,
    )

_LAZY = {
    "SortieChoice": "dronepatrol.schedule.choice",
    "SortieProposal": "dronepatrol.schedule.choice",
    "due_candidates": "dronepatrol.schedule.choice",
    "propose_sortie": "dronepatrol.schedule.choice",
    "MODES": "dronepatrol.schedule.scheduler",
    "Scheduler": "dronepatrol.schedule.scheduler",
    "SchedulerError": "dronepatrol.schedule.scheduler",
    "station_at": "dronepatrol.schedule.scheduler",
    "ScheduleSettingError": "dronepatrol.schedule.turnaround",
    "Turnaround": "dronepatrol.schedule.turnaround",
}

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


__getattr__ = lazy_exports(__name__, _LAZY)
