"""The head-up display burned into every streamed and recorded frame.

Burning it in (rather than drawing it in the browser) means a recording
carries its own context as evidence: who flew, where the camera looked and
when, whatever player opens it later.

Layout on a 1280x720 frame (scaled for other sizes): a top bar with the
vehicle name, mode, armed state, a heading tape and UTC time; a bottom bar
with altitude, ground speed, battery, GPS, link, current target and mission
item, the ground coordinates of the frame centre and the pipeline latency;
a crosshair on the centre; boxes, track ids and geotags on detections.
Drawing costs about 1-2 ms per 720p frame.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

import cv2
import numpy as np

from dronepatrol.state import LinkState, VehicleSnapshot
from dronepatrol.video.tracker import Track

FONT = cv2.FONT_HERSHEY_SIMPLEX
WHITE = (255, 255, 255)
GREEN = (80, 220, 80)
AMBER = (40, 190, 255)
RED = (60, 60, 235)
CYAN = (255, 230, 60)
_GPS_FIX = {0: "NO GPS", 1: "NO FIX", 2: "2D", 3: "3D", 4: "DGPS", 5: "RTK FLT", 6: "RTK FIX"}


@dataclass(frozen=True)
class HudInfo:
    """What the HUD shows besides the vehicle snapshot.

    Attributes:
        target: the patrol target being flown, e.g. ``grid G-12`` or ``point P-3``.
        centre_lonlat: (lon, lat) [deg] of the ground at the frame centre.
        latency_ms: the pipeline's recent capture-to-encoded latency [ms].
        fps: frames per second being produced.
        recording: whether the sortie recording is running.
        time_s: the frame's capture time [s since the epoch] for the clock.
        above_horizon: the pose is known but the frame centre sees no ground.
    """

    target: str = ""
    centre_lonlat: tuple[float, float] | None = None
    latency_ms: float | None = None
    fps: float | None = None
    recording: bool = False
    time_s: float | None = None
    above_horizon: bool = False


def link_text(snapshot: VehicleSnapshot) -> tuple[str, tuple[int, int, int]]:
    """Link quality as text and colour: green when heard within 1 s, amber within 3 s."""
    heard = snapshot.last_heard_s
    if snapshot.link is not LinkState.UP or heard is None:
        return f"LINK {snapshot.link.value.upper()}", RED
    colour = GREEN if heard < 1.0 else AMBER if heard < 3.0 else RED
    return f"LINK {heard:.1f}s", colour


def battery_text(snapshot: VehicleSnapshot) -> tuple[str, tuple[int, int, int]]:
    """Battery as text and colour: amber under 30 %, red under 15 %."""
    b = snapshot.battery
    parts = []
    if b.voltage_v is not None:
        parts.append(f"{b.voltage_v:.1f}V")
    if b.remaining_pct is not None:
        parts.append(f"{b.remaining_pct:.0f}%")
    if not parts:
        return "BAT --", AMBER
    pct = b.remaining_pct
    colour = WHITE if pct is None or pct >= 30 else AMBER if pct >= 15 else RED
    return "BAT " + " ".join(parts), colour


class Hud:
    """Draws the HUD onto frames of one size (layout computed once)."""

    def __init__(self, width: int = 1280, height: int = 720) -> None:
        self.width = width
        self.height = height
        self.scale = width / 1280.0
        self.bar_h = max(18, round(52 * self.scale))
        self.font_scale = 0.55 * self.scale
        self.thick = 1 if self.scale < 1.5 else 2

    def _text(self, img, text, x, y, colour=WHITE, scale=1.0) -> None:
        cv2.putText(
            img,
            text,
            (int(x), int(y)),
            FONT,
            self.font_scale * scale,
            colour,
            self.thick,
            cv2.LINE_AA,
        )

    def _shade(self, img: np.ndarray, y0: int, y1: int) -> None:
        roi = img[y0:y1]
        roi >>= 1  # halve the brightness: readable text over any ground

    def draw(self, img: np.ndarray, snapshot: VehicleSnapshot, info: HudInfo) -> np.ndarray:
        """Burn the HUD into ``img`` (in place) and return it."""
        w, h, s, bar = self.width, self.height, self.scale, self.bar_h
        self._shade(img, 0, bar)
        self._shade(img, h - bar, h)
        line1, line2 = int(21 * s), int(43 * s)
        # Top left: who and in what state.
        self._text(img, snapshot.name or snapshot.vehicle_id, 10 * s, line1, CYAN, 1.15)
        armed = ("ARMED", RED) if snapshot.armed else ("DISARMED", GREEN)
        self._text(img, snapshot.mode, 10 * s, line2)
        self._text(img, armed[0], 130 * s, line2, armed[1])
        # Top centre: heading tape.
        self._heading_tape(img, snapshot.heading_deg, w // 2, int(30 * s), int(420 * s))
        # Top right: UTC time and recording state.
        when = info.time_s if info.time_s is not None else time.time()
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(when))
        self._text(img, f"{stamp}.{int(when % 1 * 10)}Z", w - 255 * s, line1)
        if info.recording:
            cv2.circle(img, (int(w - 240 * s), int(38 * s)), max(3, int(6 * s)), RED, -1)
            self._text(img, "REC", w - 228 * s, line2, RED)
        if info.fps is not None:
            self._text(img, f"{info.fps:4.1f} fps", w - 120 * s, line2)
        # Bottom bar: flight data, then target and geography.
        y1, y2 = h - bar + int(20 * s), h - int(8 * s)
        pos = snapshot.position
        alt = f"ALT {pos.alt_rel_m:6.1f} m" if pos else "ALT ---"
        gps = _GPS_FIX.get(snapshot.gps_fix_type, f"FIX{snapshot.gps_fix_type}")
        gps_colour = GREEN if snapshot.gps_fix_type >= 3 else RED
        bat, bat_colour = battery_text(snapshot)
        link, link_colour = link_text(snapshot)
        x = 10 * s
        for text, colour, width in (
            (alt, WHITE, 150),
            (f"GS {snapshot.groundspeed_mps:5.1f} m/s", WHITE, 150),
            (f"HDG {snapshot.heading_deg % 360:03.0f}", WHITE, 100),
            (bat, bat_colour, 170),
            (f"GPS {gps} {snapshot.gps_satellites}sat", gps_colour, 165),
            (link, link_colour, 130),
        ):
            self._text(img, text, x, y1, colour)
            x += width * s
        mission = snapshot.mission
        item = f"ITEM {mission.current_seq}/{mission.total}" if mission.total else "ITEM -"
        target = f"TARGET {info.target}" if info.target else "TARGET -"
        if info.centre_lonlat is not None:
            lon, lat = info.centre_lonlat
            centre = f"CENTRE {lat:.6f}, {lon:.6f}"
        elif info.above_horizon:
            centre = "CENTRE above horizon"
        else:
            centre = "CENTRE -"
        latency = f"LAT {info.latency_ms:.0f} ms" if info.latency_ms is not None else "LAT -"
        x = 10 * s
        for text, width in ((target, 300), (item, 120), (centre, 330), (latency, 120)):
            self._text(img, text, x, y2)
            x += width * s
        self._crosshair(img)
        return img

    def _crosshair(self, img: np.ndarray) -> None:
        cx, cy, r = self.width // 2, self.height // 2, int(14 * self.scale)
        cv2.line(img, (cx - 2 * r, cy), (cx - r // 2, cy), WHITE, 1)
        cv2.line(img, (cx + r // 2, cy), (cx + 2 * r, cy), WHITE, 1)
        cv2.line(img, (cx, cy - 2 * r), (cx, cy - r // 2), WHITE, 1)
        cv2.line(img, (cx, cy + r // 2), (cx, cy + 2 * r), WHITE, 1)

    def _heading_tape(self, img, heading: float, cx: int, cy: int, span_px: int) -> None:
        """A compass tape ±45° wide centred on ``heading`` [deg]."""
        s = self.scale
        half_deg = 45.0
        px_per_deg = span_px / (2 * half_deg)
        first = int(np.ceil((heading - half_deg) / 5.0)) * 5
        for deg in range(first, int(heading + half_deg) + 1, 5):
            x = int(cx + (deg - heading) * px_per_deg)
            major = deg % 30 == 0
            cv2.line(img, (x, cy - int((8 if major else 4) * s)), (x, cy), WHITE, 1)
            if major:
                label = {0: "N", 90: "E", 180: "S", 270: "W"}.get(deg % 360, f"{deg % 360:03d}")
                size = cv2.getTextSize(label, FONT, self.font_scale * 0.8, 1)[0][0]
                self._text(img, label, x - size / 2, cy + 17 * s, WHITE, 0.8)
        tri = np.array(
            [
                [cx, cy + 1],
                [cx - int(6 * s), cy - int(10 * s)],
                [cx + int(6 * s), cy - int(10 * s)],
            ],
            np.int32,
        )
        cv2.fillConvexPoly(img, tri, CYAN)
        self._text(img, f"{heading % 360:03.0f}", cx - 14 * s, cy - 13 * s, CYAN, 0.8)


def draw_tracks(img: np.ndarray, tracks: Iterable[Track], scale: float = 1.0) -> None:
    """Boxes with track id, label and geotag for each confirmed track in this frame."""
    for track in tracks:
        x, y, w, h = track.detection.bbox
        pad = 4
        cv2.rectangle(img, (x - pad, y - pad), (x + w + pad, y + h + pad), AMBER, 2)
        label = f"#{track.track_id} {track.label}"
        if track.lonlat is not None:
            label += f" {track.lonlat[1]:.6f},{track.lonlat[0]:.6f}"
        origin = (x - pad, y - pad - 4)
        cv2.putText(img, label, origin, FONT, 0.5 * scale, (0, 0, 0), 3, cv2.LINE_AA)
        cv2.putText(img, label, origin, FONT, 0.5 * scale, AMBER, 1, cv2.LINE_AA)
