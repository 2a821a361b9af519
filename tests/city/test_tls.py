"""The city bus over TLS: a broker whose certificate a test CA signed, verified by both ends."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine
from support import wait_until

from dronepatrol.city import BrokerSettings, Centre, StationLink
from dronepatrol.city.local_broker import LocalBroker
from dronepatrol.events import EventBus, EventKind


@pytest.fixture
def tls_broker(tmp_path: Path):
    if shutil.which("mosquitto") is None and shutil.which("mosquitto", path="/usr/sbin") is None:
        pytest.skip("mosquitto is not installed: run `make system-deps`")
    broker = LocalBroker(tmp_path / "broker", ["north"], tls=True).start()
    yield broker
    broker.stop()


# paho-mqtt 2.x leaves the socket of a TLS handshake that failed verification unclosed
# (Client._ssl_wrap_socket): the refused connection below triggers that warning
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_records_travel_over_tls_and_an_unverified_broker_is_refused(
    tls_broker: LocalBroker, station_engine: Engine, tmp_path: Path
) -> None:
    from dronepatrol.database import make_engine, upgrade

    assert tls_broker.url.startswith("mqtts://")
    centre_engine = upgrade(make_engine(f"sqlite:///{tmp_path / 'centre.db'}"))
    centre = Centre(centre_engine, tls_broker.centre_settings()).start()
    bus = EventBus()
    link = StationLink("north", bus, station_engine, tls_broker.station_settings("north")).start()
    try:
        assert centre.wait_connected(10) and link.wait_connected(10)
        bus.emit(EventKind.WAYPOINT_REACHED, "north-1", seq=1)
        wait_until(lambda: centre.record_count("north") == 1, 10, "the record over TLS")
    finally:
        link.stop()
        centre.stop()
    # the system's CAs do not know the broker's: the station does not connect
    settings = tls_broker.station_settings("north")
    untrusting = BrokerSettings(settings.url, settings.username, settings.password, ca_file="")
    stranger = StationLink("north", EventBus(), station_engine, untrusting).start()
    try:
        assert not stranger.wait_connected(2.0)
    finally:
        stranger.stop()
