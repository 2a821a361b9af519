"""Fixtures for the link tests.

* ``copter``: a scripted ArduCopter peer for protocol tests (see mavpeer.py).
* ``launch_vehicle``: the flight suite's own fixture (tests/flight), reused so
  the link-driven flight tests run on the same backends: the embedded
  simulator always, real ArduCopter SITL (marked ``sitl``) when configured.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flight.conftest import HOME, SPEEDUP, backend_name, launch_vehicle  # noqa: F401 - shared

from dronepatrol.events import EventBus
from link.mavpeer import ScriptedCopter


@pytest.fixture
def copter() -> Iterator[ScriptedCopter]:
    peer = ScriptedCopter()
    peer.start()
    yield peer
    peer.stop()


@pytest.fixture
def bus() -> EventBus:
    return EventBus()
