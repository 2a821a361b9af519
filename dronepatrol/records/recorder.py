"""The recorder: every sortie kept, written in batches on its own thread.

One :class:`Recorder` subscribes to the fleet's event bus with an unbounded
queue (publishing never blocks the link thread and nothing is dropped) and
writes on its own thread, through its own connection, in one transaction per
batch. A batch is committed at least every ``flush_interval_s`` (0.25 s by
default, never more than 0.5 s) while events arrive, so a controller killed
mid-sortie loses at most the last half second of track.

Sorties open when a vehicle arms (``armed`` event; a snapshot that says armed
does too, for a vehicle whose arming the controller did not see) and close
when it disarms. Events of the vehicle in the quarter hour before arming
(mission upload, the arm command itself) join the sortie they led to, and
those of the first seconds after disarming join the one that just ended.

At :meth:`Recorder.start` the sorties left open by a previous run are looked
up: a vehicle that the fleet says is still armed gets its sortie continued
(with a ``recorder_resumed`` event naming the gap); one on the ground, or not
heard from within ``resume_grace_s``, gets its sortie closed as interrupted
at its last record.
"""

from __future__ import annotations

import copy
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from dronepatrol.events import Event, EventBus, EventKind
from dronepatrol.records import media as media_files
from dronepatrol.records.audit import (
    CONTEXT_KEYS,
    OpenSortie,
    detection_row,
    event_row,
)
from dronepatrol.records.telemetry import heard_armed, track_sample
from dronepatrol.settings import Settings
from dronepatrol.state import LinkState, VehicleSnapshot
from dronepatrol.store.engine import make_engine
from dronepatrol.store.migrate import upgrade
from dronepatrol.store.models import (
    Detection,
    Outcome,
    Sortie,
    SortieEvent,
    TrackSample,
    Vehicle,
)

log = logging.getLogger(__name__)

ADOPT_WINDOW_S = 900.0
"""Unassigned events of a vehicle this long before it arms join its sortie [s]."""
AFTERGLOW_S = 5.0
"""Events of a vehicle this long after it disarmed still join the sortie [s]."""
TELEMETRY_SETTLE_S = 1.0
"""A snapshot's armed flag opens or closes a sortie only this long after the last
armed/disarmed event of its vehicle, so a stale snapshot cannot undo one [s]."""

SnapshotSource = Callable[[], Iterable[VehicleSnapshot]] | Iterable[VehicleSnapshot] | None


@dataclass
class _State:
    """The writer's memory, copied before each batch so a failed batch can be replayed."""

    open: dict[str, OpenSortie] = field(default_factory=dict)
    context: dict[str, dict[str, Any]] = field(default_factory=dict)
    last_closed: dict[str, tuple[int, float]] = field(default_factory=dict)
    last_transition: dict[str, float] = field(default_factory=dict)
    awaiting: dict[str, tuple[int, float, float]] = field(default_factory=dict)
    """Sorties open at start-up whose vehicle has not been heard yet:
    vehicle -> (sortie id, started_s, decide-by monotonic deadline)."""
    known_vehicles: set[str] = field(default_factory=set)


@dataclass
class _Batch:
    tracks: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    detections: list[dict[str, Any]] = field(default_factory=list)
    to_hash: list[int] = field(default_factory=list)


class Recorder:
    """Records the fleet's sorties from ``bus`` into the database behind ``engine``.

    Args:
        engine: a migrated database (see :func:`dronepatrol.store.upgrade`).
        bus: the fleet's event bus.
        snapshots: the fleet's current snapshots (or a callable giving them),
            consulted once at :meth:`start` to continue or close open sorties.
        flush_interval_s: longest time an event waits before it is committed [s].
        resume_grace_s: how long after start to wait for an unheard vehicle
            before its open sortie is closed as interrupted [s].
    """

    def __init__(
        self,
        engine: Engine,
        bus: EventBus,
        *,
        snapshots: SnapshotSource = None,
        flush_interval_s: float = 0.25,
        resume_grace_s: float = 30.0,
    ) -> None:
        if not 0 < flush_interval_s <= 0.5:
            raise ValueError("flush_interval_s must be in (0, 0.5] s: crash loss is bounded by it")
        self._engine = engine
        self._bus = bus
        self._snapshot_source = snapshots
        self._flush_interval_s = flush_interval_s
        self._resume_grace_s = resume_grace_s
        self._state = _State()
        self._subscription: Any = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._flush_requests: queue.SimpleQueue[threading.Event] = queue.SimpleQueue()
        self._hasher = ThreadPoolExecutor(1, thread_name_prefix="recorder-hash")
        self._connection: Connection | None = None
        self.rows_written = 0
        """Track samples committed so far."""
        self.events_written = 0
        """Events, detections and media rows committed so far."""
        self.batches = 0
        self.errors = 0

    # ----------------------------------------------------------------- life cycle

    def start(self) -> None:
        """Subscribe, settle the sorties a previous run left open, start writing."""
        if self._thread is not None:
            raise RuntimeError("recorder already started")
        self._subscription = self._bus.subscribe(maxsize=0)
        self._recover()
        self._thread = threading.Thread(target=self._run, name="recorder", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Write everything received so far, then stop (open sorties stay open)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
        if self._subscription is not None:
            self._subscription.close()
        self._hasher.shutdown(wait=True)

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Block until every event published before this call is committed."""
        if self._thread is None or not self._thread.is_alive():
            return False
        done = threading.Event()
        self._flush_requests.put(done)
        return done.wait(timeout_s)

    def wait_hashed(self, timeout_s: float = 30.0) -> None:
        """Block until the media digests queued so far are stored (for tests)."""
        self._hasher.submit(lambda: None).result(timeout_s)

    def __enter__(self) -> Recorder:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def engine(self) -> Engine:
        """The database this recorder writes to."""
        return self._engine

    @property
    def open_sorties(self) -> dict[str, int]:
        """Vehicle id -> id of its open sortie (a copy)."""
        return {vid: s.sortie_id for vid, s in self._state.open.items()}

    # ------------------------------------------------------------------- writer

    def _run(self) -> None:
        batch: list[Event] = []
        first_at = 0.0
        while True:
            stopping = self._stopping.is_set()
            if batch:
                wait_s = max(0.0, first_at + self._flush_interval_s - time.monotonic())
            else:
                wait_s = 0.25
            event = None if stopping else self._subscription.get(timeout_s=wait_s)
            if event is not None:
                if not batch:
                    first_at = time.monotonic()
                batch.append(event)
                batch.extend(self._subscription.drain())
            requests = self._take_flush_requests()
            due = batch and time.monotonic() - first_at >= self._flush_interval_s
            if requests or stopping:
                batch.extend(self._subscription.drain())
            if due or requests or stopping or self._state.awaiting:
                self._write_with_retry(batch)
                batch = []
            for request in requests:
                request.set()
            if stopping:
                break
        if self._connection is not None:
            self._connection.close()

    def _take_flush_requests(self) -> list[threading.Event]:
        requests = []
        while True:
            try:
                requests.append(self._flush_requests.get_nowait())
            except queue.Empty:
                return requests

    def _write_with_retry(self, events: list[Event]) -> None:
        delay_s = 0.5
        attempts = 0
        while True:
            saved = copy.deepcopy(self._state)
            try:
                if self._connection is None:
                    self._connection = self._engine.connect()
                self._write(self._connection, events)
                return
            except SQLAlchemyError:
                self.errors += 1
                attempts += 1
                self._state = saved
                log.exception(
                    "recorder: writing %d events failed (attempt %d)", len(events), attempts
                )
                if self._connection is not None:
                    self._connection.invalidate()
                    self._connection.close()
                    self._connection = None
                if self._stopping.is_set() and attempts >= 3:
                    log.error("recorder: giving up on %d events at shutdown", len(events))
                    return
                time.sleep(delay_s)
                delay_s = min(delay_s * 2, 5.0)

    def _write(self, connection: Connection, events: list[Event]) -> None:
        batch = _Batch()
        with connection.begin():
            for event in events:
                self._apply(connection, event, batch)
            self._expire_awaiting(connection, batch)
            self._insert_pending(connection, batch)
        self.batches += 1
        self.rows_written += len(batch.tracks)
        self.events_written += len(batch.events) + len(batch.detections)
        for media_id in batch.to_hash:
            self._hasher.submit(self._finalise_quietly, media_id)

    def _finalise_quietly(self, media_id: int) -> None:
        try:
            media_files.finalise(self._engine, media_id)
        except (OSError, SQLAlchemyError):
            log.exception("recorder: hashing media %d failed", media_id)

    @staticmethod
    def _insert_pending(connection: Connection, batch: _Batch) -> None:
        if batch.tracks:
            connection.execute(insert(TrackSample), batch.tracks)
            batch.tracks = []
        if batch.events:
            connection.execute(insert(SortieEvent), batch.events)
            batch.events = []
        if batch.detections:
            connection.execute(insert(Detection), batch.detections)
            batch.detections = []

    # ----------------------------------------------------------- one event

    def _apply(self, connection: Connection, event: Event, batch: _Batch) -> None:
        vid = event.vehicle_id
        state = self._state
        if vid is not None and vid in state.awaiting:
            self._settle(connection, vid, event, batch)
        if event.kind == EventKind.TELEMETRY:
            self._apply_telemetry(connection, event, batch)
            return
        sortie = state.open.get(vid) if vid is not None else None
        if event.kind == EventKind.ARMED and vid is not None:
            state.last_transition[vid] = event.time_s
            if sortie is None:
                sortie = self._open_sortie(connection, vid, event.time_s, event.data, batch)
        elif event.kind == EventKind.DISARMED and vid is not None:
            state.last_transition[vid] = event.time_s
            if sortie is not None:
                sortie.observe(event)
                self._close_sortie(connection, sortie, event.time_s, event.data, batch)
                batch.events.append(event_row(event, sortie.sortie_id))
                return
        elif event.kind == EventKind.MISSION_UPLOAD and vid is not None:
            context = {k: event.data[k] for k in CONTEXT_KEYS if k in event.data}
            state.context.setdefault(vid, {}).update(context)
        if event.kind == EventKind.DETECTION:
            batch.detections.append(detection_row(event, self._sortie_for(vid, event.time_s)))
            snapshot = event.data.get("snapshot")
            if snapshot:
                self._add_media(connection, event, str(snapshot), "snapshot", True, batch)
            return
        if event.kind == EventKind.MEDIA:
            path = event.data.get("path")
            if path:
                complete = bool(event.data.get("complete", True))
                kind = event.data.get("kind")
                self._add_media(connection, event, str(path), kind, complete, batch)
        if sortie is not None:
            sortie.observe(event)
        batch.events.append(event_row(event, self._sortie_for(vid, event.time_s)))

    def _apply_telemetry(self, connection: Connection, event: Event, batch: _Batch) -> None:
        vid = event.vehicle_id
        if vid is None:
            return
        state = self._state
        armed = heard_armed(event)
        settled = event.time_s - state.last_transition.get(vid, 0.0) >= TELEMETRY_SETTLE_S
        sortie = state.open.get(vid)
        if sortie is None and armed and settled:
            state.last_transition[vid] = event.time_s
            sortie = self._open_sortie(
                connection, vid, event.time_s, {}, batch, how="armed vehicle seen in telemetry"
            )
        sample = track_sample(event)
        if sortie is not None and sample is not None:
            sample["sortie_id"] = sortie.sortie_id
            batch.tracks.append(sample)
            sortie.observe_sample(sample, event.data.get("mission_total"))
        if sortie is not None and armed is False and settled:
            state.last_transition[vid] = event.time_s
            self._close_sortie(connection, sortie, event.time_s, {}, batch)

    # ------------------------------------------------------- sortie open/close

    def _ensure_vehicle(self, connection: Connection, vid: str, name: str, time_s: float) -> None:
        """Insert the vehicle on first sight; later keep its name and last-seen time."""
        known = vid in self._state.known_vehicles or (
            connection.execute(select(Vehicle.id).where(Vehicle.id == vid)).first() is not None
        )
        if known:
            values: dict[str, Any] = {"last_seen_s": time_s}
            if name:
                values["name"] = name
            connection.execute(update(Vehicle).where(Vehicle.id == vid).values(**values))
        else:
            connection.execute(
                insert(Vehicle),
                {"id": vid, "name": name or vid, "first_seen_s": time_s, "last_seen_s": time_s},
            )
        self._state.known_vehicles.add(vid)

    def _open_sortie(
        self,
        connection: Connection,
        vid: str,
        time_s: float,
        data: Any,
        batch: _Batch,
        how: str = "armed",
    ) -> OpenSortie:
        state = self._state
        context = {**state.context.pop(vid, {}), **{k: data[k] for k in CONTEXT_KEYS if k in data}}
        self._ensure_vehicle(connection, vid, str(data.get("name") or ""), time_s)
        targets = context.get("targets") or []
        if isinstance(targets, str):
            targets = [t.strip() for t in targets.split(",") if t.strip()]
        result = connection.execute(
            insert(Sortie),
            {
                "vehicle_id": vid,
                "plan_ref": str(context.get("plan") or "")[:500],
                "targets": list(targets),
                "station": str(context.get("station") or "")[:200],
                "operator": str(context.get("operator") or "")[:200],
                "started_s": time_s,
                "ended_s": None,
                "outcome": None,
                "outcome_reason": "",
                "notes": {"opened": how},
            },
        )
        sortie_id = int(result.inserted_primary_key[0])
        # The vehicle's unassigned events before arming (mission upload, the
        # arm command) belong to this sortie: write the batch's, then adopt.
        self._insert_pending(connection, batch)
        since = time_s - ADOPT_WINDOW_S
        if vid in state.last_closed:
            since = max(since, state.last_closed[vid][1] + AFTERGLOW_S)
        for table in (SortieEvent, Detection):
            connection.execute(
                update(table)
                .where(
                    table.vehicle_id == vid,
                    table.sortie_id.is_(None),
                    table.time_s >= since,
                    table.time_s <= time_s,
                )
                .values(sortie_id=sortie_id)
            )
        sortie = OpenSortie(sortie_id, vid, time_s)
        state.open[vid] = sortie
        return sortie

    def _close_sortie(
        self,
        connection: Connection,
        sortie: OpenSortie,
        time_s: float,
        data: Any,
        batch: _Batch,
        outcome: tuple[Outcome, str] | None = None,
    ) -> None:
        verdict, reason = outcome or sortie.outcome(data)
        connection.execute(
            update(Sortie)
            .where(Sortie.id == sortie.sortie_id)
            .values(ended_s=time_s, outcome=verdict.value, outcome_reason=reason)
        )
        self._ensure_vehicle(connection, sortie.vehicle_id, "", time_s)
        self._state.open.pop(sortie.vehicle_id, None)
        self._state.last_closed[sortie.vehicle_id] = (sortie.sortie_id, time_s)
        batch.to_hash.extend(media_files.pending_media(connection, sortie.sortie_id))

    def _sortie_for(self, vid: str | None, time_s: float) -> int | None:
        """The sortie an event of ``vid`` at ``time_s`` belongs to, if any."""
        if vid is None:
            return None
        sortie = self._state.open.get(vid)
        if sortie is not None:
            return sortie.sortie_id
        closed = self._state.last_closed.get(vid)
        if closed is not None and time_s <= closed[1] + AFTERGLOW_S:
            return closed[0]
        return None

    def _latest_sortie(self, vid: str | None) -> int | None:
        """The vehicle's open sortie, else the one it flew last: media often come after landing."""
        if vid is None:
            return None
        sortie = self._state.open.get(vid)
        if sortie is not None:
            return sortie.sortie_id
        closed = self._state.last_closed.get(vid)
        return closed[0] if closed else None

    def _add_media(
        self,
        connection: Connection,
        event: Event,
        path: str,
        kind: str | None,
        complete: bool,
        batch: _Batch,
    ) -> None:
        sortie_id = event.data.get("sortie_id") or self._latest_sortie(event.vehicle_id)
        media_id = media_files.register_pending(connection, sortie_id, path, kind)
        still_flying = event.vehicle_id in self._state.open
        if complete or not still_flying:
            batch.to_hash.append(media_id)

    # ------------------------------------------------------------- recovery

    def _recover(self) -> None:
        source = self._snapshot_source
        snapshots = list(source() if callable(source) else source or ())
        by_vehicle = {s.vehicle_id: s for s in snapshots}
        batch = _Batch()
        now_mono = time.monotonic()
        with self._engine.begin() as connection:
            rows = connection.execute(
                select(Sortie.id, Sortie.vehicle_id, Sortie.started_s)
                .where(Sortie.outcome.is_(None))
                .order_by(Sortie.started_s)
            ).all()
            for sortie_id, vid, started_s in rows:
                if vid in self._state.awaiting or vid in self._state.open:
                    # two open sorties for one vehicle: the older one ended unseen
                    older = self._state.awaiting.pop(vid, None)
                    if older is not None:
                        self._interrupt(connection, older[0], vid, older[1], "superseded", batch)
                snap = by_vehicle.get(vid)
                if snap is not None and snap.link == LinkState.UP:
                    if snap.armed:
                        self._resume(connection, sortie_id, vid, started_s, batch)
                    else:
                        why = "the vehicle was on the ground, disarmed, when recording restarted"
                        self._interrupt(connection, sortie_id, vid, started_s, why, batch)
                else:
                    deadline = now_mono + self._resume_grace_s
                    self._state.awaiting[vid] = (sortie_id, started_s, deadline)
            for vid, snap in by_vehicle.items():
                known = vid in self._state.open or vid in self._state.awaiting
                if snap.armed and snap.link == LinkState.UP and not known:
                    self._open_sortie(
                        connection,
                        vid,
                        snap.time_s or time.time(),
                        {"name": snap.name},
                        batch,
                        how="vehicle already armed when recording started",
                    )
            self._insert_pending(connection, batch)
        for media_id in batch.to_hash:
            self._hasher.submit(self._finalise_quietly, media_id)

    def _last_record_s(self, connection: Connection, sortie_id: int, started_s: float) -> float:
        last_track = connection.execute(
            select(func.max(TrackSample.time_s)).where(TrackSample.sortie_id == sortie_id)
        ).scalar()
        last_event = connection.execute(
            select(func.max(SortieEvent.time_s)).where(SortieEvent.sortie_id == sortie_id)
        ).scalar()
        return max(t for t in (last_track, last_event, started_s) if t is not None)

    def _resume(
        self, connection: Connection, sortie_id: int, vid: str, started_s: float, batch: _Batch
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
        last_s = self._last_record_s(connection, sortie_id, started_s)
        now = time.time()
        self._state.open[vid] = sortie
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

    def _interrupt(
        self,
        connection: Connection,
        sortie_id: int,
        vid: str,
        started_s: float,
        why: str,
        batch: _Batch,
    ) -> None:
        last_s = self._last_record_s(connection, sortie_id, started_s)
        reason = f"the controller stopped mid-sortie; {why}"
        sortie = OpenSortie(sortie_id, vid, started_s)
        self._close_sortie(
            connection, sortie, last_s, {}, batch, outcome=(Outcome.INTERRUPTED, reason)
        )

    def _settle(self, connection: Connection, vid: str, event: Event, batch: _Batch) -> None:
        """Decide an awaited sortie from the first word of its vehicle after a restart."""
        sortie_id, started_s, _ = self._state.awaiting[vid]
        if event.kind in (EventKind.ARMED, EventKind.DISARMED):
            flying: bool | None = True  # disarming now means it flew until now
        elif event.kind == EventKind.TELEMETRY:
            flying = heard_armed(event)
        else:
            flying = None
        if flying is None:
            return
        del self._state.awaiting[vid]
        if flying:
            self._resume(connection, sortie_id, vid, started_s, batch)
        else:
            why = "the vehicle was on the ground, disarmed, when its link came back"
            self._interrupt(connection, sortie_id, vid, started_s, why, batch)

    def _expire_awaiting(self, connection: Connection, batch: _Batch) -> None:
        now = time.monotonic()
        for vid, (sortie_id, started_s, deadline) in list(self._state.awaiting.items()):
            if now >= deadline:
                del self._state.awaiting[vid]
                why = f"the vehicle was not heard within {self._resume_grace_s:.0f} s of restart"
                self._interrupt(connection, sortie_id, vid, started_s, why, batch)


def start_recording(
    database: Engine | Settings | str,
    bus: EventBus,
    snapshots: SnapshotSource = None,
    **options: Any,
) -> Recorder:
    """Start-up in one call: migrate the database, settle open sorties, start recording.

    ``database`` is an engine, a URL, or the settings (whose
    ``effective_database_url`` is used); ``snapshots`` is the fleet's current
    state (e.g. ``fleet.snapshots``); ``options`` go to :class:`Recorder`.
    Stop it with :meth:`Recorder.stop` at shut-down.
    """
    engine = upgrade(database if isinstance(database, Engine) else make_engine(database))
    recorder = Recorder(engine, bus, snapshots=snapshots, **options)
    recorder.start()
    return recorder
