"""A short queue of frames and the thread that encodes them, for the video outputs.

The live feed publisher and the sortie recorder both take frames from the
pipeline without waiting on their encoder: :meth:`FrameWorker.submit` never
blocks, and when the encoder has fallen ``max_queue`` frames behind the
newest frame is dropped (and counted) rather than holding up detection,
MJPEG viewers or the other outputs. The frames already queued are kept, so
the encoded timeline has gaps, never reordering. :meth:`FrameWorker.close`
lets the thread write everything queued, run ``finish`` on that same thread
(flushing an encoder must not race its last write) and end.

This module needs neither OpenCV nor PyAV.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

import numpy as np

log = logging.getLogger(__name__)

FrameWriter = Callable[[np.ndarray, float], None]
"""Takes one BGR image and its capture time [s since the epoch]."""


class FrameWorker:
    """Hands queued frames, in order, to ``write`` on a daemon thread of its own.

    The outputs catch and report their own encoding errors; an exception
    ``write`` still lets out is logged and the next frame is written all the
    same, so the thread is there to take ``close``'s stop sentinel.

    Args:
        write: encodes one frame; called only on the worker's thread.
        name: the thread's name (shown in logs and thread dumps).
        max_queue: frames waiting at most; a frame submitted beyond it is dropped.
        finish: called once on the worker's thread after the last frame, or None.
    """

    def __init__(
        self,
        write: FrameWriter,
        name: str,
        max_queue: int,
        finish: Callable[[], None] | None = None,
    ) -> None:
        if max_queue < 1:
            raise ValueError(f"max_queue must be at least 1 frame, got {max_queue!r}")
        self.write = write
        self.finish = finish
        self.dropped = 0
        """Frames refused because the queue was full."""
        self._queue: queue.Queue[tuple[np.ndarray, float] | None] = queue.Queue(max_queue)
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    @property
    def name(self) -> str:
        return self._thread.name

    def submit(self, image: np.ndarray, capture_time_s: float) -> bool:
        """Queue a frame (the caller must not modify ``image`` afterwards); False if dropped."""
        try:
            self._queue.put_nowait((image, capture_time_s))
            return True
        except queue.Full:
            self.dropped += 1
            return False

    def close(self, timeout_s: float | None = None) -> bool:
        """Write what is queued, run ``finish``, stop; False if still busy after ``timeout_s``."""
        self._queue.put(None)
        self._thread.join(timeout_s)
        return not self._thread.is_alive()

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            try:
                self.write(*item)
            except Exception:  # logged; the next frame is written all the same
                log.exception("%s: writing a frame failed", self.name)
        if self.finish is not None:
            self.finish()
