"""Owner-thread bookkeeping of a link: counters, the send buffer and each vehicle's jobs."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Protocol

from dronepatrol.events import Event, EventBus, EventKind
from dronepatrol.mavlink.jobs import Job
from dronepatrol.mavlink.tracker import VehicleTracker


class SessionLink(Protocol):
    """What a session needs of its link (:class:`~dronepatrol.mavlink.link.Link`)."""

    gcs_sysid: int
    bus: EventBus

    def send(self, msg) -> None: ...


@dataclass
class LinkStats:
    """Counters of one link, for health displays and tests."""

    bytes_in: int = 0
    bytes_out: int = 0
    messages_in: int = 0
    messages_out: int = 0
    bad_data: int = 0
    rejected_signature: int = 0
    unknown_ids: int = 0
    foreign: int = 0
    """Messages from systems or components that are not a vehicle we track."""
    forwarded_in: int = 0
    """Messages that clients of the link's forwards sent on to the vehicle."""
    reconnects: int = 0
    send_failures: int = 0
    handler_errors: int = 0
    ignored_types: dict[str, int] = field(default_factory=dict)


class OutBuffer:
    """The file pymavlink's ``send`` writes into; the owner thread forwards its bytes."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.chunks.append(bytes(data))


class VehicleSession:
    """Owner-thread side of one vehicle: its tracker and its running jobs."""

    def __init__(self, link: SessionLink, tracker: VehicleTracker) -> None:
        self.link = link
        self.tracker = tracker
        self.sysid = tracker.sysid
        self.compid = tracker.compid
        self.gcs_sysid = link.gcs_sysid
        self.lanes: dict[str, deque[Job]] = {}

    def send(self, msg) -> None:
        self.link.send(msg)

    def emit(self, kind: EventKind, /, **data) -> None:
        self.link.bus.publish(Event(kind=kind, vehicle_id=self.tracker.vehicle_id, data=data))

    def add(self, job: Job, now: float) -> None:
        lane = self.lanes.setdefault(job.lane, deque())
        lane.append(job)
        if len(lane) == 1:
            self._start(job, now)

    def _start(self, job: Job, now: float) -> None:
        try:
            job.start(self, now)
        except Exception as exc:  # a job that cannot even start fails alone
            job.fail(exc)

    def offer(self, msg, now: float) -> None:
        for lane in self.lanes.values():
            if lane:
                lane[0].on_message(msg, now)
        self._advance(now)

    def tick(self, now: float) -> None:
        for lane in self.lanes.values():
            if lane:
                lane[0].tick(now)
        self._advance(now)

    def _advance(self, now: float) -> None:
        for lane in self.lanes.values():
            while lane and lane[0].done:
                lane.popleft()
                if lane:
                    self._start(lane[0], now)

    def cancel_all(self, error: Exception) -> None:
        for lane in self.lanes.values():
            for job in lane:
                job.fail(error)
            lane.clear()
