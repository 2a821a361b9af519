"""The alert book: alerts raised from the fleet's events, kept until an operator acknowledges them.

One :class:`AlertBook` per control app reads the bus on a thread of its own,
applies :func:`dronepatrol.alerts.rules.judge` to each event and keeps one
alert per (vehicle, kind). Every change is published as an ``alert`` event
(``action`` raised, acknowledged or cleared; ``alert`` its JSON form;
``text``; ``by`` the person who acknowledged), so browsers show it at once
and the sortie recorder files it with the vehicle's sortie. An alert stays
active until acknowledged; its condition may clear before that (a link that
came back) and the operator still sees that it happened. Once acknowledged,
an alert whose condition still stands is not raised again until the
condition has cleared: one acknowledgement per occurrence, not per sample.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from typing import Any

from dronepatrol.alerts.rules import LOW_BATTERY_PCT, SEVERITY, judge, silent
from dronepatrol.events import BusWorker, Event, EventBus, EventKind
from dronepatrol.state import VehicleSnapshot

_WATCHED = frozenset(
    {
        EventKind.ENERGY,
        EventKind.FAILSAFE,
        EventKind.STATUSTEXT,
        EventKind.LINK_LOST,
        EventKind.LINK_RESTORED,
        EventKind.TELEMETRY,
    }
)
KEEP_ACKNOWLEDGED = 200
"""Acknowledged alerts kept for ``recent()`` (the sortie record keeps them all)."""


class AlertError(LookupError):
    """No such alert, or it cannot be acknowledged; the message says why."""


@dataclass(frozen=True)
class Alert:
    """One alert for operators.

    Attributes:
        id: ``A<n>``, unique in this app's lifetime.
        vehicle_id: the drone it concerns.
        kind: see :mod:`dronepatrol.alerts.rules`; severity: ``critical`` or ``warning``.
        text: one line for the operator (plain text: never render it as HTML).
        raised_s: when raised [s since the epoch]; updated_s: when its text last changed.
        active_condition: False once the condition cleared (link back, battery swapped).
        acknowledged_by, acknowledged_s: who acknowledged it and when.
    """

    id: str
    vehicle_id: str
    kind: str
    severity: str
    text: str
    raised_s: float
    updated_s: float
    active_condition: bool = True
    acknowledged_by: str | None = None
    acknowledged_s: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class AlertBook:
    """Active alerts of the fleet, raised from the bus, acknowledged by people.

    Args:
        bus: the fleet's event bus (read, and where ``alert`` events go).
        snapshots: the fleet's snapshots (vehicle names for the texts).
        low_pct: remaining charge [%] that raises a low-battery alert.
        silence_s: an armed vehicle without telemetry this long is "not reporting" [s].
        clock: wall clock [s since the epoch].
    """

    def __init__(
        self,
        bus: EventBus,
        snapshots: Callable[[], Iterable[VehicleSnapshot]] = lambda: (),
        *,
        low_pct: float = LOW_BATTERY_PCT,
        silence_s: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.bus = bus
        self.snapshots = snapshots
        self.low_pct = low_pct
        self.silence_s = silence_s
        self.clock = clock
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._active: dict[tuple[str, str], Alert] = {}
        self._acknowledged: deque[Alert] = deque(maxlen=KEEP_ACKNOWLEDGED)
        self._seen: set[tuple[str, str]] = set()
        """Acknowledged alerts whose condition still stands: not raised again until it clears."""
        self._last_sample: dict[str, tuple[float, bool]] = {}
        self._worker = BusWorker(
            bus,
            "alert-book",
            self.observe,
            accept=lambda e: e.kind in _WATCHED,
            tick=self.check_silence,
            every_s=1.0,
        )

    # ------------------------------------------------------------------ running

    def start(self) -> AlertBook:
        """Judge the bus's events and look for silent vehicles every second, on a thread."""
        self._worker.start()
        return self

    def stop(self) -> None:
        self._worker.stop(5.0)

    # ------------------------------------------------------------------ reading

    def active(self) -> list[Alert]:
        """Alerts not yet acknowledged, critical first, then oldest first."""
        with self._lock:
            alerts = list(self._active.values())
        return sorted(alerts, key=lambda a: (a.severity != "critical", a.raised_s, a.id))

    def recent(self) -> list[Alert]:
        """The active alerts, then the last acknowledged ones (newest first)."""
        with self._lock:
            done = sorted(self._acknowledged, key=lambda a: a.acknowledged_s or 0.0, reverse=True)
        return self.active() + done

    def get(self, alert_id: str) -> Alert:
        with self._lock:
            for alert in (*self._active.values(), *self._acknowledged):
                if alert.id == alert_id:
                    return alert
        raise AlertError(f"no alert {alert_id!r}; GET /api/alerts lists them")

    # ------------------------------------------------------------------ acting

    def acknowledge(self, alert_id: str, person: str) -> Alert:
        """``person`` has seen the alert: it leaves the active list (and is recorded)."""
        with self._lock:
            key = next((k for k, a in self._active.items() if a.id == alert_id), None)
            if key is None:
                done = next((a for a in self._acknowledged if a.id == alert_id), None)
                if done is not None:
                    raise AlertError(
                        f"alert {alert_id} was already acknowledged by {done.acknowledged_by}"
                    )
                raise AlertError(f"no alert {alert_id!r}; GET /api/alerts lists them")
            alert = replace(
                self._active.pop(key), acknowledged_by=person, acknowledged_s=self.clock()
            )
            self._acknowledged.append(alert)
            if alert.active_condition:
                self._seen.add(key)
        self._publish("acknowledged", alert, by=person)
        return alert

    def observe(self, event: Event) -> None:
        """Raise and clear alerts for one bus event."""
        vid = event.vehicle_id
        if vid is None or event.kind not in _WATCHED:
            return
        if event.kind is EventKind.TELEMETRY:
            with self._lock:
                self._last_sample[vid] = (self.clock(), bool(event.data.get("armed")))
        verdict = judge(str(event.kind), event.data, self._name(vid), self.low_pct)
        for kind in verdict.clear:
            self._clear(vid, kind)
        for kind, text in verdict.raise_:
            self._raise(vid, kind, text)

    def check_silence(self) -> None:
        """Raise ``not_reporting`` for armed vehicles that went quiet."""
        with self._lock:
            samples = dict(self._last_sample)
        for vid, quiet_s in silent(samples, self.clock(), self.silence_s):
            self._raise(
                vid, "not_reporting", f"{self._name(vid)}: no telemetry for {quiet_s:.0f} s"
            )

    def _raise(self, vid: str, kind: str, text: str) -> None:
        now = self.clock()
        with self._lock:
            if (vid, kind) in self._seen:
                return  # acknowledged, and its condition never cleared since
            existing = self._active.get((vid, kind))
            if existing is not None and existing.active_condition:
                return  # already raised and still standing: one alert, not one per sample
            if existing is not None:  # came back before anyone acknowledged it
                alert = replace(existing, text=text, updated_s=now, active_condition=True)
            else:
                alert = Alert(f"A{next(self._ids)}", vid, kind, SEVERITY[kind], text, now, now)
            self._active[(vid, kind)] = alert
        self._publish("raised", alert)

    def _clear(self, vid: str, kind: str) -> None:
        with self._lock:
            self._seen.discard((vid, kind))  # the next time it happens is a new alert
            existing = self._active.get((vid, kind))
            if existing is None or not existing.active_condition:
                return
            alert = replace(existing, active_condition=False, updated_s=self.clock())
            self._active[(vid, kind)] = alert
        self._publish("cleared", alert)

    def _publish(self, action: str, alert: Alert, by: str | None = None) -> None:
        data: dict[str, Any] = {"action": action, "alert": alert.as_dict()}
        if action == "acknowledged":
            data["text"] = f"alert acknowledged by {by}: {alert.text}"
            data["by"] = by
        elif action == "cleared":
            data["text"] = f"alert condition cleared: {alert.text}"
        else:
            data["text"] = f"ALERT ({alert.severity}): {alert.text}"
        self.bus.emit(EventKind.ALERT, alert.vehicle_id, **data)

    def _name(self, vid: str) -> str:
        for snap in self.snapshots():
            if snap.vehicle_id == vid:
                return snap.name or vid
        return vid
