"""Energy: each vehicle's pack and consumption, what a sortie needs, when to come home.

* :mod:`~dronepatrol.energy.model` (pure): pack figures, learning consumption
  from the current drawn, a sortie's need, the charge to get home.
* :mod:`~dronepatrol.energy.watch`: the fleet's energy watch (learns in flight,
  keeps the figures per vehicle, returns a drone home on its own figures).
"""

from dronepatrol.energy.model import (
    DEFAULT_RESERVE_FRAC,
    ConsumptionLearner,
    EnergyRefusal,
    PackEnergy,
    available_mah,
    check_sortie,
    endurance_left_s,
    return_need_mah,
    sortie_need_mah,
)
from dronepatrol.energy.watch import EnergyWatch

__all__ = [
    "DEFAULT_RESERVE_FRAC",
    "ConsumptionLearner",
    "EnergyRefusal",
    "EnergyWatch",
    "PackEnergy",
    "available_mah",
    "check_sortie",
    "endurance_left_s",
    "return_need_mah",
    "sortie_need_mah",
]
