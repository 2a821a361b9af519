"""A restarting centre subscribes first and stores later: nothing is lost in between.

The centre connects to the broker before its web app is built
(:meth:`Centre.connect`), so the picture is whole when the app first answers;
the records that arrive meanwhile must wait, unacknowledged (the station keeps
them in its outbox), until :meth:`Centre.start` stores them, each once.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine, func, select
from support import wait_until

from dronepatrol.city import Centre, StationLink
from dronepatrol.city.local_broker import LocalBroker
from dronepatrol.database import CityRecord
from dronepatrol.events import EventBus, EventKind

pytestmark = pytest.mark.postgres


def stored_waypoints(engine: Engine) -> list[int]:
    """The waypoint numbers stored at the centre, one entry per row."""
    seq = CityRecord.data["seq"].as_integer()
    with engine.connect() as connection:
        rows = connection.execute(
            select(seq).where(CityRecord.kind == "waypoint_reached").order_by(seq)
        ).all()
    return [int(n) for (n,) in rows]


def test_a_connected_centre_shows_the_city_and_stores_only_once_started(
    broker: LocalBroker, centre_engine: Engine, station_engine: Engine
) -> None:
    bus = EventBus()
    link = StationLink("north", bus, station_engine, broker.station_settings("north")).start()
    centre = Centre(centre_engine, broker.centre_settings())
    stop_flying = threading.Event()
    sent = 0

    def fly() -> None:
        nonlocal sent
        while not stop_flying.wait(0.1):
            bus.emit(EventKind.TELEMETRY, "north-1", lat_deg=-35.36, lon_deg=149.16, armed=True)
            if sent < 20:
                sent += 1
                bus.emit(EventKind.WAYPOINT_REACHED, "north-1", seq=sent)

    flight = threading.Thread(target=fly, daemon=True)
    try:
        assert link.wait_connected(10)
        flight.start()
        centre.connect()
        assert centre.wait_connected(10)
        wait_until(
            lambda: (
                (centre.station("north") or {"stale": True})["stale"] is False
                and [v["vehicle"] for v in centre.vehicles() if not v["stale"]] == ["north-1"]
            ),
            10,
            "north and its drone fresh at the connected centre",
        )
        wait_until(lambda: sent == 20, 10, "twenty waypoint records sent")
        # received, not stored: so not acknowledged, and the station still holds them
        assert stored_waypoints(centre_engine) == []
        assert link.outbox.depth() > 0
        with centre_engine.connect() as connection:
            assert connection.execute(select(func.count()).select_from(CityRecord)).scalar() == 0

        centre.start()
        wait_until(
            lambda: stored_waypoints(centre_engine) == list(range(1, 21)),
            20,
            "every waypoint record stored once",
        )
        wait_until(lambda: link.outbox.depth() == 0, 20, "the outbox emptied by the acks")
    finally:
        stop_flying.set()
        flight.join(5)
        centre.stop()
        link.stop()
