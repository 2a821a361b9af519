"""The frame queue behind the feed publisher and the sortie recorder: order, drops, close."""

from __future__ import annotations

import logging
import threading

import numpy as np
import pytest

from dronepatrol.video.frame_worker import FrameWorker
from tests.support import wait_until

IMAGE = np.zeros((4, 6, 3), dtype=np.uint8)


def test_frames_are_written_in_order_then_finish_runs_on_the_same_thread() -> None:
    calls: list[tuple[str, float | None, str]] = []
    worker = FrameWorker(
        lambda image, t: calls.append(("write", t, threading.current_thread().name)),
        "encode-test",
        max_queue=100,
        finish=lambda: calls.append(("finish", None, threading.current_thread().name)),
    )
    for n in range(20):
        assert worker.submit(IMAGE, 1000.0 + n)
    assert worker.close(10.0)
    assert calls == [("write", 1000.0 + n, "encode-test") for n in range(20)] + [
        ("finish", None, "encode-test")
    ]
    assert worker.dropped == 0


def test_a_full_queue_drops_the_newest_frame_and_keeps_the_queued_ones() -> None:
    written: list[float] = []
    writing = threading.Event()
    release = threading.Event()

    def slow_write(image: np.ndarray, capture_time_s: float) -> None:
        writing.set()
        assert release.wait(10.0), "the test never released the encoder"
        written.append(capture_time_s)

    worker = FrameWorker(slow_write, "slow-encoder", max_queue=2)
    assert worker.submit(IMAGE, 0.0)
    assert writing.wait(10.0)  # frame 0 is in the encoder; the queue is empty again
    assert worker.submit(IMAGE, 1.0)
    assert worker.submit(IMAGE, 2.0)
    assert not worker.submit(IMAGE, 3.0)  # queue full: this frame is dropped
    assert not worker.submit(IMAGE, 4.0)
    assert worker.dropped == 2
    release.set()
    assert worker.close(10.0)
    assert written == [0.0, 1.0, 2.0]


def test_a_failing_write_is_logged_and_the_next_frames_still_written(
    caplog: pytest.LogCaptureFixture,
) -> None:
    written: list[float] = []

    def write(image: np.ndarray, capture_time_s: float) -> None:
        if capture_time_s == 1.0:
            raise RuntimeError("encoder hiccup")
        written.append(capture_time_s)

    with caplog.at_level(logging.ERROR, logger="dronepatrol.video.frame_worker"):
        worker = FrameWorker(write, "hiccup", max_queue=10)
        for t in (0.0, 1.0, 2.0):
            worker.submit(IMAGE, t)
        wait_until(lambda: written == [0.0, 2.0], 10.0, "frames around the failing one")
        assert worker.close(10.0)
    assert any("hiccup" in r.getMessage() and r.exc_info for r in caplog.records)


def test_max_queue_must_hold_a_frame() -> None:
    with pytest.raises(ValueError, match="max_queue"):
        FrameWorker(lambda image, t: None, "none", max_queue=0)
