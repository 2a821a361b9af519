"""The fleet: every vehicle the controller flies, over any number of links.

Add a vehicle by link URL; the fleet opens one :class:`Link` per URL (one
owner thread each), names vehicles as their heartbeats arrive and publishes
their events on one bus. Web handlers call ``submit`` and get a future at
once; scripts call ``run`` and wait. Nothing here blocks on a radio.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dronepatrol.events import Event, EventBus, Subscription
from dronepatrol.mavlink.errors import VehicleError
from dronepatrol.mavlink.forward import ForwardUrl
from dronepatrol.mavlink.link import Link
from dronepatrol.mavlink.operations import submit_operation, why_not
from dronepatrol.mavlink.plugins.commands import CommandHandle
from dronepatrol.mavlink.urls import LinkUrl
from dronepatrol.mavlink.vehicle import Vehicle
from dronepatrol.state import VehicleSnapshot


class UnknownVehicleError(VehicleError, KeyError):
    """No vehicle with that id is in the fleet."""

    def __str__(self) -> str:
        return str(self.args[0])


class Fleet:
    """Links and vehicles, one event bus.

    Args:
        bus: where every vehicle's events go (a new one by default).
        signing_key: MAVLink 2 signing passphrase for every link ('' = off).
        tlog_dir: when set, each link appends every message to a ``.tlog`` here.
        mavlink_out: endpoints that share each link with other ground stations
            (``udp:HOST:PORT``, see :mod:`.forward`): the k-th link added (from 0)
            forwards to each endpoint's PORT + k, so vehicle links added in order
            get 14550, 14551, ... A link that carries several vehicles forwards
            them all, as MAVProxy does.
        link_options: further :class:`Link` keyword arguments (telemetry_hz, ...).
    """

    def __init__(
        self,
        bus: EventBus | None = None,
        *,
        signing_key: str = "",
        tlog_dir: Path | str | None = None,
        mavlink_out: Sequence[ForwardUrl | str] = (),
        **link_options,
    ) -> None:
        self.bus = bus or EventBus()
        self.signing_key = signing_key
        self.tlog_dir = Path(tlog_dir) if tlog_dir else None
        self.link_options = link_options
        self.mavlink_out = [
            u if isinstance(u, ForwardUrl) else ForwardUrl.parse(u) for u in mavlink_out
        ]
        self._links_added = 0
        self._lock = threading.Lock()
        self._links: dict[str, Link] = {}
        self._vehicles: dict[str, Vehicle] = {}
        self._names: dict[tuple[str, int], str] = {}

    # ---- links -------------------------------------------------------------------

    def add(
        self, url: str, *, sysid: int | None = None, name: str | None = None, wait_s: float = 0.0
    ) -> Link:
        """Open a link to ``url`` (or reuse it) and accept vehicles heard on it.

        ``sysid`` restricts the link to that vehicle and ``name`` names it;
        ``wait_s`` > 0 waits that long for its first heartbeat.
        """
        key = str(LinkUrl.parse(url))
        with self._lock:
            link = self._links.get(key)
            if sysid is not None and name:
                self._names[(key, sysid)] = name
            if link is None:
                tlog = None
                if self.tlog_dir is not None:
                    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
                    safe = key.replace(":", "_").replace("/", "_")
                    tlog = self.tlog_dir / f"{stamp}-{safe}.tlog"
                forwards = [u.shifted(self._links_added) for u in self.mavlink_out]
                link = Link(
                    key,
                    self.bus,
                    vehicle_id_for=lambda s, k=key: self._vehicle_id(k, s),
                    sysids={sysid} if sysid is not None else None,
                    on_vehicle=self._register,
                    signing_key=self.signing_key,
                    tlog_path=tlog,
                    forwards=forwards,
                    **self.link_options,
                )
                self._links_added += 1
                self._links[key] = link
                link.start()
            elif sysid is not None and link.sysids is not None:
                link.sysids.add(sysid)
        if wait_s > 0:
            link.wait_vehicle(sysid, wait_s)
        return link

    def remove(self, url_or_vehicle: str) -> None:
        """Close a link (by URL) or forget one vehicle (by id; its link closes when empty)."""
        with self._lock:
            link = self._links.get(url_or_vehicle)
            if link is None and url_or_vehicle in self._vehicles:
                vehicle = self._vehicles.pop(url_or_vehicle)
                link = vehicle.link
                if any(v.link is link for v in self._vehicles.values()):
                    return
            if link is None:
                try:
                    link = self._links.get(str(LinkUrl.parse(url_or_vehicle)))
                except ValueError:
                    link = None
            if link is None:
                raise UnknownVehicleError(f"no link or vehicle {url_or_vehicle!r} in the fleet")
            self._links.pop(str(link.url), None)
            for vid in [vid for vid, v in self._vehicles.items() if v.link is link]:
                del self._vehicles[vid]
        link.close()

    def close(self) -> None:
        """Close every link."""
        with self._lock:
            links = list(self._links.values())
            self._links.clear()
            self._vehicles.clear()
        for link in links:
            link.close()

    def __enter__(self) -> Fleet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- vehicles ------------------------------------------------------------------

    def _vehicle_id(self, key: str, sysid: int) -> str:
        with self._lock:
            named = self._names.get((key, sysid))
            if named:
                return named
            plain = str(sysid)
            return plain if plain not in self._vehicles else f"{key}#{sysid}"

    def _register(self, vehicle: Vehicle) -> None:
        with self._lock:
            self._vehicles[vehicle.vehicle_id] = vehicle

    def vehicle(self, vehicle_id: str) -> Vehicle:
        try:
            return self._vehicles[vehicle_id]
        except KeyError:
            raise UnknownVehicleError(f"no vehicle {vehicle_id!r} in the fleet") from None

    def vehicles(self) -> dict[str, Vehicle]:
        return dict(self._vehicles)

    def links(self) -> dict[str, Link]:
        return dict(self._links)

    def snapshots(self) -> list[VehicleSnapshot]:
        """Every vehicle's latest snapshot, ordered by id."""
        return [self._vehicles[k].snapshot for k in sorted(self._vehicles)]

    def wait_vehicles(self, count: int, timeout_s: float = 10.0) -> list[Vehicle]:
        """Wait until ``count`` vehicles are heard; returns them ordered by id."""
        import time

        deadline = time.monotonic() + timeout_s
        while len(self._vehicles) < count:
            if time.monotonic() > deadline:
                raise VehicleError(
                    f"only {len(self._vehicles)} of {count} vehicles heard within {timeout_s:g} s"
                )
            time.sleep(0.05)
        return [self._vehicles[k] for k in sorted(self._vehicles)]

    # ---- commands --------------------------------------------------------------------

    def why_not(self, vehicle_id: str, operation: str) -> str | None:
        """Why ``operation`` cannot be taken by the vehicle now (web: 409), or None."""
        return why_not(self.vehicle(vehicle_id), operation)

    def submit(
        self, vehicle_id: str, operation: str, *args: Any, source: str = ""
    ) -> CommandHandle:
        """Start a flight operation (``"rtl"``, ``"goto"``, ``"takeoff"``...) without waiting.

        ``operation`` is a name of :data:`dronepatrol.mavlink.operations.OPERATIONS`.
        Returns a handle (operation id + future) at once; pass ``source="web:alice"``
        to say who asked. Raises UnknownVehicleError or ValueError (unknown
        operation) at once; everything else (refusals, timeouts) comes through
        the future and as the COMMAND_RESULT event with the handle's id.
        """
        return submit_operation(self.vehicle(vehicle_id), operation, *args, source=source)

    def submit_command(self, vehicle_id: str, command: int, *params: float, **kwargs):
        """Queue one raw MAV_CMD; returns a CommandHandle (command id + future) at once."""
        return self.vehicle(vehicle_id).commands.submit(command, *params, **kwargs)

    def run(
        self,
        vehicle_id: str,
        operation: str,
        *args: Any,
        source: str = "",
        timeout_s: float = 600.0,
    ) -> Any:
        """Run a flight operation and wait for it (scripts, the CLI)."""
        return self.submit(vehicle_id, operation, *args, source=source).result(timeout_s)

    # ---- events -----------------------------------------------------------------------

    def subscribe(
        self, maxsize: int = 0, accept: Callable[[Event], bool] | None = None
    ) -> Subscription:
        return self.bus.subscribe(maxsize, accept)
