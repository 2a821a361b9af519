"""The command centre's side of the city bus (centre mode).

:class:`Centre` subscribes to every station's topics and keeps the city's
picture in memory: each station's presence, heartbeat age and summary, its
situation (open incidents, the lockdown in force) and video feeds, and
each vehicle's latest telemetry (the broker's retained messages give a
restarted centre the whole picture at subscription). Records go to the
centre's database (PostgreSQL in a city deployment) on a ``city-centre-store``
thread, in one transaction per batch, inserted by idempotency key so a record
received twice is stored once; only after the commit does the centre
acknowledge the keys to the station, which then forgets them.

Commands go out as requests with a deadline and the person's name
(:meth:`Centre.command`); the first reply (accepted, refused, expired) is
waited for, the final one (completed, failed) is kept in :attr:`Centre.replies`.
"""

from __future__ import annotations

import collections
import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as mqtt
from sqlalchemy import Engine, func, select
from sqlalchemy.dialects import postgresql, sqlite

from dronepatrol.city.broker import BrokerSettings, make_client
from dronepatrol.city.contract import (
    STALE_AFTER_S,
    CommandReply,
    CommandRequest,
    ContractError,
    Heartbeat,
    Kind,
    Presence,
    Record,
    RecordAck,
    StationNetwork,
    StationSituation,
    StationVideo,
    Telemetry,
    VideoFeed,
    check_name,
    decode,
    station_filter,
    topic_of,
)
from dronepatrol.database.city_tables import CityRecord

log = logging.getLogger(__name__)


class CommandError(RuntimeError):
    """A command the station refused, let expire, or never answered; ``status`` says which."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class StationView:
    """What the centre knows of one station. Times are the centre's clock [s since the epoch]."""

    station: str
    online: bool = False
    last_heard_s: float = 0.0
    """When anything of the station's own arrived (heartbeat, live telemetry, record, reply)."""
    heartbeat_s: float = 0.0
    """When its last heartbeat arrived: the figures below are that old."""
    station_time_s: float = 0.0
    outbox: int = 0
    vehicles: list[str] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    network: dict[str, Any] | None = None
    """The station's patrol network (GeoJSON), as it last sent it."""
    situation: StationSituation | None = None
    """Its open incidents and lockdown, as it last sent them."""
    situation_s: float = 0.0
    """When that situation arrived."""
    video: StationVideo | None = None
    """Which mountpoint carries which of its drones' feeds, as it last said."""

    def stale(self, now_s: float, stale_after_s: float) -> bool:
        """Offline, never heard, or unheard for longer than ``stale_after_s``."""
        return not self.online or not self.last_heard_s or now_s - self.last_heard_s > stale_after_s

    def as_dict(self, now_s: float, stale_after_s: float) -> dict[str, Any]:
        age = now_s - self.last_heard_s if self.last_heard_s else None
        beat_age = now_s - self.heartbeat_s if self.heartbeat_s else None
        stale = self.stale(now_s, stale_after_s)
        # what a heartbeat from before a cut says is no figure: unknown until the next one
        current = not stale and beat_age is not None and beat_age <= stale_after_s
        return {
            "station": self.station,
            "online": self.online,
            "stale": stale,
            "last_heard_age_s": None if age is None else round(age, 2),
            "heartbeat_age_s": None if beat_age is None else round(beat_age, 2),
            "outbox": self.outbox if current else None,
            "vehicles": list(self.vehicles),
            "summary": dict(self.summary),
            "has_network": self.network is not None,
        }

    def situation_dict(self, now_s: float, stale_after_s: float) -> dict[str, Any] | None:
        """Its situation with the station's staleness and the picture's age [s]."""
        situation = self.situation
        if situation is None:
            return None
        lockdown = situation.lockdown
        return {
            "station": self.station,
            "stale": self.stale(now_s, stale_after_s),
            "time_s": situation.time_s,
            "received_age_s": round(now_s - self.situation_s, 2),
            "open_incidents": situation.open_incidents,
            "incidents": [i.model_dump() for i in situation.incidents],
            "lockdown": None if lockdown is None else lockdown.model_dump(),
        }


def insert_ignoring_duplicates(engine: Engine) -> Any:
    """An INSERT into city_records that skips keys already stored (PostgreSQL or SQLite)."""
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    insert = dialect.insert(CityRecord).on_conflict_do_nothing(index_elements=["key"])
    return insert.returning(CityRecord.key)  # the keys newly stored, duplicates left out


class Centre:
    """The command centre's view of every station, its record store and its command desk.

    Args:
        engine: the centre's migrated database.
        broker: the broker and the centre's credentials.
        stale_after_s: a station unheard this long is stale [s].
        clock: wall-clock time [s since the epoch].
        latency_window: telemetry latencies kept for :meth:`latency_stats`.
    """

    def __init__(
        self,
        engine: Engine,
        broker: BrokerSettings,
        *,
        stale_after_s: float = STALE_AFTER_S,
        clock: Callable[[], float] = time.time,
        latency_window: int = 200_000,
    ) -> None:
        self._engine = engine
        self._broker = broker
        self.stale_after_s = stale_after_s
        self._clock = clock
        self._insert = insert_ignoring_duplicates(engine)
        self._lock = threading.Lock()
        self._stations: dict[str, StationView] = {}
        self._vehicles: dict[tuple[str, str], Telemetry] = {}
        self._records: queue.SimpleQueue[Record] = queue.SimpleQueue()
        self._pending: dict[str, Future[CommandReply]] = {}
        self.replies: dict[str, list[CommandReply]] = collections.defaultdict(list)
        """Every reply received, by request id (the final outcome last)."""
        self.latencies_s: collections.deque[float] = collections.deque(maxlen=latency_window)
        """Telemetry end-to-end latency [s]: receipt time minus the station's send time."""
        self.invalid = 0
        """Messages that broke the contract (dropped)."""
        self.stored = 0
        """Records newly stored (duplicates not counted)."""
        self.duplicates = 0
        self._client = make_client(broker, client_id=f"centre-{uuid.uuid4().hex[:8]}")
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._connected = threading.Event()
        self._stopping = threading.Event()
        self._looping = False
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ life cycle

    def connect(self) -> Centre:
        """Subscribe to the city bus now, ahead of :meth:`start`.

        The picture fills (the broker's retained messages, then the stations'
        live ones) while the caller goes on with slower work, such as building
        the web app of a restarted centre. Records received meanwhile wait in
        memory, unacknowledged, until :meth:`start` stores them.
        """
        if not self._looping:
            self._looping = True
            address = self._broker.address
            self._client.connect_async(address.host, address.port, keepalive=5)
            self._client.loop_start()
        return self

    def start(self) -> Centre:
        """Connect (unless :meth:`connect` did) and store records as they arrive."""
        self.connect()
        self._thread = threading.Thread(target=self._store_loop, name="city-centre-store")
        self._thread.daemon = True
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
        self._client.disconnect()
        self._client.loop_stop()

    def wait_connected(self, timeout_s: float) -> bool:
        return self._connected.wait(timeout_s)

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    # ------------------------------------------------------------------ picture

    def stations(self, now_s: float | None = None) -> list[dict[str, Any]]:
        """Every station heard of, with its ``stale`` marker, sorted by id."""
        now_s = self._clock() if now_s is None else now_s
        with self._lock:
            views = sorted(self._stations.values(), key=lambda v: v.station)
            return [v.as_dict(now_s, self.stale_after_s) for v in views]

    def station(self, station: str, now_s: float | None = None) -> dict[str, Any] | None:
        return next((s for s in self.stations(now_s) if s["station"] == station), None)

    def network(self, station: str) -> dict[str, Any] | None:
        """The patrol network ``station`` last sent (GeoJSON), or None."""
        with self._lock:
            view = self._stations.get(station)
            return None if view is None else view.network

    def situations(self, now_s: float | None = None) -> list[dict[str, Any]]:
        """Every station's open incidents and lockdown in force, as it last sent them, with
        its ``stale`` marker; sorted by station id (stations that sent none left out)."""
        now_s = self._clock() if now_s is None else now_s
        with self._lock:
            views = sorted(self._stations.values(), key=lambda v: v.station)
            found = (v.situation_dict(now_s, self.stale_after_s) for v in views)
            return [s for s in found if s is not None]

    def video_feed(self, station: str, vehicle: str) -> VideoFeed | None:
        """The mountpoint ``station`` says carries ``vehicle``'s feed, or None."""
        with self._lock:
            view = self._stations.get(station)
            video = None if view is None else view.video
        if video is None:
            return None
        return next((f for f in video.feeds if f.vehicle == vehicle), None)

    def vehicles(self) -> list[dict[str, Any]]:
        """Every vehicle's latest telemetry, with its station's staleness."""
        stale = {s["station"]: s["stale"] for s in self.stations()}
        with self._lock:
            samples = sorted(self._vehicles.values(), key=lambda t: (t.station, t.vehicle))
        return [
            {
                "station": t.station,
                "vehicle": t.vehicle,
                "time_s": t.time_s,
                "stale": stale.get(t.station, True),
                **t.data,
            }
            for t in samples
        ]

    def record_count(self, station: str | None = None) -> int:
        """Records stored in the centre's database (of ``station``, or all)."""
        query = select(func.count()).select_from(CityRecord)
        if station is not None:
            query = query.where(CityRecord.station == station)
        with self._engine.connect() as connection:
            return int(connection.execute(query).scalar_one())

    def command_result(
        self, station: str, vehicle: str, command_id: str, since_s: float = 3600.0
    ) -> dict[str, Any] | None:
        """The outcome of the station's command ``command_id`` to ``vehicle`` (its
        ``command_result`` record: ``ok``, ``result``, ``reason``...), or None while it
        has not arrived. Only the vehicle's results of the last ``since_s`` [s] are read.
        """
        query = (
            select(CityRecord.data)
            .where(
                CityRecord.station == station,
                CityRecord.vehicle_id == vehicle,
                CityRecord.kind == "command_result",
                CityRecord.time_s >= self._clock() - since_s,
            )
            .order_by(CityRecord.time_s.desc())
        )
        with self._engine.connect() as connection:
            for data in connection.execute(query).scalars():
                if data.get("command_id") == command_id:
                    return dict(data)
        return None

    # ------------------------------------------------------------------ commands

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
    ) -> CommandReply:
        """Ask ``station`` to command ``vehicle`` for ``actor`` (whose ``role`` at the centre
        the station checks); returns its accepted reply.

        Raises CommandError: ``unreachable`` (the station is stale: not sent),
        ``refused``/``expired`` (the station's answer), ``timeout`` (no answer
        before the deadline; the station will not act on it later).
        """
        check_name(station)
        view = self.station(station)
        if view is None or view["stale"]:
            age = None if view is None else view["last_heard_age_s"]
            heard = "never heard" if age is None else f"last heard {age:.0f} s ago"
            raise CommandError("unreachable", f"station {station} is unreachable ({heard})")
        request = CommandRequest(
            station=station,
            request_id=uuid.uuid4().hex,
            vehicle=vehicle,
            operation=operation,
            arguments=arguments or [],
            actor=actor,
            role=role,
            deadline_s=self._clock() + deadline_s,
        )
        answer: Future[CommandReply] = Future()
        with self._lock:
            self._pending[request.request_id] = answer
        self._client.publish(topic_of(Kind.COMMAND, station), request.encode(), qos=1)
        try:
            reply = answer.result(timeout=deadline_s + 1.0)
        except FutureTimeout:
            raise CommandError(
                "timeout", f"station {station} did not answer within {deadline_s:g} s"
            ) from None
        finally:
            with self._lock:
                self._pending.pop(request.request_id, None)
        if reply.status != "accepted":
            raise CommandError(reply.status, f"station {station}: {reply.status}: {reply.reason}")
        return reply

    # ------------------------------------------------------------------ paho thread

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            log.warning("city bus: broker refused the centre: %s", reason)
            return
        client.subscribe(station_filter(), qos=1)
        self._connected.set()
        log.info("city bus: centre connected")

    def _on_disconnect(self, _c: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        self._connected.clear()

    def _on_message(self, _c: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
        now = self._clock()
        try:
            parts, message = decode(msg.topic, msg.payload)
        except ContractError as exc:
            self.invalid += 1
            log.warning("city bus: dropped a message: %s", exc)
            return
        if parts.kind in (Kind.ACK, Kind.COMMAND):
            return  # our own messages
        if isinstance(message, Record):
            self._records.put(message)
            self._heard(parts.station, now)
        elif isinstance(message, Telemetry):
            with self._lock:
                self._vehicles[(parts.station, message.vehicle)] = message
            if not msg.retain:
                self.latencies_s.append(now - message.sent_s)
                self._heard(parts.station, now)
        elif isinstance(message, Heartbeat):
            view = self._heard(parts.station, now)
            with self._lock:
                view.heartbeat_s = now
                view.station_time_s = message.time_s
                view.outbox = message.outbox
                view.vehicles = list(message.vehicles)
                view.summary = dict(message.summary)
                view.online = True
        elif isinstance(message, StationNetwork):
            with self._lock:
                view = self._stations.setdefault(parts.station, StationView(parts.station))
                view.network = dict(message.geojson)
        elif isinstance(message, StationSituation):
            with self._lock:
                view = self._stations.setdefault(parts.station, StationView(parts.station))
                view.situation = message
                view.situation_s = now
        elif isinstance(message, StationVideo):
            with self._lock:
                view = self._stations.setdefault(parts.station, StationView(parts.station))
                view.video = message
        elif isinstance(message, Presence):
            # Presence alone never makes a station fresh: a retained "online" may be older
            # than a broker restart; only what the station sends now (heartbeats) does.
            with self._lock:
                view = self._stations.setdefault(parts.station, StationView(parts.station))
                view.online = message.online
        elif isinstance(message, CommandReply):
            self._heard(parts.station, now)
            with self._lock:
                self.replies[message.request_id].append(message)
                answer = self._pending.get(message.request_id)
            if answer is not None and not answer.done():
                answer.set_result(message)

    def _heard(self, station: str, now: float) -> StationView:
        with self._lock:
            view = self._stations.setdefault(station, StationView(station))
            view.last_heard_s = now
            return view

    # ------------------------------------------------------------------ store thread

    def _store_loop(self) -> None:
        batch: list[Record] = []
        while not self._stopping.is_set():
            if not batch:
                try:
                    batch.append(self._records.get(timeout=0.1))
                except queue.Empty:
                    continue
            while len(batch) < 2000:
                try:
                    batch.append(self._records.get_nowait())
                except queue.Empty:
                    break
            try:
                self._store(batch)
            except Exception:  # the database is down: keep the batch, unacknowledged
                log.exception("city bus: storing %d records failed; retrying", len(batch))
                self._stopping.wait(1.0)
                continue
            batch = []

    def _store(self, batch: list[Record]) -> None:
        now = self._clock()
        rows = {
            r.key: {
                "key": r.key,
                "station": r.station,
                "kind": r.kind,
                "vehicle_id": r.vehicle,
                "time_s": r.time_s,
                "received_s": now,
                "data": r.data,
            }
            for r in batch
        }
        with self._engine.begin() as connection:
            stored = len(connection.execute(self._insert, list(rows.values())).all())
        self.stored += stored
        self.duplicates += len(batch) - stored
        by_station: dict[str, list[str]] = collections.defaultdict(list)
        for record in batch:
            by_station[record.station].append(record.key)
        for station, keys in by_station.items():
            ack = RecordAck(station=station, keys=keys)
            self._client.publish(topic_of(Kind.ACK, station), ack.encode(), qos=1)
