"""Fixtures for the simulator's own tests: a fresh fast-starting fleet on free ports."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from dronepatrol.sitl import Home, SimFleet
from flight.flightlib import Gcs

HOME = Home(-35.363261, 149.165230, 584.0, 0.0)


@pytest.fixture
def make_fleet() -> Iterator[Callable[..., SimFleet]]:
    """``make_fleet(n=1, speedup=10, **kwargs)``: a started fleet, stopped after the test."""
    fleets: list[SimFleet] = []

    def make(n: int = 1, speedup: float = 10.0, **kwargs) -> SimFleet:
        kwargs.setdefault("fast_start", True)
        fleet = SimFleet(n, HOME, speedup=speedup, base_port=0, **kwargs).start()
        fleets.append(fleet)
        return fleet

    yield make
    for fleet in fleets:
        fleet.stop()


@pytest.fixture
def connect() -> Iterator[Callable[..., Gcs]]:
    """``connect(url, sysid=1, source_system=255)``: a Gcs that has seen a heartbeat."""
    links: list[Gcs] = []

    def make(url: str, sysid: int = 1, source_system: int = 255, streams: bool = True) -> Gcs:
        gcs = Gcs(url, target_system=sysid, source_system=source_system)
        links.append(gcs)
        gcs.wait_heartbeat(timeout=20)
        if streams:
            gcs.request_streams(4)
        return gcs

    yield make
    for gcs in links:
        gcs.close()
