"""After a restart: sorties left open are continued or closed as interrupted.

At start-up the recorder hands the fleet's current snapshots to
:meth:`RestartMixin.recover`. A sortie whose vehicle the fleet hears armed is
continued (a ``recorder_resumed`` event names the gap); one whose vehicle is
heard disarmed on the ground is closed as interrupted at its last record. A
vehicle not heard yet (its link still connecting) is awaited: its first
armed/disarmed event or telemetry decides, or ``resume_grace_s`` runs out and
the sortie is closed as interrupted.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, func, select

from dronepatrol.database.record_tables import Outcome, Sortie, SortieEvent, TrackSample
from dronepatrol.events import Event, EventKind
from dronepatrol.records.audit import OpenSortie
from dronepatrol.records.batch import Batch, LedgerState
from dronepatrol.records.telemetry import heard_armed
from dronepatrol.state import LinkState, VehicleSnapshot


class RestartMixin:
    """The restart half of :class:`~dronepatrol.records.ledger.SortieLedger`."""

    state: LedgerState
    resume_grace_s: float

    # provided by SortieLedger
    def open_sortie(
        self,
        connection: Connection,
        vid: str,
        time_s: float,
        data: Any,
        batch: Batch,
        how: str = "armed",
    ) -> OpenSortie:
        raise NotImplementedError

    def close_sortie(
        self,
        connection: Connection,
        sortie: OpenSortie,
        time_s: float,
        data: Any,
        batch: Batch,
        outcome: tuple[Outcome, str] | None = None,
    ) -> None:
        raise NotImplementedError

    def recover(
        self, connection: Connection, snapshots: Iterable[VehicleSnapshot], batch: Batch
    ) -> None:
        """Settle every sortie a previous run left open, given the fleet's ``snapshots``."""
        by_vehicle = {s.vehicle_id: s for s in snapshots}
        now_mono = time.monotonic()
        rows = connection.execute(
            select(Sortie.id, Sortie.vehicle_id, Sortie.started_s)
            .where(Sortie.outcome.is_(None))
            .order_by(Sortie.started_s)
        ).all()
        for sortie_id, vid, started_s in rows:
            older = self.state.awaiting.pop(vid, None)
            if older is not None:  # two open sorties for one vehicle: the older ended unseen
                self.interrupt(connection, older[0], vid, older[1], "a later sortie began", batch)
            snap = by_vehicle.get(vid)
            if snap is not None and snap.link == LinkState.UP:
                if snap.armed:
                    self.resume(connection, sortie_id, vid, started_s, batch)
                else:
                    why = "the vehicle was on the ground, disarmed, when recording restarted"
                    self.interrupt(connection, sortie_id, vid, started_s, why, batch)
            else:
                deadline = now_mono + self.resume_grace_s
                self.state.awaiting[vid] = (sortie_id, started_s, deadline)
        for vid, snap in by_vehicle.items():
            known = vid in self.state.open or vid in self.state.awaiting
            if snap.armed and snap.link == LinkState.UP and not known:
                self.open_sortie(
                    connection,
                    vid,
                    snap.time_s or time.time(),
                    {"name": snap.name},
                    batch,
                    how="vehicle already armed when recording started",
                )

    def last_record_s(self, connection: Connection, sortie_id: int, started_s: float) -> float:
        last_track = connection.execute(
            select(func.max(TrackSample.time_s)).where(TrackSample.sortie_id == sortie_id)
        ).scalar()
        last_event = connection.execute(
            select(func.max(SortieEvent.time_s)).where(SortieEvent.sortie_id == sortie_id)
        ).scalar()
        return max(t for t in (last_track, last_event, started_s) if t is not None)

    def resume(
        self, connection: Connection, sortie_id: int, vid: str, started_s: float, batch: Batch
    ) -> None:
        sortie = OpenSortie(sortie_id, vid, started_s)
        history = connection.execute(
            select(SortieEvent.time_s, SortieEvent.seq, SortieEvent.kind, SortieEvent.data)
            .where(SortieEvent.sortie_id == sortie_id)
            .order_by(SortieEvent.time_s)
        )
        for time_s, seq, kind, data in history:
            if kind in {k.value for k in EventKind}:
                sortie.observe(Event(EventKind(kind), vid, data or {}, time_s, seq))
        last_s = self.last_record_s(connection, sortie_id, started_s)
        now = time.time()
        self.state.open[vid] = sortie
        batch.events.append(
            {
                "sortie_id": sortie_id,
                "vehicle_id": vid,
                "time_s": now,
                "seq": 0,
                "kind": "recorder_resumed",
                "command": None,
                "result": None,
                "actor": None,
                "text": f"recording resumed after a {now - last_s:.1f} s gap (controller restart)",
                "data": {"gap_s": round(now - last_s, 3), "last_record_s": last_s},
            }
        )

    def interrupt(
        self,
        connection: Connection,
        sortie_id: int,
        vid: str,
        started_s: float,
        why: str,
        batch: Batch,
    ) -> None:
        last_s = self.last_record_s(connection, sortie_id, started_s)
        reason = f"the controller stopped mid-sortie; {why}"
        sortie = OpenSortie(sortie_id, vid, started_s)
        self.close_sortie(
            connection, sortie, last_s, {}, batch, outcome=(Outcome.INTERRUPTED, reason)
        )

    def settle(self, connection: Connection, vid: str, event: Event, batch: Batch) -> None:
        """Decide an awaited sortie from the first word of its vehicle after a restart."""
        sortie_id, started_s, _ = self.state.awaiting[vid]
        if event.kind in (EventKind.ARMED, EventKind.DISARMED):
            flying: bool | None = True  # disarming now means it flew until now
        elif event.kind == EventKind.TELEMETRY:
            flying = heard_armed(event)
        else:
            flying = None
        if flying is None:
            return
        del self.state.awaiting[vid]
        if flying:
            self.resume(connection, sortie_id, vid, started_s, batch)
        else:
            why = "the vehicle was on the ground, disarmed, when its link came back"
            self.interrupt(connection, sortie_id, vid, started_s, why, batch)

    def expire_awaiting(self, connection: Connection, batch: Batch) -> None:
        now = time.monotonic()
        for vid, (sortie_id, started_s, deadline) in list(self.state.awaiting.items()):
            if now >= deadline:
                del self.state.awaiting[vid]
                why = f"the vehicle was not heard within {self.resume_grace_s:.0f} s of restart"
                self.interrupt(connection, sortie_id, vid, started_s, why, batch)
