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


def test_video_server_janus_without_janus_keeps_mjpeg_and_says_why(
    tmp_path: Path, monkeypatch
) -> None:
    from dronepatrol.video import media_server

    monkeypatch.setattr(media_server.shutil, "which", lambda name: None)
    settings = Settings(data_dir=tmp_path, video_server="janus")
    with ControlRuntime(settings, ServeOptions()) as runtime:
        app = runtime.app
        assert "media_server" not in app.extensions
        assert "apt-get install janus" in app.extensions["media_server_error"]
        assert runtime._publisher("1") is None  # feeds go to MJPEG only
