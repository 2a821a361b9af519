"""Moving-object detection from a moving camera.

A drone's camera moves, so plain frame differencing lights up the whole
ground. Over flat-ish ground the camera's own motion between two frames is
a homography. Corner features are tracked from each frame to the one before
(small steps, which optical flow follows even in a fast turn) and the steps
are chained; seeded by the chain, the features are then tracked back into two
earlier frames (``gap_s`` and ``2 * gap_s`` ago), each homography is fitted
with RANSAC, and the earlier frames are warped onto the current one and
differenced. A pixel counts as moving only when it differs
from *both* earlier frames (double differencing), which keeps the object
where it is now and drops the "ghost" where it was; each difference
tolerates one pixel of misregistration (the current pixel is compared with
the min and max of a 3x3 neighbourhood), so textured ground does not flicker.
Blobs of moving pixels become :class:`~dronepatrol.video.detectors.Detection`
boxes.

All of it runs on a half-size grey image: a few milliseconds per 720p frame
on one core.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import cv2
import numpy as np

from dronepatrol.video.detectors import Detection
from dronepatrol.video.frames import Frame

_UP = np.diag([2.0, 2.0, 1.0])
_DOWN = np.diag([0.5, 0.5, 1.0])
_LK_STOP = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 10, 0.03)


@dataclass(frozen=True)
class MotionSettings:
    """Tuning of :class:`MotionDetector`.

    Attributes:
        scale: working resolution relative to the frame (0.5 = half size).
        gap_s: time between the current frame and the first earlier frame [s];
            something moving must cover its own length in this time to be
            seen whole (a walker: ~0.6 m in 0.5 s).
        threshold: grey-level difference that counts as change (0-255).
        min_area_px, max_area_px: blob size limits in frame pixels.
        min_fill: least share of a blob's box that must be moving pixels; and
        max_aspect: longest box side over the shortest. People and vehicles
            make compact blobs; misregistered fine texture (crop rows, kerbs)
            makes scattered or stringy ones.
        max_features: corners tracked for the ego-motion homography.
        min_inliers: fewer RANSAC inliers than this and the frame is skipped.
    """

    scale: float = 0.5
    gap_s: float = 0.6
    threshold: int = 20
    min_area_px: int = 10
    max_area_px: int = 40000
    max_features: int = 150
    min_fill: float = 0.2
    max_aspect: float = 6.0
    min_inliers: int = 20


@dataclass
class _Past:
    time_s: float
    grey: np.ndarray
    """Working-resolution grey image."""
    tiny: np.ndarray
    """Half of that again: features and optical flow run here."""
    back: tuple[float, np.ndarray] | None = None
    """(time of the frame one gap earlier, tiny-scale homography from this frame to it)."""
    chain: tuple[int, np.ndarray] | None = None
    """(anchor id, tiny-scale homography from this frame to the anchor frame): frame-to-frame
    motion accumulated, a first guess for the long jump back one gap."""


class MotionDetector:
    """Finds things that move relative to the ground in a moving camera's frames."""

    name = "motion"

    def __init__(self, settings: MotionSettings | None = None) -> None:
        self.settings = settings or MotionSettings()
        self._history: deque[_Past] = deque()
        self._kernel3 = np.ones((3, 3), np.uint8)
        self._kernel_merge = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
        self.last_mask: np.ndarray | None = None
        """The latest moving-pixel mask at working resolution (for display and tests)."""
        self.skipped = 0
        """Frames in which the ego-motion could not be estimated."""
        self._anchors = 0

    def reset(self) -> None:
        """Forget the past frames (after a cut in the video)."""
        self._history.clear()

    def detect(self, frame: Frame) -> list[Detection]:
        cfg = self.settings
        image = frame.image
        grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
        small = cv2.resize(grey, None, fx=cfg.scale, fy=cfg.scale, interpolation=cv2.INTER_AREA)
        tiny = cv2.pyrDown(small)
        now = frame.capture_time_s
        current = self._remember(now, small, tiny)
        points = cv2.goodFeaturesToTrack(
            tiny, cfg.max_features, qualityLevel=0.01, minDistance=6, blockSize=5
        )
        if points is None or len(points) < cfg.min_inliers:
            self.skipped += 1
            return []
        self._link(current, points)
        first = self._past(now - cfg.gap_s)
        second = self._past(now - 2 * cfg.gap_s)
        if first is None or second is None or first is second:
            return []
        to_first = self._fit(first, current, points, self._guess(current, first))
        if to_first is None:
            self.skipped += 1
            return []
        current.back = (first.time_s, to_first)
        # The first frame already knows its way back one more gap: chain the two
        # (one optical-flow pass per frame instead of two).
        if first.back is not None and first.back[0] == second.time_s:
            to_second = first.back[1] @ to_first
        else:
            to_second = self._fit(second, current, points, self._guess(current, second))
            if to_second is None:
                self.skipped += 1
                return []
        moved = [self._change(first, current, to_first), self._change(second, current, to_second)]
        mask = cv2.min(moved[0], moved[1])
        _, raw = cv2.threshold(mask, cfg.threshold, 255, cv2.THRESH_BINARY)
        merged = cv2.dilate(raw, self._kernel_merge)
        self.last_mask = raw
        return self._blobs(raw, merged)

    def _remember(self, now: float, small: np.ndarray, tiny: np.ndarray) -> _Past:
        history = self._history
        if history and (now <= history[-1].time_s or history[-1].grey.shape != small.shape):
            history.clear()  # time went backwards or the size changed: a new stream
        current = _Past(now, small, tiny)
        history.append(current)
        horizon = now - 2 * self.settings.gap_s - 0.5
        while len(history) > 2 and history[1].time_s <= horizon:
            history.popleft()
        return current

    def _past(self, when: float) -> _Past | None:
        """The remembered frame nearest ``when``; None unless within a fifth of the gap."""
        best = min(self._history, key=lambda p: abs(p.time_s - when), default=None)
        if best is None or abs(best.time_s - when) > self.settings.gap_s / 5:
            return None
        return best

    def _link(self, current: _Past, points: np.ndarray) -> None:
        """Extend the frame-to-frame chain to ``current`` (small steps track even fast turns)."""
        history = self._history
        previous = history[-2] if len(history) >= 2 else None
        step = None
        if previous is not None and previous.chain is not None:
            step = self._fit(previous, current, points, None, levels=2)
        if step is not None and previous is not None and previous.chain is not None:
            anchor, to_anchor = previous.chain
            current.chain = (anchor, to_anchor @ step)
        else:
            self._anchors += 1
            current.chain = (self._anchors, np.eye(3))

    @staticmethod
    def _guess(current: _Past, past: _Past) -> np.ndarray | None:
        """The chained estimate of the homography from ``current`` to ``past``, if known."""
        if current.chain is None or past.chain is None or current.chain[0] != past.chain[0]:
            return None
        return np.linalg.inv(past.chain[1]) @ current.chain[1]

    def _fit(
        self,
        past: _Past,
        current: _Past,
        points: np.ndarray,
        guess: np.ndarray | None,
        levels: int = 3,
    ) -> np.ndarray | None:
        """Tiny-scale homography taking ``current``'s pixels to ``past``'s; None if unsure.

        With a ``guess`` (the chained frame-to-frame estimate), the past frame
        is first warped by it and the flow measures only what is left, so a
        long jump during a fast turn still converges.
        """
        cfg = self.settings
        target = past.tiny
        if guess is not None:
            # Undo the guessed motion first: optical flow follows shifts, not turns.
            h, w = target.shape
            target = cv2.warpPerspective(
                target, guess, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
            )
        found, status, _err = cv2.calcOpticalFlowPyrLK(
            current.tiny,
            target,
            points,
            None,
            winSize=(15, 15),
            maxLevel=1 if guess is not None else levels,
            criteria=_LK_STOP,
        )
        ok = status.reshape(-1) == 1
        if ok.sum() < cfg.min_inliers:
            return None
        tiny_h, inliers = cv2.findHomography(points[ok], found[ok], cv2.RANSAC, 1.0)
        if tiny_h is None or int(inliers.sum()) < cfg.min_inliers:
            return None
        return guess @ tiny_h if guess is not None else tiny_h

    def _change(self, past: _Past, current: _Past, tiny_h: np.ndarray) -> np.ndarray:
        """How much ``current`` differs from ``past`` warped onto it (0 where unknown)."""
        homography = _UP @ tiny_h @ _DOWN
        now, past_grey = current.grey, past.grey
        h, w = now.shape
        warped = cv2.warpPerspective(
            past_grey, homography, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
        )
        low = cv2.erode(warped, self._kernel3)
        high = cv2.dilate(warped, self._kernel3)
        change = cv2.max(cv2.subtract(now, high), cv2.subtract(low, now))
        # Nothing is known where the past frame did not cover the current one.
        corners = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], np.float32)
        inside = cv2.perspectiveTransform(corners[None], np.linalg.inv(homography))[0]
        valid = np.zeros_like(now)
        cv2.fillConvexPoly(valid, np.round(inside).astype(np.int32), 255)
        valid = cv2.erode(valid, self._kernel3, iterations=2)
        return cv2.bitwise_and(change, valid)

    def _blobs(self, raw: np.ndarray, merged: np.ndarray) -> list[Detection]:
        """Boxes around groups of moving pixels (``merged`` joins nearby fragments)."""
        cfg = self.settings
        contours, _ = cv2.findContours(merged, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        area_scale = 1.0 / (cfg.scale * cfg.scale)
        inv = 1.0 / cfg.scale
        detections = []
        for contour in contours:
            x, y, w, h = cv2.boundingRect(contour)
            moving = cv2.countNonZero(raw[y : y + h, x : x + w])
            full_area = moving * area_scale
            if full_area < cfg.min_area_px or full_area > cfg.max_area_px:
                continue
            # The merge dilation grew each blob by 2 px all round; take it back.
            x, y, w, h = x + 2, y + 2, max(1, w - 4), max(1, h - 4)
            box = (int(x * inv), int(y * inv), int(np.ceil(w * inv)), int(np.ceil(h * inv)))
            fill = min(1.0, moving / float(w * h))
            if fill < cfg.min_fill or max(w, h) > cfg.max_aspect * min(w, h):
                continue  # scattered or stringy change: texture misregistered, not an object
            detections.append(Detection("moving", round(0.5 + 0.5 * fill, 3), box))
        return detections
