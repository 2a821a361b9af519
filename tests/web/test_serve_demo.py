"""`dronepatrol serve --demo` (what `make demo` runs): drones, map data and video, for real."""

from __future__ import annotations

import json
import signal
import socket
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

from support import served_demo, wait_until


def _get(url: str, token: str | None = None, data: dict | None = None):
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.data = json.dumps(data).encode()
        request.add_header("Content-Type", "application/json")
    return urllib.request.urlopen(request, timeout=5)


def test_demo_serves_two_drones_network_and_video(tmp_path: Path) -> None:
    with served_demo(tmp_path, "demo-admin", "--video-fps", "3") as base:
        with _get(f"{base}/api/login", data={"username": "admin", "password": "demo-admin"}) as r:
            token = json.load(r)["token"]

        def two_up():
            with _get(f"{base}/api/vehicles", token) as r:
                vehicles = json.load(r)["vehicles"]
            ready = [v for v in vehicles if v["link"] == "up" and v["position"]]
            return ready if len(ready) == 2 else None

        vehicles = wait_until(
            two_up, 60, "two demo drones with a position", every_s=0.5, ignoring=(OSError,)
        )
        assert {v["id"] for v in vehicles} == {"S01-1", "S02-1"}
        with _get(f"{base}/api/network", token) as r:
            network = json.load(r)
        kinds = {f["properties"]["kind"] for f in network["features"]}
        assert {"grid", "line", "point", "nofly", "station"} <= kinds

        def jpeg():
            with _get(f"{base}/video/S01-1.jpg", token) as r:
                return r.read() if r.headers["Content-Type"] == "image/jpeg" else None

        image = wait_until(jpeg, 60, "a video frame", every_s=0.5, ignoring=(OSError,))
        assert image[:2] == b"\xff\xd8" and len(image) > 10_000


def _open_or_none(url: str, token: str):
    """The open response for ``url``, or None while it answers an error (closed here)."""
    try:
        return _get(url, token)
    except urllib.error.HTTPError as refused:
        refused.close()
        return None


def test_sigterm_with_viewers_watching_stops_everything_and_frees_the_port(
    tmp_path: Path,
) -> None:
    # served_demo checks on exit: status 0 within 20 s, every thread stopped, no
    # process left behind, no traceback.
    with served_demo(
        tmp_path, "demo-admin", "--video-fps", "2", drones=1, stop_signal=signal.SIGTERM
    ) as base:
        with _get(f"{base}/api/login", data={"username": "admin", "password": "demo-admin"}) as r:
            token = json.load(r)["token"]
        events = _get(f"{base}/api/events", token)  # a browser's live feed, left open
        assert events.readline().startswith(b"retry:")
        video = wait_until(
            lambda: _open_or_none(f"{base}/video/S01-1.mjpg", token), 60, "the live video"
        )
        assert video.read(2) == b"--"
        port = urlparse(base).port
    events.close()
    video.close()
    with socket.socket() as probe:
        # as a restarted server binds (connections it closed may linger in TIME_WAIT)
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))  # nothing listens there any more
        probe.listen()


def test_demo_cameras_puts_cameras_on_the_first_drones_only(tmp_path: Path) -> None:
    options = ("--video-fps", "2", "--demo-cameras", "1", "--schedule", "off")
    with served_demo(tmp_path, "demo-admin", *options) as base:
        with _get(f"{base}/api/login", data={"username": "admin", "password": "demo-admin"}) as r:
            token = json.load(r)["token"]

        def both_up():
            with _get(f"{base}/api/vehicles", token) as r:
                vehicles = json.load(r)["vehicles"]
            return len([v for v in vehicles if v["link"] == "up"]) == 2

        wait_until(both_up, 60, "two demo drones")
        with _get(f"{base}/video/", token) as r:
            listed = json.load(r)
        assert [s["vehicle_id"] for s in listed["streams"]] == ["S01-1"]
