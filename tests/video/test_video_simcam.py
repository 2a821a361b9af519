"""The simulated camera draws movers exactly where the camera model says they are."""

from __future__ import annotations

import threading
import time

import numpy as np
from video_support import snapshot_at

from dronepatrol.video.camera import CameraModel, CameraPose, Gimbal, Intrinsics
from dronepatrol.video.scene import PERSON
from dronepatrol.video.simcam import SKY, SimulatedCamera

HEAD = (40, 60, 90)


def _colour_near(image: np.ndarray, u: float, v: float, colour) -> bool:
    patch = image[int(v) - 1 : int(v) + 2, int(u) - 1 : int(u) + 2].reshape(-1, 3).astype(int)
    return bool((np.abs(patch - np.array(colour)).sum(axis=1) < 40).any())


def test_movers_appear_at_their_true_positions(two_road_scene) -> None:
    intrinsics = Intrinsics(1280, 720, 70.0)
    camera = SimulatedCamera(two_road_scene, intrinsics, noise_sigma=0)
    colours = {m.mover_id: m.colour for m in two_road_scene.movers}
    checked = 0
    for heading, gimbal in ((0.0, Gimbal(-90.0)), (135.0, Gimbal(-60.0, yaw_deg=20.0))):
        pose = CameraPose.from_snapshot(snapshot_at(-60.0, 0.0, 60.0, heading), gimbal)
        image, visible = camera.render(pose, 12.5)
        model = CameraModel(intrinsics, pose)
        assert visible, "the road below is busy"
        for truth in visible:
            u, v, front = model.lonlat_to_pixel(truth.lon_deg, truth.lat_deg)
            assert front[0]
            if not (2 <= u[0] < 1278 and 2 <= v[0] < 718):
                continue
            expected = HEAD if truth.kind == PERSON else colours[truth.mover_id]
            assert _colour_near(image, u[0], v[0], expected), truth
            checked += 1
    assert checked >= 5


def test_oblique_view_shows_sky_above_the_horizon(two_road_scene) -> None:
    camera = SimulatedCamera(two_road_scene, Intrinsics(640, 360, 70.0), noise_sigma=0)
    pose = CameraPose.from_snapshot(snapshot_at(0.0, 0.0, 60.0, 0.0), Gimbal(pitch_deg=-5.0))
    image, _ = camera.render(pose, 0.0)
    assert (image[5, 320] == SKY).all()
    assert not (image[350, 320] == SKY).all()


def test_ground_window_follows_a_long_flight(two_road_scene) -> None:
    intrinsics = Intrinsics(640, 360, 70.0)
    camera = SimulatedCamera(two_road_scene, intrinsics, window_m=200.0, noise_sigma=0)
    centres = set()
    threads_before = set(threading.enumerate())
    for step in range(30):
        east = -250.0 + 17.0 * step  # along the southern road, beyond the first window
        pose = CameraPose.from_snapshot(snapshot_at(-60.0, east, 60.0, 90.0), Gimbal(-90.0))
        image, visible = camera.render(pose, 3.0 + step)
        centres.add(camera.texture.window[0])
        model = CameraModel(intrinsics, pose)
        # The road is under the camera wherever it flies: a band of grey tarmac.
        tarmac = np.abs(image.astype(int) - np.array([80, 82, 84])).sum(axis=2) < 60
        assert tarmac.mean() > 0.06, (step, tarmac.mean())
        for truth in visible:
            u, v, _ = model.lonlat_to_pixel(truth.lon_deg, truth.lat_deg)
            if 2 <= u[0] < 638 and 2 <= v[0] < 358 and truth.kind != PERSON:
                assert _colour_near(
                    image,
                    u[0],
                    v[0],
                    {m.mover_id: m.colour for m in two_road_scene.movers}[truth.mover_id],
                )
        time.sleep(0.02)  # let the background painter work, as a live feed would
    assert len(centres) >= 3, "the painted window moved with the flight"
    painters = [
        t for t in set(threading.enumerate()) - threads_before if t.name.startswith("simcam-paint")
    ]
    assert painters, "the window was painted ahead on the painter's thread"
    camera.close()
    assert not any(t.is_alive() for t in painters), "close() ends the painter's thread"
