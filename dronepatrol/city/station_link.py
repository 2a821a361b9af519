"""A station's link to the command centre over the city bus (station mode).

The station keeps flying, recording and serving its own operators whatever
happens to the link: this module only listens to the station's event bus and
talks to the broker, on two threads of its own (paho's network thread and
one ``city-station`` worker). The worker

1. drains a subscription to the event bus (unbounded: nothing is dropped),
2. publishes each TELEMETRY sample live (QoS 0, retained) when connected,
3. writes every event to the durable :class:`~dronepatrol.city.outbox.Outbox`
   (telemetry thinned to one sample per vehicle per ``track_interval_s``), in
   one transaction every ``flush_interval_s`` (0.25 s),
4. sends the outbox oldest first (QoS 1), at most ``window`` unacknowledged
   records at a time, and deletes each record when the centre's
   acknowledgement names its key; a record unacknowledged after
   ``resend_after_s``, or at every reconnection, is sent again,
5. says the station is alive every :data:`~dronepatrol.city.contract.HEARTBEAT_INTERVAL_S`,
   and at the same pace looks at its situation (open incidents, lockdown)
   and video feeds, publishing each (retained, QoS 1) when it changed and
   at every connection.

The broker publishes the station's last will (``online: false``, retained)
when the link dies. Commands from the centre are handled on the worker
(:class:`~dronepatrol.city.commands.CommandDesk`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt
from sqlalchemy import Engine

from dronepatrol.city.broker import BrokerSettings, make_client
from dronepatrol.city.commands import CommandDesk, FleetLike
from dronepatrol.city.contract import (
    HEARTBEAT_INTERVAL_S,
    QOS,
    RETAINED,
    ContractError,
    Heartbeat,
    Kind,
    Message,
    Presence,
    Record,
    RecordAck,
    StationNetwork,
    StationSituation,
    StationVideo,
    Telemetry,
    check_name,
    decode,
    topic_of,
)
from dronepatrol.city.outbox import Outbox
from dronepatrol.events import Event, EventBus, EventKind
from dronepatrol.planning.airspace import Airspace

log = logging.getLogger(__name__)


class StationLink:
    """Publishes one station's events to the centre and takes the centre's commands.

    Args:
        station: this station's id (one topic level: letters, digits, ".", "_", "-").
        bus: the station's event bus.
        engine: the station's migrated database (the outbox lives there).
        broker: the broker and this station's credentials.
        fleet: the station's vehicles, for commands from the centre (None: refused).
        audit: ``audit(username, action, ok, **detail)``, the station's audit log.
        summary: the station's picture in brief for the heartbeat (open incidents...).
        network: the station's patrol network as GeoJSON (None: none loaded), sent at
            every connection.
        airspace: the station's no-fly zones now, round which the centre's orders are
            routed (the control room's ``airspace``; None: no zones).
        camera_range_m: farthest a goto's vantage may be from its place [m], now.
        situation: the fields of the station's :class:`StationSituation` (incidents,
            open_incidents, lockdown), sent when they change.
        video: the station's :class:`VideoFeed` fields, one dict per feed, sent when they
            change.
        track_interval_s: least time between two track samples of one vehicle in the outbox [s].
        resend_after_s: a record unacknowledged this long is sent again [s].
        window: most records sent and not yet acknowledged.
        flush_interval_s: longest time a record waits before it is in the outbox [s]: a
            station killed outright loses at most this much (as its recorder does).
    """

    def __init__(
        self,
        station: str,
        bus: EventBus,
        engine: Engine,
        broker: BrokerSettings,
        *,
        fleet: FleetLike | None = None,
        audit: Callable[..., None] | None = None,
        summary: Callable[[], dict[str, Any]] | None = None,
        network: Callable[[], dict[str, Any] | None] | None = None,
        airspace: Callable[[], Airspace] | None = None,
        camera_range_m: Callable[[], float] | None = None,
        situation: Callable[[], dict[str, Any]] | None = None,
        video: Callable[[], list[dict[str, Any]]] | None = None,
        track_interval_s: float = 1.0,
        resend_after_s: float = 10.0,
        window: int = 1000,
        flush_interval_s: float = 0.25,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.station = check_name(station)
        self._bus = bus
        self._broker = broker
        self._summary = summary
        self._network = network
        self._situation = situation
        self._video = video
        self._retained_sent: dict[Kind, str] = {}  # kind -> content last published
        self._resend_retained = threading.Event()
        self._failing: set[Kind] = set()  # kinds whose last build failed (logged once)
        self._track_interval_s = track_interval_s
        self._resend_after_s = resend_after_s
        self._window = window
        self._clock = clock
        self.outbox = Outbox(engine, station)
        self._client = make_client(broker, client_id=f"station-{station}")
        will = Presence(station=station, online=False, time_s=0.0)
        self._client.will_set(topic_of(Kind.PRESENCE, station), will.encode(), qos=1, retain=True)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._connected = threading.Event()
        self._reconnected = threading.Event()
        self._beat_now = threading.Event()
        self._acks: queue.SimpleQueue[list[str]] = queue.SimpleQueue()
        routing: dict[str, Any] = {"airspace": airspace}
        if camera_range_m is not None:
            routing["camera_range_m"] = camera_range_m
        self._desk = CommandDesk(station, fleet, audit, self._publish, clock=clock, **routing)
        self._subscription: Any = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._last_track: dict[str, float] = {}
        self._unwritten: list[tuple[str, str | None, float, dict[str, Any]]] = []
        self._written_at = 0.0  # monotonic time of the last outbox write
        self._flush_interval_s = flush_interval_s
        self._inflight: dict[str, float] = {}  # key -> monotonic time sent
        self._cursor = 0  # highest outbox id sent since the last (re)send-all
        self._unsent = True  # the outbox may hold rows above the cursor: look (at start too)
        self.sent = 0
        """Records published so far (resends included)."""
        self.acknowledged = 0
        self.invalid = 0
        """Messages received that broke the contract."""

    # ------------------------------------------------------------------ life cycle

    def start(self) -> StationLink:
        """Subscribe to the bus and connect (in the background: a broker down is no error)."""
        self._subscription = self._bus.subscribe(maxsize=0)
        address = self._broker.address
        self._client.connect_async(address.host, address.port, keepalive=5)
        self._client.loop_start()
        self._thread = threading.Thread(target=self._run, name="city-station", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 5.0) -> None:
        """Say goodbye (offline, retained), stop sending; the outbox keeps what is unsent."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
        if self._subscription is not None:
            self._subscription.close()
        if self._connected.is_set():
            goodbye = Presence(station=self.station, online=False, time_s=self._clock())
            info = self._client.publish(
                topic_of(Kind.PRESENCE, self.station), goodbye.encode(), qos=1, retain=True
            )
            with contextlib.suppress(RuntimeError, ValueError):
                info.wait_for_publish(1.0)
        self._client.disconnect()
        self._client.loop_stop()

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def wait_connected(self, timeout_s: float) -> bool:
        return self._connected.wait(timeout_s)

    # ------------------------------------------------------------------ paho thread

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            log.warning("city bus: broker refused station %s: %s", self.station, reason)
            return
        client.subscribe(
            [(topic_of(Kind.ACK, self.station), 1), (topic_of(Kind.COMMAND, self.station), 1)]
        )
        hello = Presence(station=self.station, online=True, time_s=self._clock())
        client.publish(topic_of(Kind.PRESENCE, self.station), hello.encode(), qos=1, retain=True)
        geojson = self._network() if self._network is not None else None
        if geojson is not None:
            network = StationNetwork(station=self.station, time_s=self._clock(), geojson=geojson)
            client.publish(
                topic_of(Kind.NETWORK, self.station), network.encode(), qos=1, retain=True
            )
        self._reconnected.set()
        self._resend_retained.set()
        self._connected.set()
        self._beat_now.set()  # the centre learns the outbox's depth at once
        log.info("city bus: station %s connected", self.station)

    def _on_disconnect(self, _c: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if self._connected.is_set() and not self._stopping.is_set():
            log.warning("city bus: station %s disconnected (%s); buffering", self.station, reason)
        self._connected.clear()

    def _on_message(self, _c: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
        try:
            parts, message = decode(msg.topic, msg.payload)
        except ContractError as exc:
            self.invalid += 1
            log.warning("city bus: dropped a message: %s", exc)
            return
        if isinstance(message, RecordAck):
            self._acks.put(message.keys)
        elif parts.kind is Kind.COMMAND:
            self._desk.receive(message)  # type: ignore[arg-type]

    def _publish(self, kind: Kind, message: Message, vehicle: str | None = None) -> bool:
        """Publish ``message`` if connected; False when the link is down or the send failed."""
        if not self._connected.is_set():
            return False
        info = self._client.publish(
            topic_of(kind, self.station, vehicle),
            message.encode(),
            qos=QOS[kind],
            retain=kind in RETAINED,
        )
        return info.rc == mqtt.MQTT_ERR_SUCCESS

    # ------------------------------------------------------------------ worker

    def _run(self) -> None:
        next_heartbeat = 0.0
        while not self._stopping.is_set():
            try:
                events = self._subscription.drain()
                if not events:
                    first = self._subscription.get(timeout_s=0.05)
                    events = [first, *self._subscription.drain()] if first else []
                self._keep(events)
                self._take_acks()
                self._desk.work()
                self._send()
                now = time.monotonic()
                if self._beat_now.is_set() or now >= next_heartbeat:
                    self._beat_now.clear()
                    next_heartbeat = now + HEARTBEAT_INTERVAL_S
                    self._heartbeat()
                    self._publish_changes()
            except Exception:  # the link must outlive any one bad event or database hiccup
                log.exception("city bus: station worker error; retrying")
                self._stopping.wait(1.0)
        self._keep(self._subscription.drain(), flush=True)  # nothing received is lost

    def _keep(self, events: list[Event], *, flush: bool = False) -> None:
        """Publish live telemetry now; write records to the outbox in one transaction at
        least every ``flush_interval_s`` (each commit is an fsync on SQLite)."""
        records = self._unwritten
        for event in events:
            if event.kind is EventKind.TELEMETRY and event.vehicle_id:
                self._publish_live(event)
                last = self._last_track.get(event.vehicle_id, float("-inf"))
                if event.time_s - last < self._track_interval_s:
                    continue
                self._last_track[event.vehicle_id] = event.time_s
            data = json.loads(json.dumps(dict(event.data), default=str))
            records.append((str(event.kind), event.vehicle_id, event.time_s, data))
        now = time.monotonic()
        if records and (flush or now - self._written_at >= self._flush_interval_s):
            self.outbox.add(records)
            self._unwritten = []
            self._written_at = now
            self._unsent = True

    def _publish_live(self, event: Event) -> None:
        try:
            sample = Telemetry(
                station=self.station,
                vehicle=event.vehicle_id,
                time_s=event.time_s,
                sent_s=self._clock(),
                data=dict(event.data),
            )
        except ValueError:
            return  # a vehicle id that cannot name a topic: its track still goes as records
        self._publish(Kind.TELEMETRY, sample, event.vehicle_id)

    def _take_acks(self) -> None:
        keys: list[str] = []
        while True:
            try:
                keys += self._acks.get_nowait()
            except queue.Empty:
                break
        if keys:
            self.acknowledged += self.outbox.acknowledge(keys)
            for key in keys:
                self._inflight.pop(key, None)

    def _send(self) -> None:
        if self._reconnected.is_set():  # everything unacknowledged goes again
            self._reconnected.clear()
            self._inflight.clear()
            self._cursor = 0
            self._unsent = True
        now = time.monotonic()
        if self._inflight and now - min(self._inflight.values()) > self._resend_after_s:
            log.info("city bus: %d records unacknowledged; resending", len(self._inflight))
            self._inflight.clear()
            self._cursor = 0
            self._unsent = True
        room = self._window - len(self._inflight)
        if room <= 0 or not self._unsent or not self._connected.is_set():
            return
        batch = self.outbox.pending(self._cursor, limit=room)
        self._unsent = len(batch) == room  # a full batch: there may be more
        for pending in batch:
            record = Record(
                station=self.station,
                key=pending.key,
                kind=pending.kind,
                vehicle=pending.vehicle_id,
                time_s=pending.time_s,
                data=pending.data,
            )
            if not self._publish(Kind.RECORD, record):
                self._unsent = True
                return
            self._inflight[pending.key] = now
            self._cursor = pending.id
            self.sent += 1

    def _publish_changes(self) -> None:
        """Publish the situation and the video feeds if they changed since last sent (or
        the link reconnected: the broker's retained copy may predate a restart)."""
        if self._resend_retained.is_set():
            self._resend_retained.clear()
            self._retained_sent.clear()
        if self._situation is not None:
            self._publish_if_changed(
                Kind.SITUATION, lambda: StationSituation(**self._base(), **self._situation())
            )
        if self._video is not None:
            self._publish_if_changed(
                Kind.VIDEO, lambda: StationVideo(**self._base(), feeds=self._video())
            )

    def _base(self) -> dict[str, Any]:
        return {"station": self.station, "time_s": self._clock()}

    def _publish_if_changed(self, kind: Kind, build: Callable[[], Message]) -> None:
        try:
            message = build()
        except Exception:  # a bad picture must not stop the link: said once, tried again
            if kind not in self._failing:
                log.exception("city bus: the station's %s cannot be sent", kind)
            self._failing.add(kind)
            return
        self._failing.discard(kind)
        content = message.model_dump_json(exclude={"time_s"})
        if self._retained_sent.get(kind) == content:
            return
        if self._publish(kind, message):
            self._retained_sent[kind] = content

    def _heartbeat(self) -> None:
        summary: dict[str, Any] = {}
        if self._summary is not None:
            try:
                summary = self._summary()
            except Exception:
                log.exception("city bus: station summary failed")
        beat = Heartbeat(
            station=self.station,
            time_s=self._clock(),
            vehicles=sorted(self._last_track),
            outbox=self.outbox.depth(),
            summary=summary,
        )
        self._publish(Kind.HEARTBEAT, beat)
