"""What every page's map starts from: base tiles, their datum, and the first view.

The tile URL and the datum come from the settings; the first view is the loaded
network's bounding box, so a page opens on the patrolled area before the
network's GeoJSON (megabytes for a city) has arrived.
"""

from __future__ import annotations

from typing import Any

import shapely

from dronepatrol.network.model import Network
from dronepatrol.web import tiles
from dronepatrol.web.context import control_room


def start_bounds(network: Network | None) -> str:
    """``south,west,north,east`` [deg, WGS 84] of everything the map draws of ``network``:
    targets, no-fly zones, stations and overwatch points ("" without a network)."""
    if network is None:
        return ""
    geoms = [
        *(t.geometry for t in network.targets),
        *(z.geometry for z in network.nofly),
        *(s.geometry for s in network.stations),
        *(o.geometry for o in network.overwatch),
    ]
    if not geoms:
        return ""
    west, south, east, north = shapely.total_bounds(geoms).tolist()
    return ",".join(f"{v:.7f}" for v in (south, west, north, east))


def map_context() -> dict[str, Any]:
    """Template values of the map element: ``tile_url``, ``map_datum``, ``start_bounds``."""
    room = control_room()
    return {
        "tile_url": tiles.tile_url_template(),
        "map_datum": room.settings.base_map_datum,
        "start_bounds": start_bounds(room.network),
    }
