"""What a sortie really covered, from its flown track (not its plan).

The camera is taken to look straight down; its footprint across the track is
the swath width, ``2 * alt_rel_m * tan(hfov / 2)`` at each sample's height
above home (or a fixed ``swath_m``). The flown swath is the track buffered by
half that width, piecewise by altitude. Against it:

* a **grid** (polygon) is covered by the fraction of its area inside the swath;
* a **line** (polyline) is followed over the fraction of its length inside it;
* a **point** is seen when it falls inside the footprint at some sample; its
  time in view is summed from the samples that had it in view.

All geometry is done in a local metric frame (:class:`dronepatrol.geo.LocalFrame`).
"""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape

from dronepatrol.geo import LocalFrame

DEFAULT_HFOV_DEG = 70.0
"""Horizontal field of view assumed when neither a swath nor a FOV is given [deg]."""
LINE_FOLLOWED_FRACTION = 0.8
"""A line counts as followed when this fraction of its length was inside the swath."""
TARGET_KINDS = ("grid", "line", "point")


@dataclass(frozen=True)
class Camera:
    """The survey camera: a fixed swath [m], or a horizontal FOV [deg] scaled by altitude.

    ``min_alt_m``: below this height above home the camera is not surveying
    (take-off and landing) [m].

    >>> round(Camera(hfov_deg=90.0).swath_at(50.0), 6)
    100.0
    >>> Camera(swath_m=40.0).swath_at(10.0)
    40.0
    """

    hfov_deg: float = DEFAULT_HFOV_DEG
    swath_m: float | None = None
    min_alt_m: float = 5.0

    def __post_init__(self) -> None:
        if self.swath_m is not None and self.swath_m <= 0:
            raise ValueError(f"swath must be positive, got {self.swath_m} m")
        if not 0 < self.hfov_deg < 180:
            raise ValueError(f"horizontal FOV must be in (0, 180) deg, got {self.hfov_deg}")

    def swath_at(self, alt_rel_m: float) -> float:
        """Footprint width across the track at ``alt_rel_m`` above home [m]."""
        if self.swath_m is not None:
            return self.swath_m
        return 2.0 * max(alt_rel_m, 0.0) * math.tan(math.radians(self.hfov_deg) / 2.0)

    @classmethod
    def from_profile(cls, profile: Mapping[str, Any], source: str = "profile") -> Camera:
        """The camera of a planner drone profile (``camera_hfov_deg``; else ``swath_width_m``).

        The field of view is preferred: the swath then follows the altitude
        actually flown, not the planned one. Raises ValueError when neither is there.
        """
        for key in ("camera_hfov_deg", "hfov_deg"):
            if profile.get(key):
                return cls(hfov_deg=float(profile[key]))
        if profile.get("swath_width_m"):
            return cls(swath_m=float(profile["swath_width_m"]))
        raise ValueError(f"{source} has neither camera_hfov_deg nor swath_width_m")

    @classmethod
    def from_file(cls, path: Path | str) -> Camera:
        """The camera of a planner ``summary.json`` (its ``profile``) or a profile ``.toml``."""
        path = Path(path)
        text = path.read_text(encoding="utf-8")
        if path.suffix.lower() == ".toml":
            return cls.from_profile(tomllib.loads(text), str(path))
        data = json.loads(text)
        profile = data.get("profile") if isinstance(data, dict) else None
        return cls.from_profile(profile or {}, str(path))


def planned_targets(summary_path: Path | str, plan_ref: str) -> list[str]:
    """The targets a planner ``summary.json`` lists for the sortie whose plan is ``plan_ref``.

    ``plan_ref`` matches a sortie's ``id`` or its ``plan``/``waypoints`` file
    name (with or without directories); no match gives an empty list.
    """
    data = json.loads(Path(summary_path).read_text(encoding="utf-8"))
    wanted = {plan_ref, Path(plan_ref).name, Path(plan_ref).stem}
    for sortie in data.get("sorties", []) if isinstance(data, dict) else []:
        names = {str(sortie.get(k, "")) for k in ("id", "plan", "waypoints")}
        names |= {Path(n).stem for n in names if n}
        if wanted & (names - {""}):
            return [str(t) for t in sortie.get("targets", [])]
    return []


@dataclass(frozen=True)
class TargetCoverage:
    """How well one patrol target was covered by the sortie.

    ``fraction``: grid area or line length covered, 1 or 0 for a point;
    ``planned``: the sortie's plan listed this target; ``seconds_in_view``:
    points only [s]; ``note``: why a planned target could not be assessed.
    """

    target_id: str
    kind: str
    name: str
    priority: str
    planned: bool
    fraction: float
    seconds_in_view: float = 0.0
    first_seen_s: float | None = None
    note: str = ""

    @property
    def verdict(self) -> str:
        """covered / partly / missed (grids), followed / partly / missed (lines), seen / missed."""
        if self.note:
            return "unknown"
        if self.kind == "point":
            return "seen" if self.fraction > 0 else "missed"
        full = "covered" if self.kind == "grid" else "followed"
        threshold = 0.95 if self.kind == "grid" else LINE_FOLLOWED_FRACTION
        if self.fraction >= threshold:
            return full
        return "partly" if self.fraction > 0 else "missed"


def load_network(path: Path | str) -> list[dict[str, Any]]:
    """The patrol targets (grid/line/point features) of a network GeoJSON file."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if (
        not isinstance(data, dict)
        or data.get("type") != "FeatureCollection"
        or not isinstance(data.get("features"), list)
    ):
        raise ValueError("not a GeoJSON FeatureCollection")
    return network_targets(f for f in data["features"] if isinstance(f, dict))


def network_targets(features: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The grid/line/point features among ``features``, as plain dicts."""
    out = []
    for index, feature in enumerate(features):
        props = feature.get("properties") or {}
        if props.get("kind") in TARGET_KINDS and feature.get("geometry"):
            try:
                shape(feature["geometry"])
            except (ValueError, TypeError, KeyError, AttributeError) as exc:
                name = props.get("id", f"feature #{index}")
                raise ValueError(f"{name}: unreadable geometry ({exc})") from exc
            out.append(dict(feature))
    return out


def flown_swath(
    track: Sequence[Mapping[str, Any]], camera: Camera, frame: LocalFrame
) -> shapely.Geometry:
    """The ground the camera saw, in ``frame`` [m]: the track buffered by half the swath.

    Consecutive samples whose swath differs by less than 5 % are buffered as one
    line at their mean width, which keeps the union small on long sorties.
    """
    airborne = [
        s for s in track if s.get("alt_rel_m") is not None and s["alt_rel_m"] >= camera.min_alt_m
    ]
    if not airborne:
        return shapely.Polygon()
    xs, ys = frame.to_xy(
        np.array([s["lon_deg"] for s in airborne]), np.array([s["lat_deg"] for s in airborne])
    )
    widths = np.array([camera.swath_at(s["alt_rel_m"]) for s in airborne])
    pieces = []
    start = 0
    for i in range(1, len(airborne) + 1):
        if i == len(airborne) or abs(widths[i] - widths[start]) > 0.05 * widths[start]:
            run = slice(start, max(i, start + 1))
            coords = np.column_stack([xs[run], ys[run]])
            geometry = shapely.LineString(coords) if len(coords) >= 2 else shapely.Point(coords[0])
            if i < len(airborne):  # join to the next run so no gap opens between runs
                geometry = shapely.LineString(np.vstack([coords, [[xs[i], ys[i]]]]))
            pieces.append(geometry.buffer(float(widths[run].mean()) / 2.0))
            start = i
    return shapely.union_all(pieces)


def coverage(
    track: Sequence[Mapping[str, Any]],
    targets: Iterable[Mapping[str, Any]],
    camera: Camera,
    planned: Iterable[Any] = (),
) -> list[TargetCoverage]:
    """Coverage of each target the sortie planned or touched, planned first.

    ``targets``: GeoJSON features with ``properties.kind``/``id``; ``planned``:
    the sortie's target list (ids, or features carrying their own geometry).
    """
    features = {str(f["properties"].get("id")): f for f in network_targets(targets)}
    planned_ids: list[str] = []
    for item in planned:
        if isinstance(item, Mapping) and item.get("geometry"):
            feature = dict(item)
            features.setdefault(str(feature["properties"].get("id")), feature)
            planned_ids.append(str(feature["properties"].get("id")))
        else:
            planned_ids.append(str(item))
    if not track:
        return [
            TargetCoverage(t, "", "", "", True, 0.0, note="no track recorded") for t in planned_ids
        ]
    frame = LocalFrame(track[0]["lat_deg"], track[0]["lon_deg"])
    swath = flown_swath(track, camera, frame)
    results = []
    for target_id in planned_ids:
        if target_id not in features:
            results.append(
                TargetCoverage(target_id, "", "", "", True, 0.0, note="not in the patrol network")
            )
    for target_id, feature in features.items():
        is_planned = target_id in planned_ids
        result = _assess(target_id, feature, track, swath, camera, frame, is_planned)
        if is_planned or result.fraction > 0:
            results.append(result)
    results.sort(key=lambda r: (not r.planned, TARGET_KINDS.index(r.kind) if r.kind else 0))
    return results


def _assess(
    target_id: str,
    feature: Mapping[str, Any],
    track: Sequence[Mapping[str, Any]],
    swath: shapely.Geometry,
    camera: Camera,
    frame: LocalFrame,
    planned: bool,
) -> TargetCoverage:
    props = feature["properties"]
    kind = props["kind"]
    geometry = frame.geometry_to_xy(shape(feature["geometry"]))
    common = {
        "target_id": target_id,
        "kind": kind,
        "name": str(props.get("name") or ""),
        "priority": str(props.get("priority") or "general"),
        "planned": planned,
    }
    if kind == "grid":
        area = geometry.area
        fraction = geometry.intersection(swath).area / area if area > 0 else 0.0
        return TargetCoverage(**common, fraction=min(1.0, fraction))
    if kind == "line":
        length = geometry.length
        fraction = geometry.intersection(swath).length / length if length > 0 else 0.0
        return TargetCoverage(**common, fraction=min(1.0, fraction))
    return _point_seen(common, geometry, track, camera, frame)


def _point_seen(
    common: dict[str, Any],
    point: shapely.Geometry,
    track: Sequence[Mapping[str, Any]],
    camera: Camera,
    frame: LocalFrame,
) -> TargetCoverage:
    times = np.array([s["time_s"] for s in track])
    alts = np.array([s.get("alt_rel_m") or 0.0 for s in track], dtype=float)
    xs, ys = frame.to_xy(
        np.array([s["lon_deg"] for s in track]), np.array([s["lat_deg"] for s in track])
    )
    half = np.array([camera.swath_at(a) / 2.0 for a in alts])
    in_view = (np.hypot(xs - point.x, ys - point.y) <= half) & (alts >= camera.min_alt_m)
    if not in_view.any():
        return TargetCoverage(**common, fraction=0.0)
    dt = np.diff(times, append=times[-1])
    return TargetCoverage(
        **common,
        fraction=1.0,
        seconds_in_view=float(dt[in_view].sum()),
        first_seen_s=float(times[in_view.argmax()]),
    )
