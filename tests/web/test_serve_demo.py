"""`dronepatrol serve --demo` (what `make demo` runs): drones, map data and video, for real."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path

from support import served_demo


def _get(url: str, token: str | None = None, data: dict | None = None):
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.data = json.dumps(data).encode()
        request.add_header("Content-Type", "application/json")
    return urllib.request.urlopen(request, timeout=5)


def _wait(check, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            result = check()
            if result:
                return result
        except OSError:
            pass
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)


def test_demo_serves_two_drones_network_and_video(tmp_path: Path) -> None:
    with served_demo(tmp_path, "demo-admin", "--video-fps", "3") as base:
        with _get(f"{base}/api/login", data={"username": "admin", "password": "demo-admin"}) as r:
            token = json.load(r)["token"]

        def two_up():
            with _get(f"{base}/api/vehicles", token) as r:
                vehicles = json.load(r)["vehicles"]
            ready = [v for v in vehicles if v["link"] == "up" and v["position"]]
            return ready if len(ready) == 2 else None

        vehicles = _wait(two_up, 60, "two demo drones with a position")
        assert {v["id"] for v in vehicles} == {"S01-1", "S02-1"}
        with _get(f"{base}/api/network", token) as r:
            network = json.load(r)
        kinds = {f["properties"]["kind"] for f in network["features"]}
        assert {"grid", "line", "point", "nofly", "station"} <= kinds

        def jpeg():
            with _get(f"{base}/video/S01-1.jpg", token) as r:
                return r.read() if r.headers["Content-Type"] == "image/jpeg" else None

        image = _wait(jpeg, 60, "a video frame")
        assert image[:2] == b"\xff\xd8" and len(image) > 10_000


def test_demo_cameras_puts_cameras_on_the_first_drones_only(tmp_path: Path) -> None:
    options = ("--video-fps", "2", "--demo-cameras", "1", "--schedule", "off")
    with served_demo(tmp_path, "demo-admin", *options) as base:
        with _get(f"{base}/api/login", data={"username": "admin", "password": "demo-admin"}) as r:
            token = json.load(r)["token"]

        def both_up():
            with _get(f"{base}/api/vehicles", token) as r:
                vehicles = json.load(r)["vehicles"]
            return len([v for v in vehicles if v["link"] == "up"]) == 2

        _wait(both_up, 60, "two demo drones")
        with _get(f"{base}/video/", token) as r:
            listed = json.load(r)
        assert [s["vehicle_id"] for s in listed["streams"]] == ["S01-1"]
