"""Helpers of the media-server tests: Janus on loopback and a synthetic 720p feed."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import cv2
import numpy as np
from support import need_janus

__all__ = ["FEED_FPS", "HEIGHT", "WIDTH", "feeding", "need_janus", "synthetic_frame"]

FEED_FPS = 25.0
WIDTH, HEIGHT = 1280, 720


def synthetic_frame(n: int) -> np.ndarray:
    """A 720p frame with moving detail and texture, about as hard to encode as a street."""
    rng = np.random.default_rng(n % 7)
    image = cv2.resize(rng.integers(0, 255, (90, 160, 3), np.uint8), (WIDTH, HEIGHT))
    image = np.roll(image, n * 6, axis=1)
    cv2.putText(image, f"frame {n}", (80, 360), cv2.FONT_HERSHEY_SIMPLEX, 4, (255, 255, 255), 8)
    return image


@contextmanager
def feeding(publisher, fps: float = FEED_FPS) -> Iterator[threading.Event]:
    """Hand ``publisher`` a synthetic frame ``fps`` times a second until the block ends."""
    stop = threading.Event()
    frames = [synthetic_frame(n) for n in range(25)]

    def run() -> None:
        n = 0
        next_s = time.monotonic()
        while not stop.is_set():
            publisher.submit(frames[n % len(frames)].copy(), time.time())
            n += 1
            next_s += 1 / fps
            stop.wait(max(0.0, next_s - time.monotonic()))

    thread = threading.Thread(target=run, name="test-feed", daemon=True)
    thread.start()
    try:
        yield stop
    finally:
        stop.set()
        thread.join(5)
