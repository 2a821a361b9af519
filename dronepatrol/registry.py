"""The fleet registry: the vehicles an installation flies, known by link and system id.

A vehicle is known, not assumed: ``dronepatrol serve --fleet FILE`` (or the
``fleet_file`` setting) reads a TOML or JSON file listing each vehicle's
MAVLink system id, the link it is heard on, its name (which becomes its id
in the app) and its home station. Anything else heard on those links (a
stranger's or a spoofed heartbeat that became vehicle ``"42"``) is shown as
unknown and never commanded.

TOML::

    [[vehicle]]
    sysid = 1
    link = "tcp:127.0.0.1:5760"
    name = "kestrel"
    station = "S01"

JSON: ``{"vehicle": [{"sysid": 1, "link": ..., "name": ..., "station": ...}]}``.

>>> registry = FleetRegistry.parse(
...     {"vehicle": [{"sysid": 1, "link": "udpin:0.0.0.0:14550", "name": "kestrel"}]}, "fleet"
... )
>>> registry.knows("kestrel"), registry.knows("42")
(True, False)
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,39}$")
"""A vehicle name: starts with a letter, so it never looks like a bare system id."""


class RegistryError(ValueError):
    """The registry file cannot be used; the message names the entry and the fix."""


@dataclass(frozen=True)
class RegisteredVehicle:
    """One vehicle of the fleet.

    Attributes:
        sysid: its MAVLink system id (1..255) on ``link``.
        link: the link URL it is heard on (``tcp:...``, ``udpin:...``, ``serial:...``).
        name: its name, also its vehicle id in the app and the API.
        station: the station it patrols from (empty: none given).
    """

    sysid: int
    link: str
    name: str
    station: str = ""


@dataclass(frozen=True)
class FleetRegistry:
    """The registered vehicles, in file order."""

    vehicles: tuple[RegisteredVehicle, ...]

    @classmethod
    def load(cls, path: Path | str) -> FleetRegistry:
        """The registry in ``path`` (``.toml`` or ``.json``); RegistryError names what is wrong."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
            data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
        except OSError as exc:
            raise RegistryError(f"fleet registry {path}: cannot read it ({exc.strerror})") from None
        except (ValueError, tomllib.TOMLDecodeError) as exc:
            raise RegistryError(f"fleet registry {path}: not valid TOML/JSON: {exc}") from None
        return cls.parse(data, str(path))

    @classmethod
    def parse(cls, data: Any, source: str) -> FleetRegistry:
        """The registry in ``data`` (the parsed file); ``source`` names it in errors."""
        if not isinstance(data, dict) or set(data) != {"vehicle"}:
            raise RegistryError(f"fleet registry {source}: expected only a 'vehicle' list")
        entries = data["vehicle"]
        if not isinstance(entries, list) or not entries:
            raise RegistryError(f"fleet registry {source}: 'vehicle' must list at least one")
        vehicles = [_entry(item, f"{source} vehicle {n + 1}") for n, item in enumerate(entries)]
        names = [v.name for v in vehicles]
        places = [(v.link, v.sysid) for v in vehicles]
        for n, vehicle in enumerate(vehicles):
            where = f"fleet registry {source} vehicle {n + 1}"
            if names.index(vehicle.name) != n:
                raise RegistryError(f"{where}: name {vehicle.name!r} is used twice")
            if places.index((vehicle.link, vehicle.sysid)) != n:
                raise RegistryError(
                    f"{where}: system id {vehicle.sysid} on {vehicle.link} is listed twice"
                )
        return cls(tuple(vehicles))

    def open_links(self, fleet: Any) -> None:
        """Open each vehicle's link on ``fleet`` (a :class:`dronepatrol.mavlink.Fleet`).

        Each vehicle is named before its link starts, so it is never heard
        under its bare system id; then the link accepts every system, so a
        stranger on it is seen (as unknown) rather than silently ignored.
        """
        for entry in self.vehicles:
            link = fleet.add(entry.link, sysid=entry.sysid, name=entry.name)
            link.sysids = None

    def knows(self, vehicle_id: str) -> bool:
        """True when ``vehicle_id`` is a registered vehicle's (its name)."""
        return self.vehicle(vehicle_id) is not None

    def vehicle(self, vehicle_id: str) -> RegisteredVehicle | None:
        """The registered vehicle with this id (name), or None."""
        return next((v for v in self.vehicles if v.name == vehicle_id), None)


class RegisteredFleet:
    """A fleet as dispatch and the patrol scheduler see it: its registered vehicles only.

    Wraps a :class:`dronepatrol.mavlink.Fleet`; everything but the vehicle
    listings passes through, so an unknown vehicle is never proposed,
    dispatched, held at a lockdown point or sent on patrol.
    """

    def __init__(self, fleet: Any, registry: FleetRegistry) -> None:
        self._fleet = fleet
        self._registry = registry

    def snapshots(self) -> list[Any]:
        """The registered vehicles' latest snapshots, ordered by id."""
        return [s for s in self._fleet.snapshots() if self._registry.knows(s.vehicle_id)]

    def vehicles(self) -> dict[str, Any]:
        return {k: v for k, v in self._fleet.vehicles().items() if self._registry.knows(k)}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._fleet, name)


def _entry(item: Any, where: str) -> RegisteredVehicle:
    if not isinstance(item, dict):
        raise RegistryError(f"fleet registry {where}: expected a table with sysid, link, name")
    unknown = set(item) - {"sysid", "link", "name", "station"}
    if unknown:
        raise RegistryError(
            f"fleet registry {where}: unknown key(s) {', '.join(sorted(unknown))}; "
            "use sysid, link, name, station"
        )
    sysid, link, name = item.get("sysid"), item.get("link"), item.get("name")
    station = item.get("station", "")
    if isinstance(sysid, bool) or not isinstance(sysid, int) or not 1 <= sysid <= 255:
        raise RegistryError(f"fleet registry {where}: 'sysid' must be 1..255, got {sysid!r}")
    if not isinstance(link, str) or ":" not in link:
        raise RegistryError(
            f"fleet registry {where}: 'link' must be a link URL such as "
            f"tcp:127.0.0.1:5760, got {link!r}"
        )
    if not isinstance(name, str) or not NAME.match(name):
        raise RegistryError(
            f"fleet registry {where}: 'name' must start with a letter (letters, digits, "
            f"_ . -, at most 40), got {name!r}"
        )
    if not isinstance(station, str):
        raise RegistryError(f"fleet registry {where}: 'station' must be a station id")
    return RegisteredVehicle(sysid, link, name, station)
