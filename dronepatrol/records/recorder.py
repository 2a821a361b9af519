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
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from dronepatrol.database.engine import make_engine
from dronepatrol.database.migrate import upgrade
from dronepatrol.events import Event, EventBus
from dronepatrol.records import media as media_files
from dronepatrol.records.batch import Batch
from dronepatrol.records.ledger import SortieLedger
from dronepatrol.settings import Settings
from dronepatrol.state import VehicleSnapshot

log = logging.getLogger(__name__)

RETRY_DELAY_CAP_S = 5.0
"""Longest wait between two tries at writing a failed batch [s]."""

SnapshotSource = Callable[[], Iterable[VehicleSnapshot]] | Iterable[VehicleSnapshot] | None


class Recorder:
    """Records the fleet's sorties from ``bus`` into the database behind ``engine``.

    Args:
        engine: a migrated database (see :func:`dronepatrol.database.upgrade`).
        bus: the fleet's event bus.
        snapshots: the fleet's current snapshots (or a callable giving them),
            consulted once at :meth:`start` to continue or close open sorties.
        flush_interval_s: longest time an event waits before it is committed [s].
        resume_grace_s: how long after start to wait for an unheard vehicle
            before its open sortie is closed as interrupted [s].
        settle_open: settle the sorties a previous run left open at start. A
            recorder of one headless sortie (``dronepatrol fly``) passes False:
            the open sorties of a controller serving the same database are not
            its to close.
        retry_delay_s: wait before writing a failed batch again [s], doubled
            after each failure up to 5 s (a database that went away often
            comes back within seconds).
    """

    def __init__(
        self,
        engine: Engine,
        bus: EventBus,
        *,
        snapshots: SnapshotSource = None,
        flush_interval_s: float = 0.25,
        resume_grace_s: float = 30.0,
        settle_open: bool = True,
        retry_delay_s: float = 0.5,
    ) -> None:
        if not 0 < flush_interval_s <= 0.5:
            raise ValueError("flush_interval_s must be in (0, 0.5] s: crash loss is bounded by it")
        if not 0 < retry_delay_s <= RETRY_DELAY_CAP_S:
            raise ValueError(f"retry_delay_s must be in (0, {RETRY_DELAY_CAP_S}] s")
        self._engine = engine
        self._bus = bus
        self._snapshot_source = snapshots
        self._settle_open = settle_open
        self._flush_interval_s = flush_interval_s
        self._retry_delay_s = retry_delay_s
        self._ledger = SortieLedger(resume_grace_s)
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
        if self._settle_open:
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
        return {vid: s.sortie_id for vid, s in self._ledger.state.open.items()}

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
            if due or requests or stopping or self._ledger.state.awaiting:
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
        delay_s = self._retry_delay_s
        attempts = 0
        while True:
            saved = copy.deepcopy(self._ledger.state)
            try:
                if self._connection is None:
                    self._connection = self._engine.connect()
                self._write(self._connection, events)
                return
            except SQLAlchemyError:
                self.errors += 1
                attempts += 1
                self._ledger.state = saved
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
                delay_s = min(delay_s * 2, RETRY_DELAY_CAP_S)

    def _write(self, connection: Connection, events: list[Event]) -> None:
        batch = Batch()
        with connection.begin():
            for event in events:
                self._ledger.apply(connection, event, batch)
            self._ledger.expire_awaiting(connection, batch)
            batch.insert(connection)
        self.batches += 1
        self.rows_written += batch.track_rows
        self.events_written += batch.other_rows
        self._hash_later(batch.to_hash)

    def _hash_later(self, media_ids: list[int]) -> None:
        for media_id in media_ids:
            self._hasher.submit(self._finalise_quietly, media_id)

    def _finalise_quietly(self, media_id: int) -> None:
        try:
            media_files.finalise(self._engine, media_id)
        except (OSError, SQLAlchemyError):
            log.exception("recorder: hashing media %d failed", media_id)

    def _recover(self) -> None:
        source = self._snapshot_source
        snapshots = list(source() if callable(source) else source or ())
        batch = Batch()
        with self._engine.begin() as connection:
            self._ledger.recover(connection, snapshots, batch)
            batch.insert(connection)
        self._hash_later(batch.to_hash)


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
