"""The control room: everything the app's requests share, built by ``create_app``.

Held in ``app.extensions["dronepatrol"]``, never in module globals, so tests
build as many independent apps as they like. Nothing here starts a device
thread: the composition root, :class:`dronepatrol.cli.runtime.ControlRuntime`
(what ``dronepatrol serve`` runs), builds the fleet and the services, attaches
them here, starts them, and at exit stops them and then this room.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, g, request
from sqlalchemy import Engine

from dronepatrol.accounts import AccountService
from dronepatrol.events import EventBus
from dronepatrol.incidents import IncidentBook
from dronepatrol.large_events import LargeEventBook
from dronepatrol.network import Network
from dronepatrol.planning import DroneProfile
from dronepatrol.planning.airspace import Airspace
from dronepatrol.settings import Settings
from dronepatrol.state import VehicleSnapshot
from dronepatrol.web.security import LoginThrottle
from dronepatrol.web.services import (
    CentreService,
    DispatchService,
    FleetService,
    FreshnessService,
    SchedulerService,
)

log = logging.getLogger(__name__)


@dataclass
class ControlRoom:
    """Shared state of one control app.

    Attributes:
        settings: the installation's settings.
        engine: the database.
        accounts: users, tokens, audit log.
        incidents: the incidents reported and how they were answered.
        large_events: temporary zones with their own patrol targets.
        clock: wall-clock time [s since the epoch] (tests pass one they can move).
        bus: the event bus the fleet, recorder and browsers share.
        login_throttle: failed sign-ins by address and name.
        fleet: the vehicles flown from this app, once attached.
        dispatcher: sends the fleet's drones to incidents (with the fleet).
        snapshots: the fleet's current vehicle snapshots (none until a fleet is attached).
        network: the loaded patrol network, or None.
        network_geojson: the same network as GeoJSON, for the map.
        plans: plans made in this session, by plan id (:class:`PlanResult`).
        freshness: when each target was last patrolled (with a network).
        scheduler: the patrol scheduler (with a network and a fleet).
        registry: the :class:`dronepatrol.registry.FleetRegistry` served with, or None
            (then every vehicle heard is known). Set it before :meth:`attach_fleet`.
        flown: the fleet as dispatch and the scheduler fly it (registered vehicles
            only, with a registry), once attached.
        alerts: the :class:`dronepatrol.alerts.AlertBook` (its thread starts when served).
        energy: the :class:`dronepatrol.energy.EnergyWatch`, with a fleet: each vehicle's
            pack and consumption, and sortie checks against them.
        city: the :class:`dronepatrol.city.Centre` in centre mode (None otherwise).
        extensions: per-app helpers made on first use (the live-stream hub).
        closers: what :meth:`stop` closes, last added first (the live-stream hub).
    """

    settings: Settings
    engine: Engine
    accounts: AccountService
    incidents: IncidentBook
    large_events: LargeEventBook
    clock: Callable[[], float] = time.time
    bus: EventBus = field(default_factory=EventBus)
    login_throttle: LoginThrottle = field(default_factory=LoginThrottle)
    fleet: FleetService | None = None
    dispatcher: DispatchService | None = None
    snapshots: Callable[[], list[VehicleSnapshot]] = field(default=lambda: [])
    network: Network | None = None
    network_geojson: dict[str, Any] | None = None
    plans: dict[str, Any] = field(default_factory=dict)
    freshness: FreshnessService | None = None
    scheduler: SchedulerService | None = None
    registry: Any = None
    flown: Any = None
    alerts: Any = None
    energy: Any = None
    city: CentreService | None = None
    extensions: dict[str, Any] = field(default_factory=dict)
    closers: list[Callable[[], Any]] = field(default_factory=list)

    def endurance_left_s(self, snapshot: VehicleSnapshot) -> float | None:
        """The vehicle's cruise flight left before the reserve [s], when the energy model
        knows its pack (None without an energy watch or a battery capacity)."""
        if self.energy is None:
            return None
        return self.energy.endurance_left_s(snapshot.vehicle_id)

    def attach_fleet(self, fleet: FleetService) -> None:
        """Fly ``fleet``'s vehicles from this app (its bus must be this room's bus).

        With a registry, dispatch and the scheduler see its vehicles only.
        """
        if fleet.bus is not self.bus:
            raise ValueError("the fleet must publish on the control room's event bus")
        from dronepatrol.dispatch import Dispatcher
        from dronepatrol.registry import RegisteredFleet

        self.fleet = fleet
        self.snapshots = fleet.snapshots  # every vehicle heard: unknown ones are shown
        self.flown = fleet if self.registry is None else RegisteredFleet(fleet, self.registry)
        self.dispatcher = Dispatcher(
            self.flown, self.incidents, self.bus, airspace=self.airspace, clock=self.clock
        )

    def unknown_vehicle(self, vehicle_id: str) -> str | None:
        """Why ``vehicle_id`` must not be commanded (not in the fleet registry), or None."""
        if self.registry is None or self.registry.knows(vehicle_id):
            return None
        return (
            f"vehicle {vehicle_id} is not in the fleet registry (heard on a link, "
            "never registered): it is not commanded; add it to the registry if it is ours"
        )

    def airspace(self) -> Airspace:
        """The loaded network's no-fly zones as errands keep out of them (none without one).

        Built once per network: routes and vantage points for dispatch,
        lockdown holds, gotos from the map and the way home.
        """
        network = self.network
        cached = self.extensions.get("airspace")
        if cached is None or cached[0] is not network:
            zones = network.nofly if network is not None else ()
            cached = (network, Airspace(zones, DroneProfile().nofly_margin_m))
            self.extensions["airspace"] = cached
        return cached[1]

    def stop(self) -> None:
        """Close the room's own helpers, last added first, then the database.

        The device side (fleet, recorder, scheduler...) belongs to whoever
        started it and is stopped before this.
        """
        while self.closers:
            close = self.closers.pop()
            try:
                close()
            except Exception:  # one stubborn helper must not keep the database open
                log.exception("closing %r failed", close)
        self.engine.dispose()


def control_room() -> ControlRoom:
    """The control room of the app handling the current request."""
    return current_app.extensions["dronepatrol"]


def audit(action: str, ok: bool, **detail: Any) -> None:
    """Append to the audit log what the signed-in user of this request did, and from where."""
    control_room().accounts.audit(g.user.name, action, ok, request.remote_addr or "", **detail)
