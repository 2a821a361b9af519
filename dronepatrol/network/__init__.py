"""The patrol network: grids, lines and points to patrol, no-fly zones, stations,
and the overwatch points of named lockdown plans (``Network.lockdown_plans()``).

Load a GeoJSON network with :func:`load_network` (raises :class:`NetworkError`
listing every problem) or check one with :func:`read_network`, which returns the
network and every :class:`Issue` found.

Importing this package is cheap: shapely and pyproj load with the first name used,
so :mod:`~dronepatrol.network.revisit` (the settings read it) costs no geometry stack.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dronepatrol.lazy import lazy_exports

if TYPE_CHECKING:  # what type checkers see; at run time each name loads on first use
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
    from dronepatrol.network.summary import (
        format_summary,
        summarize,
    )

_LAZY = {
    "ERROR": "dronepatrol.network.loading",
    "WARNING": "dronepatrol.network.loading",
    "Issue": "dronepatrol.network.loading",
    "NetworkError": "dronepatrol.network.loading",
    "feature_list": "dronepatrol.network.loading",
    "load_network": "dronepatrol.network.loading",
    "parse_network": "dronepatrol.network.loading",
    "parse_polygon": "dronepatrol.network.loading",
    "read_network": "dronepatrol.network.loading",
    "DEFAULT_REVISIT_MIN": "dronepatrol.network.model",
    "TARGET_KINDS": "dronepatrol.network.model",
    "Kind": "dronepatrol.network.model",
    "Network": "dronepatrol.network.model",
    "NoFlyZone": "dronepatrol.network.model",
    "Overwatch": "dronepatrol.network.model",
    "Priority": "dronepatrol.network.model",
    "Station": "dronepatrol.network.model",
    "Target": "dronepatrol.network.model",
    "format_summary": "dronepatrol.network.summary",
    "summarize": "dronepatrol.network.summary",
}

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


__getattr__ = lazy_exports(__name__, _LAZY)
