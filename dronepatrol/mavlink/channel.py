"""What one vehicle's plugins need of its link, and nothing more.

A :class:`VehicleChannel` binds a link to one system id: it submits protocol
jobs to the link's owner thread, runs long flight operations on the link's
operation pool, publishes on the link's bus, and reads what the tracker heard
(parameters, STATUSTEXTs). The plugins of :mod:`dronepatrol.mavlink.plugins`
take a channel in their constructor, so none of them holds the link itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol

from dronepatrol.events import EventBus
from dronepatrol.mavlink.jobs import Job


class LinkPort(Protocol):
    """The parts of :class:`~dronepatrol.mavlink.link.Link` a vehicle uses."""

    url: object
    """Where the link connects (a :class:`~dronepatrol.mavlink.urls.LinkUrl`)."""
    bus: EventBus
    ops_pool: ThreadPoolExecutor
    sessions: dict[int, Any]
    """Each vehicle's owner-thread session (its ``tracker`` holds what was heard)."""

    def submit(self, sysid: int, job: Job) -> Future: ...


class VehicleChannel:
    """One vehicle's way to its link: jobs in, events out, the tracker's records read.

    Args:
        link: the link the vehicle was heard on.
        sysid: the vehicle's MAVLink system id.
        vehicle_id: the controller's id for it (events carry it).
    """

    def __init__(self, link: LinkPort, sysid: int, vehicle_id: str) -> None:
        self._link = link
        self.sysid = sysid
        self.vehicle_id = vehicle_id

    @property
    def bus(self) -> EventBus:
        """Where this vehicle's events are published."""
        return self._link.bus

    def submit(self, job: Job) -> Future:
        """Run ``job`` on the link's owner thread; returns its future (never blocks)."""
        return self._link.submit(self.sysid, job)

    def run_in_background(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Future:
        """Run a blocking flight operation on the link's pool (shut down with the link)."""
        return self._link.ops_pool.submit(fn, *args, **kwargs)

    def heard_params(self) -> dict[str, float]:
        """Parameters the tracker heard so far (those the controller needs: read on connect)."""
        session = self._link.sessions.get(self.sysid)
        return dict(session.tracker.params) if session else {}

    def recent_statustexts(self, since_s: float) -> list[str]:
        """STATUSTEXTs heard in the last ``since_s`` [s], oldest first."""
        session = self._link.sessions.get(self.sysid)
        if session is None:
            return []
        return session.tracker.recent_texts(time.monotonic() - since_s)
