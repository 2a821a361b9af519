"""Inline SVG drawings for the sortie report: the map and time plots, no network needed."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape

from dronepatrol.geo import LocalFrame

TARGET_STYLE = {
    "grid": 'fill="#3b82f6" fill-opacity="0.12" stroke="#2563eb" stroke-width="1.5"',
    "line": 'fill="none" stroke="#9333ea" stroke-width="3" stroke-dasharray="8 4"',
    "point": 'fill="#f59e0b" stroke="#92400e" stroke-width="1.5"',
}


def nice_step(span: float, count: int = 5) -> float:
    """A 1-2-5 step that cuts ``span`` into about ``count`` intervals.

    >>> nice_step(100.0), nice_step(7.0), nice_step(0.0)
    (20.0, 2.0, 1.0)
    """
    if span <= 0:
        return 1.0
    raw = span / count
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * magnitude:
            return float(factor * magnitude)
    return float(10 * magnitude)


class _Viewport:
    """Maps local metres to SVG pixels, north up, same scale on both axes."""

    def __init__(self, bounds: tuple[float, float, float, float], width: int, height: int):
        minx, miny, maxx, maxy = bounds
        pad = 0.06 * max(maxx - minx, maxy - miny, 20.0)
        minx, miny, maxx, maxy = minx - pad, miny - pad, maxx + pad, maxy + pad
        self.scale = min(width / (maxx - minx), height / (maxy - miny))
        # centre the drawing: spread the spare room evenly on both sides
        spare_x = width / self.scale - (maxx - minx)
        spare_y = height / self.scale - (maxy - miny)
        self.minx, self.maxy = minx - spare_x / 2, maxy + spare_y / 2
        self.width, self.height = width, height

    def xy(self, x: float, y: float) -> tuple[float, float]:
        return (x - self.minx) * self.scale, (self.maxy - y) * self.scale

    def points(self, coords: Iterable[Sequence[float]]) -> str:
        return " ".join("{:.1f},{:.1f}".format(*self.xy(c[0], c[1])) for c in coords)


def _geometry_svg(geometry: shapely.Geometry, view: _Viewport, style: str, title: str) -> str:
    tip = f"<title>{escape(title)}</title>"
    if isinstance(geometry, shapely.Polygon):
        rings = [geometry.exterior, *geometry.interiors]
        path = " ".join("M " + view.points(r.coords) + " Z" for r in rings)
        return f'<path d="{path}" fill-rule="evenodd" {style}>{tip}</path>'
    if isinstance(geometry, shapely.LineString):
        return f'<polyline points="{view.points(geometry.coords)}" {style}>{tip}</polyline>'
    if isinstance(geometry, shapely.Point):
        x, y = view.xy(geometry.x, geometry.y)
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" {style}>{tip}</circle>'
    if hasattr(geometry, "geoms"):
        return "".join(_geometry_svg(g, view, style, title) for g in geometry.geoms)
    return ""


def track_map(
    track: Sequence[Mapping[str, Any]],
    targets: Sequence[Mapping[str, Any]] = (),
    swath: shapely.Geometry | None = None,
    frame: LocalFrame | None = None,
    markers: Sequence[tuple[float, float, str, str]] = (),
    width: int = 760,
    height: int = 520,
) -> str:
    """An SVG map: targets, the flown swath, the track (coloured by altitude) and markers.

    ``swath`` is in ``frame``'s metres; ``markers`` are (lat, lon, label, colour).
    """
    if not track:
        return '<p class="empty">No track was recorded.</p>'
    frame = frame or LocalFrame(track[0]["lat_deg"], track[0]["lon_deg"])
    xs, ys = frame.to_xy(
        np.array([s["lon_deg"] for s in track]), np.array([s["lat_deg"] for s in track])
    )
    shapes = [(frame.geometry_to_xy(shape(t["geometry"])), t["properties"]) for t in targets]
    geoms = [shapely.MultiPoint(np.column_stack([xs, ys])), *(g for g, _ in shapes)]
    if swath is not None and not swath.is_empty:
        geoms.append(swath)
    view = _Viewport(shapely.GeometryCollection(geoms).bounds, width, height)
    parts = [
        f'<svg class="map" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="flown track on a map">',
        f'<rect width="{width}" height="{height}" fill="#f8fafc"/>',
    ]
    for geometry, props in shapes:
        kind = props.get("kind", "grid")
        label = f"{kind} {props.get('id', '')} {props.get('name', '')}".strip()
        parts.append(_geometry_svg(geometry, view, TARGET_STYLE.get(kind, ""), label))
    if swath is not None and not swath.is_empty:
        parts.append(
            _geometry_svg(
                swath, view, 'fill="#22c55e" fill-opacity="0.18" stroke="none"', "camera swath"
            )
        )
    alts = np.array([s.get("alt_rel_m") or 0.0 for s in track], dtype=float)
    parts.extend(_track_runs(xs, ys, alts, view))
    for (x, y), label, colour in (
        (view.xy(xs[0], ys[0]), "take-off", "#16a34a"),
        (view.xy(xs[-1], ys[-1]), "landing", "#dc2626"),
    ):
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" fill="{colour}">'
            f"<title>{label}</title></circle>"
        )
    for lat, lon, label, colour in markers:
        mx, my = view.xy(*frame.to_xy(lon, lat))
        parts.append(
            f'<rect x="{mx - 4:.1f}" y="{my - 4:.1f}" width="8" height="8" fill="{colour}">'
            f"<title>{escape(label)}</title></rect>"
        )
    parts.append(_scale_bar(view))
    parts.append(
        f'<text x="{width - 16}" y="24" font-size="14" text-anchor="end" '
        'font-family="sans-serif">N &#8593;</text></svg>'
    )
    return "".join(parts)


TRACK_SHADES = 8
"""Altitude bands the track is coloured in (darker is higher)."""
MAX_TRACK_VERTICES = 4000
"""Vertices drawn at most: long sorties are thinned evenly (every sample stays in the data)."""


def _track_runs(xs: np.ndarray, ys: np.ndarray, alts: np.ndarray, view: _Viewport) -> list[str]:
    """The track as polylines, one per run of samples in the same altitude band."""
    step = max(1, -(-len(xs) // MAX_TRACK_VERTICES))
    keep = np.unique(np.append(np.arange(0, len(xs), step), len(xs) - 1))
    top = max(float(alts.max()), 1.0)
    bands = np.minimum((alts[keep] / top * TRACK_SHADES).astype(int), TRACK_SHADES - 1)
    out = []
    start = 0
    for i in range(1, len(keep) + 1):
        if i < len(keep) and bands[i] == bands[start]:
            continue
        run = keep[start : min(i + 1, len(keep))]  # overlap one vertex: no gaps between runs
        if len(run) >= 2:
            shade = int(200 - 160 * (bands[start] + 1) / TRACK_SHADES)
            points = view.points(zip(xs[run], ys[run], strict=True))
            out.append(
                f'<polyline class="track" points="{points}" fill="none" '
                f'stroke="rgb(220,{shade // 3},{shade})" stroke-width="2.5" '
                'stroke-linecap="round" stroke-linejoin="round"/>'
            )
        start = i
    return out


def min_max_thin(xs: np.ndarray, ys: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """At most about ``limit`` points of a series, keeping each bucket's min and max.

    A spike stays visible however long the sortie.

    >>> x, y = min_max_thin(np.arange(10.0), np.array([0, 0, 9, 0, 0, 0, -4, 0, 0, 0.0]), 4)
    >>> sorted(y.tolist())
    [-4.0, 0.0, 0.0, 9.0]
    """
    if len(xs) <= limit:
        return xs, ys
    buckets = -(-len(xs) // max(limit // 2, 1))
    keep: list[int] = []
    for start in range(0, len(xs), buckets):
        chunk = ys[start : start + buckets]
        pair = sorted({start + int(chunk.argmin()), start + int(chunk.argmax())})
        keep.extend(pair)
    index = np.array(keep)
    return xs[index], ys[index]


def _scale_bar(view: _Viewport) -> str:
    metres = nice_step(view.width / view.scale / 4, 1)
    pixels = metres * view.scale
    y = view.height - 16
    label = f"{metres / 1000:g} km" if metres >= 1000 else f"{metres:g} m"
    return (
        f'<line x1="16" y1="{y}" x2="{16 + pixels:.1f}" y2="{y}" stroke="#111" stroke-width="3"/>'
        f'<text x="16" y="{y - 6}" font-size="12" font-family="sans-serif">{label}</text>'
    )


def time_plot(
    times_s: Sequence[float],
    values: Sequence[float | None],
    label: str,
    unit: str,
    colour: str = "#2563eb",
    width: int = 760,
    height: int = 170,
) -> str:
    """A line plot of ``values`` against minutes since the first time, with labelled axes."""
    pairs = [(t, v) for t, v in zip(times_s, values, strict=True) if v is not None]
    if len(pairs) < 2:
        return f'<p class="empty">No {escape(label)} recorded.</p>'
    t0 = pairs[0][0]
    xs = np.array([(t - t0) / 60.0 for t, _ in pairs])
    ys = np.array([v for _, v in pairs], dtype=float)
    xs, ys = min_max_thin(xs, ys, 2000)
    left, right, top, bottom = 56, 12, 12, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    x_max = max(float(xs.max()), 1e-6)
    y_min, y_max = float(min(ys.min(), 0.0)), float(ys.max())
    if y_max - y_min < 1e-9:
        y_max = y_min + 1.0
    y_max += 0.05 * (y_max - y_min)  # headroom: the line never runs along the frame

    def px(x: float, y: float) -> tuple[float, float]:
        return left + x / x_max * plot_w, top + (y_max - y) / (y_max - y_min) * plot_h

    parts = [
        f'<svg class="plot" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(label)} over time">',
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#f8fafc" '
        'stroke="#cbd5e1"/>',
    ]
    step = nice_step(y_max - y_min, 4)
    tick = math.ceil(y_min / step) * step
    while tick <= y_max + 1e-9:
        _, y = px(0, tick)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#e2e8f0"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" '
            f'font-family="sans-serif">{tick:g}</text>'
        )
        tick += step
    step = nice_step(x_max, 6)
    tick = 0.0
    while tick <= x_max + 1e-9:
        x, _ = px(tick, y_min)
        parts.append(
            f'<text x="{x:.1f}" y="{height - 12}" font-size="11" text-anchor="middle" '
            f'font-family="sans-serif">{tick:g}</text>'
        )
        tick += step
    line = " ".join("{:.1f},{:.1f}".format(*px(x, y)) for x, y in zip(xs, ys, strict=True))
    parts.append(f'<polyline points="{line}" fill="none" stroke="{colour}" stroke-width="2"/>')
    parts.append(
        f'<text x="{left + plot_w}" y="{height - 1}" font-size="11" text-anchor="end" '
        f'font-family="sans-serif">minutes</text>'
        f'<text x="4" y="{top + 10}" font-size="11" font-family="sans-serif">'
        f"{escape(unit)}</text></svg>"
    )
    return "".join(parts)
