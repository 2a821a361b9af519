"""MJPEG delivery through a real server: many viewers, one slow, one encode per frame.

Waitress serves the app on a free port; a feeder publishes 25 frames/s into
the vehicle's frame buffer, as a pipeline does. Fast viewers must get nearly
every frame; a deliberately slow viewer (tiny receive buffer, reads a frame
every 0.3 s) must skip frames yet always get recent ones, and must not
slow the feeder or the other viewers.
"""

from __future__ import annotations

import itertools
import statistics
import threading
import time

import cv2
import numpy as np
import pytest
from video_support import MjpegClient, free_port, serve, signed_in_app

FPS = 25.0
FEED_S = 4.0


def _jpegs(count: int) -> list[bytes]:
    """Distinct, realistically sized (about 100 kB) JPEG frames."""
    rng = np.random.default_rng(1)
    base = cv2.resize(rng.integers(0, 255, (60, 80, 3), np.uint8), (640, 480))
    frames = []
    for n in range(count):
        image = np.roll(base, n * 5, axis=1)
        cv2.putText(image, str(n), (20, 60), cv2.FONT_HERSHEY_SIMPLEX, 2, (255, 255, 255), 3)
        frames.append(cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes())
    return frames


@pytest.fixture
def signed_in(tmp_path):
    app, headers, token = signed_in_app(tmp_path)
    yield app, headers, token
    app.extensions["dronepatrol"].stop()


@pytest.fixture
def app(signed_in):
    return signed_in[0]


@pytest.fixture
def client(signed_in):
    """A test client that sends the viewer's bearer token with every request."""
    app, headers, _ = signed_in
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = headers["Authorization"]
    return client


def test_video_needs_a_signed_in_viewer(app) -> None:
    anonymous = app.test_client()
    browser = anonymous.get("/video/1.mjpg")
    assert browser.status_code == 302 and browser.headers["Location"].startswith("/login")
    script = anonymous.get("/video/", headers={"Accept": "application/json"})
    assert script.status_code == 401


def test_many_viewers_and_a_slow_one(app, client, signed_in) -> None:
    token = signed_in[2]
    buffer = app.extensions["video"].ensure("1", "Copter-1")
    frames = _jpegs(40)
    port = free_port()
    stop_server = serve(app, port, threads=12, outbuf_high_watermark=256 * 1024, sndbuf=65536)
    published: list[tuple[int, float]] = []  # (seq, when)
    feeding = threading.Event()

    def feed() -> None:
        start = time.monotonic()
        n = 0
        while time.monotonic() - start < FEED_S:
            frame = buffer.publish(frames[n % len(frames)], time.time(), 640, 480)
            published.append((frame.seq, time.monotonic()))
            feeding.set()
            n += 1
            time.sleep(max(0.0, start + n / FPS - time.monotonic()))

    results: dict[str, list[tuple[int, float, float]]] = {}

    def watch(name: str, slow: bool) -> None:
        viewer = MjpegClient(port, "/video/1.mjpg", rcvbuf=16384 if slow else None, token=token)
        got = results.setdefault(name, [])
        assert viewer.status == 200
        assert viewer.headers["content-type"].startswith("multipart/x-mixed-replace")
        try:
            while True:
                headers, jpeg = viewer.next_part()
                assert jpeg[:3] == b"\xff\xd8\xff" and jpeg[-2:] == b"\xff\xd9"
                latest = buffer.latest()
                got.append(
                    (int(headers["x-frame-seq"]), float(headers["x-capture-time"]), time.time())
                )
                if latest is not None:
                    got[-1] = (*got[-1][:2], time.time())
                    lags.setdefault(name, []).append(latest.seq - got[-1][0])
                if slow:
                    time.sleep(0.3)
        except (EOFError, OSError):
            pass
        finally:
            viewer.close()

    lags: dict[str, list[int]] = {}
    viewers = [threading.Thread(target=watch, args=(f"fast{i}", False)) for i in range(4)]
    viewers.append(threading.Thread(target=watch, args=("slow", True)))
    feeder = threading.Thread(target=feed)
    try:
        for v in viewers:
            v.start()
        time.sleep(0.3)  # viewers connected and waiting
        feeder.start()
        feeder.join()
        time.sleep(0.2)
        # While viewers are still connected the API counts them.
        status = client.get("/video/1/status").get_json()
        assert status["viewers"] == 5
        buffer.close()  # the stream ends: every viewer's response finishes
        for v in viewers:
            v.join(15)
    finally:
        buffer.close()
        stop_server()

    total = len(published)
    assert total >= FEED_S * FPS * 0.85, "publishing must never wait for viewers"
    for i in range(4):
        seqs = [seq for seq, _, _ in results[f"fast{i}"]]
        assert seqs == sorted(set(seqs)), "frames arrive in order, never twice"
        assert len(seqs) >= 0.6 * total, (len(seqs), total)  # even on a loaded machine
        latencies = [recv - cap for _, cap, recv in results[f"fast{i}"]]
        assert statistics.median(latencies) < 1.0
    slow = results["slow"]
    slow_seqs = [seq for seq, _, _ in slow]
    assert 3 <= len(slow) <= 0.5 * total, slow_seqs
    assert slow_seqs == sorted(set(slow_seqs))
    assert any(b - a > 1 for a, b in itertools.pairwise(slow_seqs)), slow_seqs
    # Its lag is what its connection's small buffers hold (a few frames, each
    # taken when it was ready): it levels off instead of growing with time.
    live = lags["slow"][: int(FEED_S / 0.3)]
    plateau = live[-4:]
    assert max(plateau) - min(plateau) <= 8 and max(live) <= 60, live
    assert status["latency_ms"]["capture_to_sent"]["count"] > 0


def test_snapshot_status_and_errors(app, client) -> None:
    missing = client.get("/video/9.jpg")
    assert missing.status_code == 404
    assert "no video stream" in missing.get_json()["message"]
    buffer = app.extensions["video"].ensure("1")
    jpeg = _jpegs(1)[0]
    buffer.publish(jpeg, time.time() - 0.05, 640, 480)
    shot = client.get("/video/1.jpg")
    assert shot.status_code == 200 and shot.mimetype == "image/jpeg"
    assert shot.data == jpeg and shot.headers["X-Frame-Seq"] == "1"
    listing = client.get("/video/").get_json()
    assert [s["vehicle_id"] for s in listing["streams"]] == ["1"]
    status = client.get("/video/1/status").get_json()
    assert status["frames"] == 1 and status["width"] == 640
    assert status["latency_ms"]["capture_to_encoded"]["p50"] >= 50


def test_snapshot_before_first_frame_is_503(app, client, monkeypatch) -> None:
    from dronepatrol.web import video

    monkeypatch.setattr(video, "FIRST_FRAME_TIMEOUT_S", 0.1)
    app.extensions["video"].ensure("2")
    response = client.get("/video/2.jpg")
    assert response.status_code == 503
    assert "no video yet" in response.get_json()["message"]
