"""What the control app asks of the core's device-side services, as typed interfaces.

The control room holds a fleet, a dispatcher, a patrol scheduler and a
freshness keeper once ``dronepatrol serve`` has built them (tests attach
their own). The web app calls only what is named here: the core's
:class:`~dronepatrol.mavlink.Fleet`,
:class:`~dronepatrol.dispatch.Dispatcher`,
:class:`~dronepatrol.schedule.scheduler.Scheduler` and
:class:`~dronepatrol.freshness.keeper.FreshnessKeeper` provide it, and a
test double need provide no more.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from dronepatrol.events import EventBus
from dronepatrol.state import VehicleSnapshot

if TYPE_CHECKING:
    from dronepatrol.dispatch import DispatchProposal
    from dronepatrol.freshness.patrolled import Camera
    from dronepatrol.incidents import IncidentView
    from dronepatrol.lockdown import LockdownPlan, LockdownStatus, OverwatchPoint
    from dronepatrol.network import Network
    from dronepatrol.network.revisit import RevisitPolicy


class FleetService(Protocol):
    """The vehicles flown from this app (:class:`dronepatrol.mavlink.Fleet`)."""

    bus: EventBus

    def snapshots(self) -> list[VehicleSnapshot]:
        """Every vehicle's latest state."""
        ...

    def why_not(self, vehicle_id: str, operation: str) -> str | None:
        """Why the vehicle cannot take ``operation`` now (HTTP 409), or None."""
        ...

    def submit(self, vehicle_id: str, operation: str, *args: Any, source: str = "") -> Any:
        """Start a flight operation without waiting; its outcome arrives as an event."""
        ...


class DispatchService(Protocol):
    """Sends drones to incidents and holds lockdowns (:class:`dronepatrol.dispatch.Dispatcher`)."""

    def is_busy(self, vehicle_id: str) -> bool: ...

    def propose(self, incident: IncidentView) -> DispatchProposal: ...

    def dispatch(self, incident_id: int, actor: str, vehicle_id: str | None = None) -> str: ...

    def release(self, incident_id: int, actor: str) -> None: ...

    def lockdown(
        self, name: str, points: list[OverwatchPoint], actor: str
    ) -> tuple[LockdownPlan, dict[str, int]]: ...

    def lockdown_status(self) -> LockdownStatus | None: ...

    def release_lockdown(self, actor: str) -> list[int]: ...


class SchedulerService(Protocol):
    """Proposes and flies patrol sorties (:class:`dronepatrol.schedule.scheduler.Scheduler`)."""

    @property
    def mode(self) -> str: ...

    def set_mode(self, mode: str, actor: str) -> None: ...

    def status(self) -> dict[str, Any]: ...

    def approve(self, proposal_id: str, actor: str) -> Any: ...

    def reject(self, proposal_id: str, actor: str) -> Any: ...


class FreshnessService(Protocol):
    """When each target was last patrolled
    (:class:`dronepatrol.freshness.keeper.FreshnessKeeper`)."""

    policy: RevisitPolicy
    camera: Camera

    def in_force(self, now_s: float | None = None) -> Any: ...

    def states(self, now_s: float | None = None) -> list[Any]: ...

    def network_flown(self, start_s: float, end_s: float) -> Network: ...


class CentreService(Protocol):
    """The command centre's city picture and commands (:class:`dronepatrol.city.Centre`)."""

    stale_after_s: float

    def stations(self, now_s: float | None = None) -> list[dict[str, Any]]: ...

    def vehicles(self) -> list[dict[str, Any]]: ...

    def network(self, station: str) -> dict[str, Any] | None: ...

    def command(
        self,
        station: str,
        vehicle: str,
        operation: str,
        actor: str,
        arguments: list[Any] | None = None,
        *,
        role: str = "operator",
        deadline_s: float = 10.0,
    ) -> Any: ...
