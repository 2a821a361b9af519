"""DronePatrol: drone patrol mission controller.

The core library. It holds the patrol network, plans missions, drives
vehicles over MAVLink, records sorties and processes video. The web app
(``dronepatrol.web``) and the simulator (``dronepatrol.sitl``) build on it;
the core never imports them.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("dronepatrol")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
