"""The event bus: one small publish/subscribe hub for fleet and patrol events.

Producers (the link thread, the video pipeline, the scheduler) publish
:class:`Event` objects; consumers (the recorder, the web app's push stream)
subscribe. Publishing never blocks the producer: each subscription has its
own queue, and a bounded queue that is full drops its oldest event and counts
the drop, so one slow consumer cannot stall a link thread. Video frames never
go through the bus.
"""

from __future__ import annotations

import contextlib
import itertools
import queue
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any, cast


class EventKind(StrEnum):
    """What happened. Values are stable strings stored in the sortie record."""

    LINK_UP = "link_up"
    LINK_LOST = "link_lost"
    LINK_RESTORED = "link_restored"
    ARMED = "armed"
    DISARMED = "disarmed"
    MODE_CHANGED = "mode_changed"
    LANDED_STATE = "landed_state"
    WAYPOINT_REACHED = "waypoint_reached"
    MISSION_CURRENT = "mission_current"
    MISSION_UPLOAD = "mission_upload"
    STATUSTEXT = "statustext"
    FAILSAFE = "failsafe"
    MEDIA = "media"
    """A media file of a sortie (tlog, video, snapshot): data ``path``, ``kind``,
    ``complete`` (False while still being written; hashed when the sortie ends)."""
    COMMAND_SENT = "command_sent"
    COMMAND_RESULT = "command_result"
    TELEMETRY = "telemetry"
    DETECTION = "detection"
    INCIDENT = "incident"
    DISPATCH = "dispatch"
    FRESHNESS = "freshness"
    """Targets a finished sortie patrolled: data ``sortie`` and ``patrolled`` (target ids)."""
    RECORDING = "recording"
    SCHEDULE = "schedule"
    """The patrol scheduler: data ``stage`` (proposed, approved, rejected, expired,
    uploading, launched, failed, mode), ``proposal``, ``station``, ``targets``."""
    ENERGY = "energy"
    """The energy watch: data ``stage`` (low, return_now, rtl_accepted, rtl_failed), ``text``
    and the figures (see :mod:`dronepatrol.energy.watch`)."""
    ALERT = "alert"
    """An operator alert raised, acknowledged or cleared: data ``action`` and ``alert``
    (see :mod:`dronepatrol.alerts`)."""
    LARGE_EVENT = "large_event"
    """A large event was added or ended early: data ``event`` (its id) and ``action``."""


_sequence = itertools.count(1)


@dataclass(frozen=True)
class Event:
    """One thing that happened, immutable once published.

    Attributes:
        kind: what happened.
        vehicle_id: the vehicle it concerns, or None for fleet-wide events.
        data: details; JSON-serialisable values only (it is stored and pushed
            to browsers as it is).
        time_s: wall-clock time it happened [s since the Unix epoch, UTC].
        seq: process-wide publication order, for stable sorting of events
            that share a timestamp.
    """

    kind: EventKind
    vehicle_id: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)
    time_s: float = field(default_factory=time.time)
    seq: int = field(default_factory=lambda: next(_sequence))

    def __post_init__(self) -> None:
        object.__setattr__(self, "data", MappingProxyType(dict(self.data)))

    def as_dict(self) -> dict[str, Any]:
        """A plain dict for JSON: kind, vehicle_id, time_s, seq and data."""
        return {
            "kind": str(self.kind),
            "vehicle_id": self.vehicle_id,
            "time_s": self.time_s,
            "seq": self.seq,
            "data": dict(self.data),
        }


_WAKE_UP = object()
"""Put in a subscription's queue when it closes, so a consumer blocked in ``get`` returns."""


class Subscription:
    """A consumer's queue of events. Iterate it, or call :meth:`get`.

    ``maxsize`` 0 keeps every event (for the recorder, which must lose
    nothing); a positive size drops the oldest event when full (for browser
    pushes, where the newest state matters) and counts it in ``dropped``.
    """

    def __init__(
        self,
        bus: EventBus,
        maxsize: int,
        accept: Callable[[Event], bool] | None,
    ) -> None:
        self._bus = bus
        self._queue: queue.Queue[Event | object] = queue.Queue(maxsize)
        self._accept = accept
        self._lock = threading.Lock()
        self.dropped = 0
        self.closed = False

    def _offer(self, event: Event) -> None:
        if self._accept is not None and not self._accept(event):
            return
        with self._lock:
            while True:
                try:
                    self._queue.put_nowait(event)
                    return
                except queue.Full:
                    try:
                        self._queue.get_nowait()
                        self.dropped += 1
                    except queue.Empty:
                        pass

    def get(self, timeout_s: float | None = None) -> Event | None:
        """The next event, or None after ``timeout_s`` seconds with none (or on :meth:`close`)."""
        try:
            event = self._queue.get(timeout=timeout_s)
        except queue.Empty:
            return None
        return None if event is _WAKE_UP else cast(Event, event)

    def drain(self) -> list[Event]:
        """Every event queued now, without waiting."""
        events: list[Event] = []
        while True:
            try:
                event = self._queue.get_nowait()
            except queue.Empty:
                return events
            if event is not _WAKE_UP:
                events.append(cast(Event, event))

    def close(self) -> None:
        """Stop receiving events; a consumer waiting in :meth:`get` gets None at once.

        So a worker that polls ``get`` with a timeout stops without waiting it
        out (a control app's Ctrl-C returned half a second later per such worker).
        """
        self.closed = True
        self._bus._remove(self)
        with contextlib.suppress(queue.Full):  # when full, ``get`` returns at once anyway
            self._queue.put_nowait(_WAKE_UP)

    def __iter__(self) -> Iterator[Event]:
        while not self.closed:
            event = self.get(timeout_s=0.5)
            if event is not None:
                yield event

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class EventBus:
    """Thread-safe fan-out of events to subscriptions and callbacks.

    Callbacks run on the publisher's thread and must be quick and never
    block; anything slower subscribes with a queue.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscriptions: tuple[Subscription, ...] = ()
        self._callbacks: tuple[Callable[[Event], None], ...] = ()

    def subscribe(
        self, maxsize: int = 0, accept: Callable[[Event], bool] | None = None
    ) -> Subscription:
        """A new queue of every event published from now on (or those ``accept`` keeps)."""
        subscription = Subscription(self, maxsize, accept)
        with self._lock:
            self._subscriptions = (*self._subscriptions, subscription)
        return subscription

    def add_callback(self, callback: Callable[[Event], None]) -> None:
        """Call ``callback(event)`` on the publisher's thread for every event."""
        with self._lock:
            self._callbacks = (*self._callbacks, callback)

    def remove_callback(self, callback: Callable[[Event], None]) -> None:
        with self._lock:
            self._callbacks = tuple(c for c in self._callbacks if c is not callback)

    def _remove(self, subscription: Subscription) -> None:
        with self._lock:
            self._subscriptions = tuple(s for s in self._subscriptions if s is not subscription)

    def publish(self, event: Event) -> None:
        """Deliver ``event`` to every subscriber; never blocks."""
        for subscription in self._subscriptions:
            subscription._offer(event)
        for callback in self._callbacks:
            callback(event)

    def emit(self, kind: EventKind, vehicle_id: str | None = None, **data: Any) -> Event:
        """Build and publish an event; returns it."""
        event = Event(kind=kind, vehicle_id=vehicle_id, data=data)
        self.publish(event)
        return event
