"""The control room: everything the app's requests share, built by ``create_app``.

Held in ``app.extensions["dronepatrol"]``, never in module globals, so tests
build as many independent apps as they like. Device threads (the fleet's
links, video capture, the recorder) are not started here: ``start()`` is
called by ``dronepatrol serve`` only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, g, request
from sqlalchemy import Engine

from dronepatrol.accounts import AccountService
from dronepatrol.events import EventBus
from dronepatrol.settings import Settings
from dronepatrol.state import VehicleSnapshot
from dronepatrol.web.security import LoginThrottle


@dataclass
class ControlRoom:
    """Shared state of one control app.

    Attributes:
        settings: the installation's settings.
        engine: the database.
        accounts: users, tokens, audit log.
        bus: the event bus the fleet, recorder and browsers share.
        login_throttle: failed sign-ins by address and name.
        incidents: the :class:`dronepatrol.incidents.IncidentBook`.
        fleet: the :class:`dronepatrol.mavlink.Fleet` flying the vehicles, once attached.
        dispatcher: sends the fleet's drones to incidents (with the fleet).
        snapshots: the fleet's current vehicle snapshots (none until a fleet is attached).
        network: the loaded :class:`dronepatrol.network.Network`, or None.
        network_geojson: the same network as GeoJSON, for the map.
        plans: plans made in this session, by plan id (:class:`PlanResult`).
        freshness: the :class:`dronepatrol.freshness.keeper.FreshnessKeeper`, with a network.
        scheduler: the :class:`dronepatrol.schedule.scheduler.Scheduler`, with a network
            and a fleet.
        large_events: the :class:`dronepatrol.large_events.LargeEventBook`.
        extensions: per-app helpers made on first use (the live-stream hub).
        starters / stoppers: device threads to start when served and stop at exit.
    """

    settings: Settings
    engine: Engine
    accounts: AccountService
    bus: EventBus = field(default_factory=EventBus)
    login_throttle: LoginThrottle = field(default_factory=LoginThrottle)
    incidents: Any = None
    fleet: Any = None
    dispatcher: Any = None
    snapshots: Callable[[], list[VehicleSnapshot]] = field(default=lambda: [])
    network: Any = None
    network_geojson: dict[str, Any] | None = None
    plans: dict[str, Any] = field(default_factory=dict)
    freshness: Any = None
    scheduler: Any = None
    large_events: Any = None
    extensions: dict[str, Any] = field(default_factory=dict)
    starters: list[Callable[[], Any]] = field(default_factory=list)
    stoppers: list[Callable[[], Any]] = field(default_factory=list)
    started: bool = False

    def attach_fleet(self, fleet: Any) -> None:
        """Fly ``fleet``'s vehicles from this app (its bus must be this room's bus)."""
        if fleet.bus is not self.bus:
            raise ValueError("the fleet must publish on the control room's event bus")
        from dronepatrol.dispatch import Dispatcher

        self.fleet = fleet
        self.snapshots = fleet.snapshots
        self.dispatcher = Dispatcher(fleet, self.incidents, self.bus)

    def start(self) -> None:
        """Start the device threads (once)."""
        if self.started:
            return
        self.started = True
        for start in self.starters:
            start()

    def stop(self) -> None:
        """Stop the device threads, last started first, then close the database."""
        for stop in reversed(self.stoppers):
            stop()
        self.started = False
        self.engine.dispose()


def control_room() -> ControlRoom:
    """The control room of the app handling the current request."""
    return current_app.extensions["dronepatrol"]


def audit(action: str, ok: bool, **detail: Any) -> None:
    """Append to the audit log what the signed-in user of this request did, and from where."""
    control_room().accounts.audit(g.user.name, action, ok, request.remote_addr or "", **detail)
