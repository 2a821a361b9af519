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
from dronepatrol.settings import Settings
from dronepatrol.state import VehicleSnapshot
from dronepatrol.web.security import LoginThrottle
from dronepatrol.web.services import (
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
    extensions: dict[str, Any] = field(default_factory=dict)
    closers: list[Callable[[], Any]] = field(default_factory=list)

    def attach_fleet(self, fleet: FleetService) -> None:
        """Fly ``fleet``'s vehicles from this app (its bus must be this room's bus)."""
        if fleet.bus is not self.bus:
            raise ValueError("the fleet must publish on the control room's event bus")
        from dronepatrol.dispatch import Dispatcher

        self.fleet = fleet
        self.snapshots = fleet.snapshots
        self.dispatcher = Dispatcher(fleet, self.incidents, self.bus)

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
