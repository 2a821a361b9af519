"""Capture sources: URLs, files, HTTP MJPEG from a real server, reconnecting."""

from __future__ import annotations

import threading
import time

import cv2
import numpy as np
import pytest
from support import wait_until

from dronepatrol.video.frames import FrameBufferRegistry
from dronepatrol.video.recorder import Mp4Recorder
from dronepatrol.video.sources import SourceError, StreamSource, classify
from dronepatrol.video.streamer import MjpegStreamServer


def test_urls_are_classified_and_bad_ones_explained(tmp_path) -> None:
    video = tmp_path / "v.mp4"
    video.write_bytes(b"")
    assert classify("rtsp://10.0.0.5:8554/live")[0] == "rtsp"
    assert classify("rtp-h264://0.0.0.0:5600")[0] == "rtp"
    assert classify("udp://0.0.0.0:5600")[0] == "udp"
    assert classify("http://cam.local/video.mjpg")[0] == "network"
    assert classify("device:1") == ("device", 1)
    assert classify(str(video)) == ("file", str(video))
    assert classify(f"file://{video}") == ("file", str(video))
    for url, words in (
        ("", "empty"),
        ("ftp://x/y", "unknown scheme"),
        (str(tmp_path / "missing.mp4"), "does not exist"),
        ("rtp-h264://0.0.0.0", "needs a port"),
        ("device:front", "device:0"),
    ):
        with pytest.raises(SourceError, match=words):
            classify(url)


def _numbered(n: int, size=(320, 240)) -> np.ndarray:
    image = np.zeros((size[1], size[0], 3), np.uint8)
    image[:, : (n * 7) % size[0]] = (0, 160, 0)
    cv2.putText(image, str(n), (40, 150), cv2.FONT_HERSHEY_SIMPLEX, 3, (255, 255, 255), 5)
    return image


def test_file_source_plays_at_its_rate_and_keeps_only_the_newest(tmp_path) -> None:
    path = tmp_path / "clip.mp4"
    recorder = Mp4Recorder(path, 320, 240, fps=25.0)
    for n in range(30):
        recorder.write(_numbered(n), n / 25.0)
    recorder.close()
    source = StreamSource(str(path), loop=False).start()
    try:
        first = source.read(0, timeout_s=10)
        assert first is not None and first.image.shape == (240, 320, 3)
        time.sleep(0.5)  # a slow consumer: frames arrive meanwhile, only the newest is kept
        later = source.read(first.seq, timeout_s=5)
        assert later is not None and later.seq >= first.seq + 5
        assert later.capture_time_s - first.capture_time_s == pytest.approx(
            (later.seq - first.seq) / 25.0, abs=0.15
        ), "paced at the file's own frame rate"
        wait_until(lambda: source.frames >= 30, 10, "30 frames read", every_s=0.05)
        assert source.frames == 30
    finally:
        source.stop()


def test_http_mjpeg_source_reconnects_after_a_drop_out(tmp_path) -> None:
    # an HTTP MJPEG camera: the streaming server in front of a frame registry
    registry = FrameBufferRegistry()
    streamer = MjpegStreamServer(registry).start()
    port = streamer.port
    stop_server = streamer.stop
    stop_feed = threading.Event()

    def feed() -> None:
        n = 0
        while not stop_feed.is_set():
            buffer = registry.get("1")
            if buffer is not None and not buffer.closed:
                jpeg = cv2.imencode(".jpg", _numbered(n))[1].tobytes()
                buffer.publish(jpeg, time.time(), 320, 240)
                n += 1
            stop_feed.wait(0.04)

    registry.ensure("1")
    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    source = StreamSource(f"http://127.0.0.1:{port}/video/1.mjpg").start()
    try:
        frame = source.read(0, timeout_s=15)
        assert frame is not None and frame.image.shape == (240, 320, 3)
        assert source.status()["connected"]
        # The camera drops out: its stream ends and for a while the URL is 404.
        registry.remove("1")
        wait_until(lambda: source.reconnects >= 1, 10, "a reconnection attempt", every_s=0.05)
        time.sleep(0.6)
        registry.ensure("1")  # it comes back
        before = source.frames
        wait_until(
            lambda: source.frames >= before + 10,
            20,
            f"10 frames after the camera came back ({source.status()})",
        )
        assert source.status()["connected"]
    finally:
        source.stop()
        stop_feed.set()
        feeder.join(5)
        for vehicle_id in registry.ids():
            registry.remove(vehicle_id)
        stop_server()
