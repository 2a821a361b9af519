"""Tracks with stable ids across frames.

Detections are matched to tracks by position in a plane where the camera's
own motion does not move them: the ground, in metres, when the pose is
known (so a track keeps its id while the drone flies and turns), otherwise
image pixels. Matching is greedy nearest-first within a gate around each
track's predicted position (constant velocity). A track is *confirmed*
after ``confirm_hits`` detections, which suppresses one-frame flickers, and
is dropped after ``max_missed_s`` without one.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from dronepatrol.video.detectors import Detection


@dataclass
class Track:
    """One object followed over time.

    Attributes:
        track_id: stable id, unique within the tracker.
        label: the latest detection's label.
        x, y: position in the tracking plane (ground metres or pixels).
        vx, vy: velocity estimate [units/s].
        detection: the latest detection.
        hits: detections matched so far; confirmed when >= the tracker's threshold.
        first_time_s, last_time_s: first and latest detection [s since the epoch].
        lonlat: the latest geotag (lon, lat) [deg], when known.
        reported: set by the pipeline once the track has been published.
    """

    track_id: int
    label: str
    x: float
    y: float
    detection: Detection
    first_time_s: float
    last_time_s: float
    vx: float = 0.0
    vy: float = 0.0
    hits: int = 1
    confirmed: bool = False
    lonlat: tuple[float, float] | None = None
    reported: bool = False

    def predict(self, time_s: float) -> tuple[float, float]:
        dt = time_s - self.last_time_s
        return self.x + self.vx * dt, self.y + self.vy * dt


class Tracker:
    """Nearest-neighbour tracker with a gate, confirmation and timeout.

    Args:
        gate: largest distance between prediction and detection to match
            (same units as positions: metres on the ground, or pixels).
        confirm_hits: detections needed before a track is confirmed.
        max_missed_s: a track with no detection for this long is dropped [s].
    """

    def __init__(self, gate: float = 4.0, confirm_hits: int = 3, max_missed_s: float = 1.0):
        self.gate = gate
        self.confirm_hits = confirm_hits
        self.max_missed_s = max_missed_s
        self.tracks: list[Track] = []
        self._ids = itertools.count(1)

    def update(
        self,
        detections: list[Detection],
        positions: list[tuple[float, float]],
        time_s: float,
        lonlats: list[tuple[float, float] | None] | None = None,
    ) -> list[Track]:
        """Match this frame's detections; returns the confirmed tracks seen in it."""
        lonlats = lonlats or [None] * len(detections)
        self.tracks = [t for t in self.tracks if time_s - t.last_time_s <= self.max_missed_s]
        pairs = []
        for ti, track in enumerate(self.tracks):
            px, py = track.predict(time_s)
            for di, (x, y) in enumerate(positions):
                d = math.hypot(x - px, y - py)
                if d <= self.gate:
                    pairs.append((d, ti, di))
        pairs.sort()
        used_t: set[int] = set()
        used_d: set[int] = set()
        seen: list[Track] = []
        for _d, ti, di in pairs:
            if ti in used_t or di in used_d:
                continue
            used_t.add(ti)
            used_d.add(di)
            track = self.tracks[ti]
            x, y = positions[di]
            dt = time_s - track.last_time_s
            if dt > 0:
                alpha = 0.5
                track.vx = (1 - alpha) * track.vx + alpha * (x - track.x) / dt
                track.vy = (1 - alpha) * track.vy + alpha * (y - track.y) / dt
            track.x, track.y = x, y
            track.detection = detections[di]
            track.label = detections[di].label
            track.last_time_s = time_s
            track.lonlat = lonlats[di]
            track.hits += 1
            track.confirmed = track.confirmed or track.hits >= self.confirm_hits
            if track.confirmed:
                seen.append(track)
        for di, det in enumerate(detections):
            if di in used_d:
                continue
            x, y = positions[di]
            track = Track(next(self._ids), det.label, x, y, det, time_s, time_s, lonlat=lonlats[di])
            track.confirmed = self.confirm_hits <= 1
            self.tracks.append(track)
            if track.confirmed:
                seen.append(track)
        return seen
