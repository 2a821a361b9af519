"""The HUD: what it shows, where, and that it leaves the picture itself alone."""

from __future__ import annotations

import numpy as np
import pytest
from video_support import snapshot_at

from dronepatrol.state import Battery, LinkState
from dronepatrol.video.hud import AMBER, GREEN, RED, Hud, HudInfo, battery_text, link_text

INFO = HudInfo(
    target="line L-3",
    centre_lonlat=(120.000123, 30.000456),
    latency_ms=42.0,
    fps=25.0,
    recording=True,
    time_s=1_800_000_000.0,
)


def grey_frame(w=1280, h=720) -> np.ndarray:
    return np.full((h, w, 3), 128, np.uint8)


def draw(snapshot, info=INFO, w=1280, h=720) -> np.ndarray:
    return Hud(w, h).draw(grey_frame(w, h), snapshot, info)


@pytest.mark.parametrize("size", [(1280, 720), (640, 360)])
def test_hud_stays_in_its_bars_and_the_crosshair(size) -> None:
    w, h = size
    hud = Hud(w, h)
    img = hud.draw(grey_frame(w, h), snapshot_at(0, 0, 60), INFO)
    changed = np.any(img != 128, axis=2)
    bar = hud.bar_h
    body = changed[bar : h - bar].copy()
    cx, cy, r = w // 2, h // 2 - bar, int(28 * w / 1280) + 1
    body[cy - r : cy + r + 1, cx - r : cx + r + 1] = False  # the crosshair
    assert not body.any(), "the HUD must not cover the picture"
    assert changed[:bar].mean() > 0.98 and changed[h - bar :].mean() > 0.98, "bars are shaded"
    # Text is drawn on both bars: bright pixels over the darkened background.
    assert (img[:bar].max(axis=2) > 200).sum() > 500 * (w / 1280) ** 2
    assert (img[h - bar :].max(axis=2) > 200).sum() > 500 * (w / 1280) ** 2


def test_each_field_changes_its_part_of_the_display() -> None:
    base = draw(snapshot_at(0, 0, 60, heading_deg=0.0))
    # Heading: the tape in the top centre moves; 0 and 360 draw the same.
    turned = draw(snapshot_at(0, 0, 60, heading_deg=10.0))
    diff = np.any(base != turned, axis=2)
    assert diff[:52, 400:880].any() and not diff[:52, :400].any()
    assert np.array_equal(base, draw(snapshot_at(0, 0, 60, heading_deg=360.0)))
    # Armed state: red ARMED versus green DISARMED in the top-left corner.
    disarmed = draw(snapshot_at(0, 0, 60, heading_deg=0.0, armed=False))
    region = (slice(25, 52), slice(120, 260))
    assert _has_colour(base[region], RED) and not _has_colour(base[region], GREEN)
    assert _has_colour(disarmed[region], GREEN)
    # Altitude and latency live in the bottom bar.
    higher = draw(snapshot_at(0, 0, 75, heading_deg=0.0))
    diff = np.any(base != higher, axis=2)
    assert diff[668:695, :160].any() and not diff[:668].any()
    slower = draw(snapshot_at(0, 0, 60), HudInfo(**{**INFO.__dict__, "latency_ms": 420.0}))
    diff = np.any(base != slower, axis=2)
    assert diff[695:, 700:900].any() and not diff[:695].any()
    # The frame-centre coordinates.
    moved = HudInfo(**{**INFO.__dict__, "centre_lonlat": (121.5, 31.25)})
    diff = np.any(base != draw(snapshot_at(0, 0, 60), moved), axis=2)
    assert diff[695:, 420:760].any()


def _has_colour(region: np.ndarray, colour) -> bool:
    return bool((np.abs(region.astype(int) - np.array(colour)).sum(axis=2) < 60).sum() > 20)


def test_link_and_battery_grading() -> None:
    snap = snapshot_at(0, 0, 60)
    assert link_text(snap) == ("LINK 0.2s", GREEN)
    assert link_text(snapshot_at(0, 0, 60, last_heard_s=2.0))[1] == AMBER
    assert link_text(snapshot_at(0, 0, 60, last_heard_s=5.0))[1] == RED
    assert link_text(snapshot_at(0, 0, 60, link=LinkState.LOST)) == ("LINK LOST", RED)
    assert battery_text(snap) == ("BAT 15.6V 71%", (255, 255, 255))
    assert battery_text(snapshot_at(0, 0, 60, battery=Battery(14.1, 9, 22)))[1] == AMBER
    assert battery_text(snapshot_at(0, 0, 60, battery=Battery(13.2, 9, 9)))[1] == RED
    assert battery_text(snapshot_at(0, 0, 60, battery=Battery()))[0] == "BAT --"
