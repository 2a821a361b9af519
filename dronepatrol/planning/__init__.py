"""Mission planning: from a patrol network to safe sorties (pure, deterministic).

The entry point is :func:`plan_sorties`::

    from dronepatrol.network import load_network
    from dronepatrol.planning import load_profile, plan_sorties

    result = plan_sorties(load_network("missions/canberra-sitl.geojson"), load_profile())
    for sortie in result.sorties:
        print(sortie.id, sortie.targets, sortie.energy_frac)

No module here imports pymavlink, OpenCV, Flask or SQLAlchemy.
"""

from dronepatrol.planning.coverage import Coverage, covered_fraction, plan_coverage
from dronepatrol.planning.limits import PlanningLimitError, PlanningLimits
from dronepatrol.planning.ordering import solve_tour, tour_length
from dronepatrol.planning.planner import (
    PlanningError,
    PlanResult,
    Sortie,
    TargetStatus,
    batteries_needed,
    plan_sorties,
)
from dronepatrol.planning.profile import (
    DroneProfile,
    ProfileError,
    default_profile_text,
    load_profile,
)
from dronepatrol.planning.routing import AreaRouter, TransitRouter
from dronepatrol.planning.safety import check_mission

__all__ = [
    "AreaRouter",
    "Coverage",
    "DroneProfile",
    "PlanResult",
    "PlanningError",
    "PlanningLimitError",
    "PlanningLimits",
    "ProfileError",
    "Sortie",
    "TargetStatus",
    "TransitRouter",
    "batteries_needed",
    "check_mission",
    "covered_fraction",
    "default_profile_text",
    "load_profile",
    "plan_coverage",
    "plan_sorties",
    "solve_tour",
    "tour_length",
]
