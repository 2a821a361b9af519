"""The simulated gimbal camera: what a camera on the vehicle would see.

The ground of a :class:`~dronepatrol.video.scene.Scene` is painted once into
a texture (a square window of the local frame around the vehicle, repainted
only when the view drifts out of it); each frame is then a single
perspective warp of that texture by the camera's ground homography, plus
the movers drawn at their true positions and the sky above the horizon.
A 1280x720 frame costs a few milliseconds, so a simulated vehicle's feed
runs at 25-30 fps beside everything else.
"""

from __future__ import annotations

import math
from concurrent.futures import Future, ThreadPoolExecutor

import cv2
import numpy as np
from shapely.geometry import LineString
from shapely.ops import substring

from dronepatrol.video.camera import CameraModel, CameraPose, Intrinsics
from dronepatrol.video.scene import (
    PAVEMENT_M,
    PERSON,
    ROAD_HALF_WIDTH_M,
    GroundTruth,
    Scene,
)

SKY = (235, 206, 170)
HAZE = (200, 196, 190)
_GRASS = np.array([70, 125, 85], np.float32)
_SOIL = np.array([95, 120, 135], np.float32)
_SHIFT = 3  # fixed-point bits for sub-pixel drawing
_ONE = 1 << _SHIFT


class GroundTexture:
    """A painted window of the scene's ground, ``size_m`` square at ``res_m`` [m/px]."""

    def __init__(self, scene: Scene, size_m: float = 400.0, res_m: float = 0.125) -> None:
        self.scene = scene
        self.size_m = size_m
        self.res_m = res_m
        self.px = round(size_m / res_m)
        self.window: tuple[tuple[float, float], np.ndarray] | None = None
        """(centre (x, y) [m], painted image): replaced as one, never half-updated."""
        rng = np.random.default_rng(7)
        tile = 512
        self._tile_m = tile * res_m
        coarse = cv2.resize(
            rng.random((tile // 32, tile // 32), np.float32), (tile, tile), cv2.INTER_CUBIC
        )
        mid = cv2.resize(
            rng.random((tile // 4, tile // 4), np.float32), (tile, tile), cv2.INTER_LINEAR
        )
        mix = np.clip(coarse * 0.7 + mid * 0.3, 0, 1)[..., None]
        base = _GRASS * (1 - mix) + _SOIL * mix + (mid[..., None] - 0.5) * 40
        self._base_tile = np.clip(base, 0, 255).astype(np.uint8)
        fine = rng.normal(0.0, 6.0, (tile, tile, 1)).repeat(3, axis=2)
        self._noise_pos = np.clip(fine, 0, 255).astype(np.uint8)
        self._noise_neg = np.clip(-fine, 0, 255).astype(np.uint8)

    def offset_from_centre(self, x_m: float, y_m: float) -> float:
        """How far (x, y) is from the window's centre, per axis (max) [m]; inf before painting."""
        if self.window is None:
            return math.inf
        (cx, cy), _ = self.window
        return max(abs(x_m - cx), abs(y_m - cy))

    def tex_to_local(self, centre_xy: tuple[float, float]) -> np.ndarray:
        """3x3 affine from texture pixel (col, row, 1) to local (x east, y north, 1) [m]."""
        x0 = centre_xy[0] - self.size_m / 2
        y1 = centre_xy[1] + self.size_m / 2
        r = self.res_m
        return np.array([[r, 0.0, x0], [0.0, -r, y1], [0.0, 0.0, 1.0]])

    def paint(self, x_m: float, y_m: float) -> tuple[tuple[float, float], np.ndarray]:
        """A window painted around (x, y), snapped to the noise tile period (install it
        by assigning :attr:`window`); safe to run on another thread."""
        cx = round(x_m / self._tile_m) * self._tile_m
        cy = round(y_m / self._tile_m) * self._tile_m
        centre = (cx, cy)
        reps = self.px // self._base_tile.shape[0] + 2
        img = np.tile(self._base_tile, (reps, reps, 1))[: self.px, : self.px].copy()
        to_px = np.linalg.inv(self.tex_to_local(centre))
        scene = self.scene

        def pts(geom) -> np.ndarray:
            xy = np.asarray(geom.coords)[:, :2]
            uv = (to_px[:2, :2] @ xy.T).T + to_px[:2, 2]
            return np.round(uv * _ONE).astype(np.int32)

        def width_px(metres: float) -> int:
            return max(1, round(metres / self.res_m))

        for f in scene.fields:
            cv2.fillPoly(img, [pts(f.exterior)], (60, 150, 120), cv2.LINE_8, _SHIFT)
            minx, miny, maxx, maxy = f.bounds
            for x in np.arange(minx, maxx, 2.5):
                row = f.intersection(_vertical(x, miny, maxy))
                for part in getattr(row, "geoms", [row]):
                    if part.geom_type == "LineString" and not part.is_empty:
                        cv2.polylines(
                            img,
                            [pts(part)],
                            False,
                            (45, 110, 95),
                            width_px(0.8),
                            cv2.LINE_8,
                            _SHIFT,
                        )
        for g in scene.grids:
            cv2.polylines(img, [pts(g.exterior)], True, (30, 80, 40), width_px(1.5), 8, _SHIFT)
        for p in scene.points:
            plaza = pts(p)[0]
            cv2.circle(
                img,
                tuple(int(c) for c in plaza),
                width_px(11) * _ONE,
                (175, 180, 185),
                -1,
                cv2.LINE_8,
                _SHIFT,
            )
        pavement_px = width_px(2 * (ROAD_HALF_WIDTH_M + PAVEMENT_M))
        road_px = width_px(2 * ROAD_HALF_WIDTH_M)
        for ln in scene.lines:
            line = pts(ln)
            cv2.polylines(img, [line], False, (180, 185, 190), pavement_px, cv2.LINE_8, _SHIFT)
            cv2.polylines(img, [line], False, (80, 82, 84), road_px, cv2.LINE_8, _SHIFT)
            for d in np.arange(0.0, ln.length - 3.0, 9.0):
                dash = pts(substring(ln, d, d + 3.0))
                cv2.polylines(img, [dash], False, (235, 235, 235), width_px(0.2), 8, _SHIFT)
        for b in scene.buildings:
            ring = pts(b.exterior)
            shade = 120 + (hash(b.wkb) % 90)
            cv2.fillPoly(img, [ring], (shade - 30, shade - 10, shade), cv2.LINE_8, _SHIFT)
            cv2.polylines(img, [ring], True, (50, 50, 60), width_px(0.4), cv2.LINE_8, _SHIFT)
            c = b.minimum_rotated_rectangle.exterior.coords
            mid1 = ((c[0][0] + c[1][0]) / 2, (c[0][1] + c[1][1]) / 2)
            mid2 = ((c[2][0] + c[3][0]) / 2, (c[2][1] + c[3][1]) / 2)
            ridge = np.round(((to_px[:2, :2] @ np.array([mid1, mid2]).T).T + to_px[:2, 2]) * _ONE)
            cv2.polylines(
                img,
                [ridge.astype(np.int32)],
                False,
                (70, 70, 90),
                width_px(0.3),
                cv2.LINE_8,
                _SHIFT,
            )
        t = self._noise_pos.shape[0]
        reps = self.px // t + 2
        cv2.add(img, np.tile(self._noise_pos, (reps, reps, 1))[: self.px, : self.px], img)
        cv2.subtract(img, np.tile(self._noise_neg, (reps, reps, 1))[: self.px, : self.px], img)
        return centre, img


def _vertical(x: float, y0: float, y1: float) -> LineString:
    return LineString([(x, y0 - 1), (x, y1 + 1)])


class SimulatedCamera:
    """Renders frames of ``scene`` seen from a :class:`CameraPose`.

    Args:
        scene: the synthetic ground and movers.
        intrinsics: output size and field of view.
        window_m, res_m: painted ground window size [m] and resolution [m/px].
        noise_sigma: sensor noise added to each frame [grey levels, 1 sigma].
    """

    def __init__(
        self,
        scene: Scene,
        intrinsics: Intrinsics | None = None,
        window_m: float = 400.0,
        res_m: float = 0.125,
        noise_sigma: float = 3.0,
    ) -> None:
        self.scene = scene
        self.intrinsics = intrinsics or Intrinsics()
        self.texture = GroundTexture(scene, window_m, res_m)
        self._painter: ThreadPoolExecutor | None = None
        self._pending: Future | None = None
        self._noise: list[tuple[np.ndarray, np.ndarray]] = []
        if noise_sigma > 0:
            # Sensor noise, different every frame (a few precomputed fields in turn).
            rng = np.random.default_rng(11)
            shape = (self.intrinsics.height, self.intrinsics.width, 3)
            for _ in range(3):
                field = rng.normal(0.0, noise_sigma, shape)
                self._noise.append(
                    (
                        np.clip(field, 0, 255).astype(np.uint8),
                        np.clip(-field, 0, 255).astype(np.uint8),
                    )
                )
        self._frames = 0

    def render(self, pose: CameraPose, t_s: float) -> tuple[np.ndarray, list[GroundTruth]]:
        """The BGR frame seen from ``pose`` at scene time ``t_s`` [s], and the movers in view.

        Returns the image and the ground truth of every mover whose centre is
        in the image.
        """
        intr = self.intrinsics
        model = CameraModel(intr, pose)
        cam_x, cam_y = self.scene.frame.to_xy(pose.lon_deg, pose.lat_deg)
        look = self._look_point(model, cam_x, cam_y)
        centre, texture = self._window_for(look)
        # texture px -> local (x, y) -> (east, north) from the camera -> image px
        from_cam = np.array([[1.0, 0.0, -cam_x], [0.0, 1.0, -cam_y], [0.0, 0.0, 1.0]])
        h_ground = model.ground_homography()
        h_tex = h_ground @ from_cam @ self.texture.tex_to_local(centre)
        frame = cv2.warpPerspective(
            texture,
            h_tex,
            (intr.width, intr.height),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=HAZE,
        )
        self._paint_sky(frame, model)
        visible = self._draw_movers(frame, h_ground @ from_cam, t_s)
        if self._noise:
            pos, neg = self._noise[self._frames % len(self._noise)]
            cv2.add(frame, pos, frame)
            cv2.subtract(frame, neg, frame)
        self._frames += 1
        return frame, visible

    def _window_for(self, look: tuple[float, float]) -> tuple[tuple[float, float], np.ndarray]:
        """The painted window to render from, repainting ahead on a worker thread.

        Once the view drifts an eighth of the window from its centre, the next
        window is painted in the background and swapped in when ready, so a
        long patrol never stalls the feed; only a jump (or the first frame)
        paints while the caller waits.
        """
        tex = self.texture
        pending = self._pending
        if pending is not None and pending.done():
            tex.window = pending.result()
            self._pending = pending = None
        drift = tex.offset_from_centre(*look)
        if drift > tex.size_m / 4:
            tex.window = pending.result() if pending is not None else tex.paint(*look)
            self._pending = None
            if tex.offset_from_centre(*look) > tex.size_m / 4:
                tex.window = tex.paint(*look)
        elif drift > tex.size_m / 8 and pending is None:
            if self._painter is None:
                self._painter = ThreadPoolExecutor(1, thread_name_prefix="simcam-paint")
            self._pending = self._painter.submit(tex.paint, *look)
        assert tex.window is not None
        return tex.window

    def close(self) -> None:
        """Stop the background painter's thread (made again if the camera renders on)."""
        painter, self._painter, self._pending = self._painter, None, None
        if painter is not None:
            painter.shutdown(wait=True, cancel_futures=True)

    def _look_point(self, model: CameraModel, cam_x: float, cam_y: float) -> tuple[float, float]:
        """Local (x, y) [m] the view centres on: the ground at the image centre, clipped."""
        intr = model.intrinsics
        north, east = model.pixel_to_ground_ne(intr.width / 2, intr.height / 2)
        n, e = float(north[0]), float(east[0])
        reach = self.texture.size_m / 4
        if not math.isfinite(n) or math.hypot(n, e) > reach:
            fwd = model.pose.rotation[:2, 2]
            norm = float(np.hypot(*fwd)) or 1.0
            n, e = fwd[0] / norm * reach, fwd[1] / norm * reach
        return cam_x + e, cam_y + n

    def _paint_sky(self, frame: np.ndarray, model: CameraModel) -> None:
        a, b, c = model.horizon()
        w, h = model.intrinsics.width, model.intrinsics.height
        corners = [(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)]
        # Ground needs the ray to point down by a margin; nearer the horizon is sky.
        eps = 0.02 * math.hypot(a, b) * model.intrinsics.fx
        sky = _clip_half_plane(corners, lambda u, v: eps - (a * u + b * v + c))
        if len(sky) >= 3:
            cv2.fillPoly(frame, [np.round(np.array(sky)).astype(np.int32)], SKY)

    def _draw_movers(self, frame: np.ndarray, h_local: np.ndarray, t_s: float) -> list:
        w, h = self.intrinsics.width, self.intrinsics.height
        scene = self.scene
        if not scene.movers:
            return []
        xs, ys, headings = scene.states_at(t_s)
        p = h_local @ np.vstack([xs, ys, np.ones(len(xs))])
        with np.errstate(divide="ignore", invalid="ignore"):
            u, v = p[0] / p[2], p[1] / p[2]
        near = (p[2] > 1e-6) & (u > -60) & (u < w + 60) & (v > -60) & (v < h + 60)
        index = np.flatnonzero(near)
        if index.size == 0:
            return []
        lons, lats = scene.frame.to_lonlat(xs[index], ys[index])
        visible: list[GroundTruth] = []
        for k, i in enumerate(index):
            mover = scene.movers[i]
            if 0 <= u[i] < w and 0 <= v[i] < h:
                visible.append(
                    GroundTruth(
                        mover.mover_id,
                        mover.kind,
                        float(xs[i]),
                        float(ys[i]),
                        float(lons[k]),
                        float(lats[k]),
                        float(headings[i]),
                    )
                )
            heading = math.radians(headings[i])
            fwd = np.array([math.sin(heading), math.cos(heading)])
            side = np.array([fwd[1], -fwd[0]])
            origin = np.array([xs[i], ys[i]])
            if mover.kind == PERSON:
                self._draw_person(frame, h_local, origin, fwd, side, mover.colour)
            else:
                self._draw_vehicle(frame, h_local, origin, fwd, side, mover)
        return visible

    def _draw_person(self, frame, h_local, origin, fwd, side, colour) -> None:
        angles = np.linspace(0, 2 * math.pi, 10, endpoint=False)
        ring = np.column_stack([np.cos(angles), np.sin(angles)])
        body = origin + ring @ np.vstack([fwd * 0.18, side * 0.30])
        head = origin + ring * 0.12
        _fill(frame, h_local, body, colour)
        _fill(frame, h_local, head, (40, 60, 90))

    def _draw_vehicle(self, frame, h_local, origin, fwd, side, mover) -> None:
        half_l, half_w = mover.length_m / 2, mover.width_m / 2

        def rect(f0: float, f1: float, s: float) -> np.ndarray:
            return np.array(
                [
                    origin + fwd * f0 + side * s,
                    origin + fwd * f1 + side * s,
                    origin + fwd * f1 - side * s,
                    origin + fwd * f0 - side * s,
                ]
            )

        _fill(frame, h_local, rect(-half_l, half_l, half_w), mover.colour)
        _fill(frame, h_local, rect(half_l * 0.15, half_l * 0.55, half_w * 0.85), (40, 35, 30))
        _fill(frame, h_local, rect(-half_l * 0.85, -half_l * 0.6, half_w * 0.8), (50, 45, 40))


def _project(h: np.ndarray, xy: np.ndarray) -> np.ndarray | None:
    """Image points of local ground points (N, 2); None when any is behind the camera."""
    p = h @ np.vstack([xy.T, np.ones(len(xy))])
    if np.any(p[2] <= 1e-6):
        return None
    return (p[:2] / p[2]).T


def _fill(frame: np.ndarray, h_local: np.ndarray, poly_xy: np.ndarray, colour) -> None:
    uv = _project(h_local, poly_xy)
    if uv is None:
        return
    cv2.fillConvexPoly(frame, np.round(uv * _ONE).astype(np.int32), colour, cv2.LINE_AA, _SHIFT)


def _clip_half_plane(poly, inside) -> list[tuple[float, float]]:
    """Sutherland-Hodgman: the part of ``poly`` where ``inside(u, v) >= 0``."""
    out: list[tuple[float, float]] = []
    n = len(poly)
    for i in range(n):
        p, q = poly[i], poly[(i + 1) % n]
        fp, fq = inside(*p), inside(*q)
        if fp >= 0:
            out.append(p)
        if (fp >= 0) != (fq >= 0):
            t = fp / (fp - fq)
            out.append((p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])))
    return out
