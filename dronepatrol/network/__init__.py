"""The patrol network: grids, lines and points to patrol, no-fly zones, stations,
and the overwatch points of named lockdown plans (``Network.lockdown_plans()``).

Load a GeoJSON network with :func:`load_network` (raises :class:`NetworkError`
listing every problem) or check one with :func:`read_network`, which returns the
network and every :class:`Issue` found.
"""

from dronepatrol.network.loading import (
    ERROR,
    WARNING,
    Issue,
    NetworkError,
    feature_list,
    load_network,
    parse_network,
    parse_polygon,
    read_network,
)
from dronepatrol.network.model import (
    DEFAULT_REVISIT_MIN,
    TARGET_KINDS,
    Kind,
    Network,
    NoFlyZone,
    Overwatch,
    Priority,
    Station,
    Target,
)
from dronepatrol.network.summary import format_summary, summarize

__all__ = [
    "DEFAULT_REVISIT_MIN",
    "ERROR",
    "TARGET_KINDS",
    "WARNING",
    "Issue",
    "Kind",
    "Network",
    "NetworkError",
    "NoFlyZone",
    "Overwatch",
    "Priority",
    "Station",
    "Target",
    "feature_list",
    "format_summary",
    "load_network",
    "parse_network",
    "parse_polygon",
    "read_network",
    "summarize",
]
