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
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any, cast

log = logging.getLogger(__name__)


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


class BusWorker:
    """A named daemon thread that hands each event of one subscription to a handler.

    The one way a consumer with work too slow for a bus callback (the alert
    book, the energy watch, the scheduler, the freshness keeper, sortie video)
    listens: it subscribes on :meth:`start`, calls ``handle(event)`` for each
    event in order, and, when ``tick`` is given, calls ``tick()`` once at start
    and then every ``every_s`` seconds on the same thread (so handler and tick
    never race). An exception from either is logged with the worker's name and
    the thread goes on: one odd event must not silence a watch. :meth:`stop`
    ends the thread; events still queued then are dropped.

    Args:
        bus: the event bus to subscribe to.
        name: the thread's name (shown in logs and thread dumps).
        handle: called with each event the subscription keeps.
        accept: which events to keep (None: every event).
        maxsize: the subscription's queue size (0: unbounded; see :class:`Subscription`).
        tick: called periodically on the worker's thread, or None.
        every_s: period of ``tick`` [s].
        poll_s: longest wait for an event before the stop flag is looked at again [s].
    """

    def __init__(
        self,
        bus: EventBus,
        name: str,
        handle: Callable[[Event], None],
        *,
        accept: Callable[[Event], bool] | None = None,
        maxsize: int = 0,
        tick: Callable[[], None] | None = None,
        every_s: float = 1.0,
        poll_s: float = 0.5,
    ) -> None:
        if tick is not None and every_s <= 0:
            raise ValueError(f"every_s must be > 0 s, got {every_s!r}")
        self.bus = bus
        self.name = name
        self.handle = handle
        self.accept = accept
        self.maxsize = maxsize
        self.tick = tick
        self.every_s = every_s
        self.poll_s = poll_s
        self.errors = 0
        """Exceptions raised by ``handle`` or ``tick`` so far (each one logged)."""
        self._stop = threading.Event()
        self._subscription: Subscription | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """True while the worker's thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> BusWorker:
        """Subscribe and start the thread; events published from now on are handled."""
        if self._thread is not None:
            raise RuntimeError(f"bus worker {self.name!r} already started")
        self._subscription = self.bus.subscribe(self.maxsize, self.accept)
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop the thread and unsubscribe; waits up to ``timeout_s`` for a handler running now."""
        self._stop.set()
        if self._subscription is not None:
            self._subscription.close()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout_s)

    def _run(self) -> None:
        assert self._subscription is not None
        next_tick = time.monotonic()
        while not self._stop.is_set():
            if self.tick is not None and time.monotonic() >= next_tick:
                self._call(self.tick)
                next_tick = time.monotonic() + self.every_s
            wait_s = self.poll_s
            if self.tick is not None:
                wait_s = max(0.0, min(wait_s, next_tick - time.monotonic()))
            event = self._subscription.get(timeout_s=wait_s)
            if event is not None and not self._stop.is_set():
                self._call(self.handle, event)

    def _call(self, work: Callable[..., None], *event: Event) -> None:
        try:
            work(*event)
        except Exception:  # logged; the worker keeps listening
            self.errors += 1
            what = "periodic pass"
            if event:
                what = f"{event[0].kind} event of vehicle {event[0].vehicle_id}"
            log.exception("%s: %s failed", self.name, what)
