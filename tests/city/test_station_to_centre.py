"""Stations and the centre over a real Mosquitto broker, records into a real PostgreSQL.

Each test flies a station's event stream (telemetry at 4 Hz and numbered
patrol events) while something breaks: the broker killed and restarted, the
station's link blackholed, and checks that the centre shows what a commander
needs (stale within 5 s) and that every record arrives exactly once.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, func, select
from support import wait_until

from dronepatrol.city import Centre, StationLink
from dronepatrol.city.broker import BrokerSettings
from dronepatrol.city.local_broker import LocalBroker
from dronepatrol.city.netcut import CuttableLink
from dronepatrol.database import CityRecord
from dronepatrol.events import EventBus, EventKind

pytestmark = pytest.mark.postgres


class Sortie:
    """A station's drone in the air, as its event bus sees it: 4 Hz telemetry and a numbered
    waypoint event every 0.2 s, until stopped."""

    def __init__(self, bus: EventBus, vehicle: str = "north-1") -> None:
        self.bus = bus
        self.vehicle = vehicle
        self.numbered = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._fly, daemon=True)

    def __enter__(self) -> Sortie:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)

    def _fly(self) -> None:
        tick = 0
        while not self._stop.wait(0.05):
            tick += 1
            if tick % 5 == 0:
                self.bus.emit(
                    EventKind.TELEMETRY,
                    self.vehicle,
                    lat_deg=-35.36 + tick * 1e-6,
                    lon_deg=149.16,
                    alt_rel_m=30.0,
                    armed=True,
                    mode="AUTO",
                )
            if tick % 4 == 0:
                self.numbered += 1
                self.bus.emit(EventKind.WAYPOINT_REACHED, self.vehicle, seq=self.numbered)


def numbered_rows(engine: Engine, station: str) -> dict[int, int]:
    """How many times each numbered waypoint event of ``station`` is stored."""
    seq = CityRecord.data["seq"].as_integer()
    with engine.connect() as connection:
        rows = connection.execute(
            select(seq, func.count())
            .where(CityRecord.station == station, CityRecord.kind == "waypoint_reached")
            .group_by(seq)
        ).all()
    return {int(n): int(count) for n, count in rows}


def all_arrived_once(engine: Engine, station: str, sortie: Sortie) -> bool:
    stored = numbered_rows(engine, station)
    assert all(count == 1 for count in stored.values()), f"stored twice: {stored}"
    return sorted(stored) == list(range(1, sortie.numbered + 1))


@pytest.fixture
def centre(centre_engine: Engine, broker: LocalBroker) -> Iterator[Centre]:
    centre = Centre(centre_engine, broker.centre_settings()).start()
    assert centre.wait_connected(10)
    yield centre
    centre.stop()


def start_station(
    broker: LocalBroker, engine: Engine, bus: EventBus, port: int | None = None
) -> StationLink:
    settings = broker.station_settings("north")
    if port is not None:
        settings = BrokerSettings(
            f"mqtt://127.0.0.1:{port}", settings.username, settings.password, settings.ca_file
        )
    link = StationLink("north", bus, engine, settings, resend_after_s=5.0).start()
    assert link.wait_connected(10)
    return link


def test_a_stations_records_reach_the_centres_postgresql_once(
    broker: LocalBroker, centre: Centre, centre_engine: Engine, station_engine: Engine
) -> None:
    bus = EventBus()
    link = start_station(broker, station_engine, bus)
    try:
        with Sortie(bus) as sortie:
            wait_until(lambda: sortie.numbered >= 10, 10, "ten waypoint events")
        wait_until(
            lambda: all_arrived_once(centre_engine, "north", sortie), 20, "every record stored"
        )
        wait_until(lambda: link.outbox.depth() == 0, 10, "the outbox emptied by the acks")
        view = wait_until(lambda: centre.station("north"), 5, "the station in the picture")
        assert view["online"] and not view["stale"]
        vehicles = centre.vehicles()
        assert [(v["station"], v["vehicle"], v["mode"]) for v in vehicles] == [
            ("north", "north-1", "AUTO")
        ]
        assert centre.latencies_s, "live telemetry reached the centre"
    finally:
        link.stop()
    wait_until(lambda: centre.station("north")["stale"], 5, "a station that said goodbye")


def test_broker_killed_and_restarted_mid_sortie_loses_nothing(
    broker: LocalBroker, centre: Centre, centre_engine: Engine, station_engine: Engine
) -> None:
    bus = EventBus()
    link = start_station(broker, station_engine, bus)
    try:
        with Sortie(bus) as sortie:
            wait_until(lambda: numbered_rows(centre_engine, "north"), 10, "the first records")
            broker.kill()
            wait_until(lambda: not link.connected, 10, "the station noticing the broker gone")
            stored_when_killed = len(numbered_rows(centre_engine, "north"))
            flown_when_killed = sortie.numbered
            time.sleep(2.0)  # the sortie goes on with no broker for a while
            broker.start()
            wait_until(lambda: link.connected and centre.connected, 15, "both reconnected")
            wait_until(lambda: sortie.numbered > flown_when_killed + 20, 10, "more flying")
        assert stored_when_killed < flown_when_killed + 10
        wait_until(
            lambda: all_arrived_once(centre_engine, "north", sortie),
            30,
            "every record, those of the outage included, stored once",
        )
        wait_until(lambda: link.outbox.depth() == 0, 15, "the outbox emptied")
    finally:
        link.stop()


def test_a_station_cut_off_goes_on_shows_stale_and_delivers_everything_once(
    broker: LocalBroker, centre: Centre, centre_engine: Engine, station_engine: Engine
) -> None:
    """The city network dies between one station and the broker (blackholed: no FIN, no RST)."""
    relay = CuttableLink(broker.port)
    bus = EventBus()
    link = start_station(broker, station_engine, bus, port=relay.port)
    try:
        with Sortie(bus) as sortie:
            wait_until(lambda: numbered_rows(centre_engine, "north"), 10, "the first records")
            wait_until(lambda: not centre.station("north")["stale"], 5, "a fresh station")
            relay.cut()
            cut_at = time.monotonic()
            wait_until(lambda: centre.station("north")["stale"], 10, "the station shown stale")
            stale_after_s = time.monotonic() - cut_at
            assert stale_after_s <= 5.0
            flown_at_cut = sortie.numbered
            # the station goes on: its outbox grows while the link is down
            wait_until(lambda: sortie.numbered >= flown_at_cut + 40, 20, "the sortie going on")
            assert link.outbox.depth() >= 30
            waiting_at_cut = centre.station("north")["outbox"]
            assert waiting_at_cut is None  # a stale station's figures are not shown as current
            relay.restore()
            wait_until(lambda: not centre.station("north")["stale"], 15, "the station back")
        ended = time.time()

        def nothing_waiting() -> bool:
            """A heartbeat sent after the sortie's last event says the outbox is empty."""
            view = centre.station("north")
            heard_at = time.time() - (view["heartbeat_age_s"] or float("inf"))
            return view["outbox"] == 0 and heard_at > ended + 0.5

        # "nothing waiting" at the centre means delivered: every record is stored by then
        wait_until(nothing_waiting, 30, "nothing waiting")
        assert all_arrived_once(centre_engine, "north", sortie)
        assert link.outbox.depth() == 0
    finally:
        link.stop()
        relay.close()


def test_a_restarted_centre_has_the_whole_picture_and_the_records_it_missed(
    broker: LocalBroker, centre_engine: Engine, station_engine: Engine
) -> None:
    bus = EventBus()
    link = start_station(broker, station_engine, bus)
    first = Centre(centre_engine, broker.centre_settings()).start()
    try:
        with Sortie(bus) as sortie:
            wait_until(lambda: numbered_rows(centre_engine, "north"), 10, "the first records")
            first.stop()
            down_at = sortie.numbered
            wait_until(lambda: sortie.numbered >= down_at + 15, 10, "flying with no centre")
            started = time.monotonic()
            second = Centre(centre_engine, broker.centre_settings()).start()
            try:
                wait_until(
                    lambda: second.vehicles() and not second.station("north")["stale"],
                    10,
                    "the restarted centre's picture",
                )
                assert time.monotonic() - started <= 10.0
            finally:
                wait_until(lambda: sortie.numbered >= down_at + 25, 10, "more flying")
        try:
            wait_until(
                lambda: all_arrived_once(centre_engine, "north", sortie),
                30,
                "the records sent while the centre was down, stored once",
            )
        finally:
            second.stop()
    finally:
        link.stop()


def test_a_station_cannot_speak_for_another_or_connect_without_its_password(
    broker: LocalBroker, centre: Centre, centre_engine: Engine, station_engine: Engine
) -> None:
    bus = EventBus()
    south = broker.station_settings("south")
    # south's account publishing under north's topics: the broker's ACL drops it
    impostor = StationLink("north", bus, station_engine, south).start()
    try:
        assert impostor.wait_connected(10)
        bus.emit(EventKind.WAYPOINT_REACHED, "north-1", seq=1)
        wait_until(lambda: impostor.sent >= 1, 10, "the impostor's record sent")
        time.sleep(1.5)  # what the broker would have delivered by now
        assert centre.record_count() == 0
        assert centre.station("north") is None
    finally:
        impostor.stop()
    wrong = BrokerSettings(broker.url, "station-north", "not-the-password")
    stranger = StationLink("north", EventBus(), station_engine, wrong).start()
    try:
        assert not stranger.wait_connected(2.0)
    finally:
        stranger.stop()


def test_a_retained_online_from_before_a_broker_restart_does_not_make_a_silent_station_fresh(
    broker: LocalBroker, centre_engine: Engine, station_engine: Engine
) -> None:
    """The broker keeps "north online" across its restart, but north went quiet meanwhile."""
    link = start_station(broker, station_engine, EventBus())
    time.sleep(2.5)  # the broker saves its retained messages every second (autosave_interval)
    broker.kill()  # north's presence stays "online" in the broker's persisted state
    link.stop()  # north goes away while no broker can publish its will
    broker.start()
    centre = Centre(centre_engine, broker.centre_settings()).start()
    try:
        assert centre.wait_connected(10)
        view = wait_until(lambda: centre.station("north"), 5, "north's retained presence")
        assert view["online"] and view["stale"]
        time.sleep(1.5)  # more than a heartbeat interval: north would have spoken by now
        assert centre.station("north")["stale"]
    finally:
        centre.stop()


def test_a_record_delivered_twice_is_stored_once_and_acknowledged_both_times(
    broker: LocalBroker, centre: Centre, centre_engine: Engine
) -> None:
    """What a lost acknowledgement makes a station do: send the same key again."""
    from dronepatrol.city.broker import make_client
    from dronepatrol.city.contract import Kind, Record, topic_of

    acks: list[list[str]] = []
    client = make_client(broker.station_settings("north"))
    client.on_message = lambda _c, _u, msg: acks.append(json.loads(msg.payload)["keys"])
    address = broker.station_settings("north").address
    client.connect(address.host, address.port)
    client.subscribe(topic_of(Kind.ACK, "north"), qos=1)
    client.loop_start()
    try:
        record = Record(
            station="north",
            key="north/0123456789abcdef",
            kind="armed",
            vehicle="north-1",
            time_s=time.time(),
            data={"name": "north-1"},
        )
        for delivery in (1, 2):
            info = client.publish(topic_of(Kind.RECORD, "north"), record.encode(), qos=1)
            info.wait_for_publish(5)
            wait_until(lambda n=delivery: len(acks) == n, 10, f"acknowledgement {delivery}")
        assert acks == [[record.key], [record.key]]
        assert (centre.stored, centre.duplicates) == (1, 1)
        assert centre.record_count("north") == 1
    finally:
        client.loop_stop()
        client.disconnect()
