"""Fixtures for the link tests: a scripted ArduCopter peer and a link to it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from mavpeer import ScriptedCopter

from dronepatrol.events import EventBus


@pytest.fixture
def copter() -> Iterator[ScriptedCopter]:
    peer = ScriptedCopter()
    peer.start()
    yield peer
    peer.stop()


@pytest.fixture
def bus() -> EventBus:
    return EventBus()
