"""The composition root builds the served app's parts, starts them, and stops every one."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from support import SteppedClock, wait_until

from dronepatrol.cli.runtime import EXAMPLE_NETWORK, ControlRuntime, ServeOptions
from dronepatrol.settings import Settings


def _threads() -> set[threading.Thread]:
    return set(threading.enumerate())


def test_stop_leaves_no_thread_of_its_own_running(tmp_path: Path) -> None:
    before = _threads()
    clock = SteppedClock()
    runtime = ControlRuntime(
        Settings(data_dir=tmp_path), ServeOptions(network_file=EXAMPLE_NETWORK), clock=clock
    )
    with runtime:
        room = runtime.room
        assert room.fleet is not None and room.dispatcher is not None
        assert room.freshness is not None and room.scheduler is not None
        assert room.network is not None and room.network_geojson is not None
        # one clock: "now" for tokens, freshness and the scheduler alike
        assert runtime.app.config["CLOCK"] is clock
        assert room.freshness.clock is clock and room.scheduler.clock is clock
        started = _threads() - before
        assert started, "the recorder, keeper and scheduler run threads"
    wait_until(lambda: not (_threads() - before), 10, "every started thread to end")
    runtime.stop()  # a second stop does nothing


def test_a_failed_start_stops_what_it_had_started(tmp_path: Path) -> None:
    before = _threads()
    # the fleet, recorder and freshness keeper are running when the bad link URL is met
    options = ServeOptions(network_file=EXAMPLE_NETWORK, connect=["carrier-pigeon:coop"])
    runtime = ControlRuntime(Settings(data_dir=tmp_path), options)
    with pytest.raises(ValueError, match="carrier-pigeon"):
        runtime.start()
    wait_until(lambda: not (_threads() - before), 10, "every started thread to end")
