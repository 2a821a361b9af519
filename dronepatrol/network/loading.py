"""Read a patrol network from GeoJSON, collecting every problem at once.

:func:`read_network` never stops at the first problem: it walks every feature,
notes each thing to fix as an :class:`Issue` (naming the feature's id, or its
index when it has none) and builds the :class:`Network` from the features that
are sound. :func:`load_network` is the strict form the planner uses.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import LineString, Point, Polygon
from shapely.validation import explain_validity

from dronepatrol.network.model import (
    GEOMETRY_OF_KIND,
    TARGET_KINDS,
    Kind,
    Network,
    NoFlyZone,
    Overwatch,
    Priority,
    Station,
    Target,
)

ERROR = "error"
WARNING = "warning"

_NUMERIC = {
    # property: (kinds it applies to, smallest allowed value, strictly greater?)
    "altitude_m": (TARGET_KINDS, 0.0, True),
    "revisit_min": (TARGET_KINDS, 0.0, True),
    "dwell_s": (frozenset({Kind.POINT}), 0.0, False),
    "orbit_radius_m": (frozenset({Kind.POINT}), 0.0, False),
    "elevation_m": (frozenset({Kind.STATION}), -500.0, False),
}


@dataclass(frozen=True)
class Issue:
    """One problem in a network file.

    Attributes:
        severity: ``"error"`` (the file cannot be planned) or ``"warning"``.
        feature: the feature's id, or ``feature[i]`` (0-based index) when it has none,
            or the file name for problems with the whole file.
        message: what is wrong and how to fix it.
    """

    severity: str
    feature: str
    message: str

    def __str__(self) -> str:
        return f"{self.severity}: {self.feature}: {self.message}"


class NetworkError(ValueError):
    """A network file has errors; ``issues`` lists every one of them."""

    def __init__(self, source: str, issues: list[Issue]) -> None:
        self.source = source
        self.issues = issues
        errors = [i for i in issues if i.severity == ERROR]
        lines = "\n".join(str(i) for i in errors)
        super().__init__(f"{source}: {len(errors)} error(s) in the patrol network\n{lines}")


def read_network(path: str | Path) -> tuple[Network | None, list[Issue]]:
    """Read and check a GeoJSON network file.

    Returns the network built from the sound features (None when the file is
    not a usable FeatureCollection at all) and every issue found, in file order.
    """
    path = Path(path)
    label = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, [Issue(ERROR, label, "file not found; give the path of a GeoJSON file")]
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Issue(ERROR, label, f"cannot read the file ({exc}); give a UTF-8 GeoJSON")]
    if not text.strip():
        return None, [Issue(ERROR, label, "empty file; a GeoJSON FeatureCollection is needed")]
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, [
            Issue(
                ERROR,
                label,
                f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}; "
                "fix the syntax (a GeoJSON FeatureCollection is expected)",
            )
        ]
    return parse_network(data, source=label)


def load_network(path: str | Path) -> Network:
    """The network in ``path``; raises :class:`NetworkError` listing every error."""
    network, issues = read_network(path)
    if network is None or any(i.severity == ERROR for i in issues):
        raise NetworkError(Path(path).name, issues)
    return network


def parse_network(
    data: Any, source: str = "network", *, require_station: bool = True
) -> tuple[Network | None, list[Issue]]:
    """Build a network from parsed GeoJSON, with every issue found.

    ``require_station=False`` reads targets that join another network's
    stations (a large event's file): a file with no station is then sound.
    """
    issues: list[Issue] = []
    features = feature_list(data, source, issues)
    if features is None:
        return None, issues
    if not features:
        issues.append(Issue(ERROR, source, "empty network: add stations and targets"))
        return None, issues

    parsed: list[tuple[str, Kind, Any, dict[str, Any]]] = []
    seen: dict[str, int] = {}
    for index, feature in enumerate(features):
        item = _parse_feature(index, feature, seen, issues)
        if item is not None:
            parsed.append(item)

    stations = [
        Station(
            id=fid,
            geometry=geom,
            name=str(props.get("name") or ""),
            elevation_m=float(props.get("elevation_m") or 0.0),
        )
        for fid, kind, geom, props in parsed
        if kind is Kind.STATION
    ]
    nofly = [
        NoFlyZone(id=fid, geometry=geom, name=str(props.get("name") or ""))
        for fid, kind, geom, props in parsed
        if kind is Kind.NOFLY
    ]
    station_ids = {s.id for s in stations}
    declared = any(
        isinstance(f, Mapping)
        and isinstance(f.get("properties"), Mapping)
        and f["properties"].get("kind") == Kind.STATION.value
        for f in features
    )
    if not declared and require_station:
        issues.append(
            Issue(
                ERROR,
                source,
                "no station: add a Point feature with kind 'station' "
                "where drones take off and land",
            )
        )
    targets = []
    for fid, kind, geom, props in parsed:
        if kind not in TARGET_KINDS:
            continue
        owner = props.get("station")
        if owner is not None and owner != "" and str(owner) not in station_ids:
            known = ", ".join(sorted(station_ids)) or "none"
            issues.append(Issue(ERROR, fid, f"unknown station {owner!r}; use one of: {known}"))
            continue
        owner = str(owner) if owner else _nearest_station(geom, stations)
        targets.append(
            Target(
                id=fid,
                kind=kind,
                geometry=geom,
                priority=Priority(props.get("priority") or Priority.GENERAL),
                station=owner,
                name=str(props.get("name") or ""),
                altitude_m=_opt_float(props.get("altitude_m")),
                revisit_min=_opt_float(props.get("revisit_min")),
                dwell_s=_opt_float(props.get("dwell_s")),
                orbit_radius_m=_opt_float(props.get("orbit_radius_m")),
            )
        )
    overwatch = [
        Overwatch(
            id=fid,
            geometry=geom,
            plans=tuple(props["lockdown"]),
            name=str(props.get("name") or ""),
        )
        for fid, kind, geom, props in parsed
        if kind is Kind.OVERWATCH
    ]
    _check_against_nofly(targets, stations, nofly, issues)
    _check_overwatch_against_nofly(overwatch, nofly, issues)
    name = data.get("name") if isinstance(data.get("name"), str) else ""
    network = Network(
        tuple(targets), tuple(nofly), tuple(stations), name=name, overwatch=tuple(overwatch)
    )
    return network, issues


def _parse_feature(
    index: int, feature: Any, seen: dict[str, int], issues: list[Issue]
) -> tuple[str, Kind, Any, dict[str, Any]] | None:
    """Check one feature; returns (id, kind, geometry, properties) when it is sound."""
    label = f"feature[{index}]"
    if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
        issues.append(Issue(ERROR, label, 'not a GeoJSON Feature; give it "type": "Feature"'))
        return None
    props = feature.get("properties")
    if not isinstance(props, Mapping):
        issues.append(Issue(ERROR, label, "no 'properties' object; add kind and id"))
        return None
    props = dict(props)
    raw_id = props.get("id", feature.get("id"))
    ok = True
    if raw_id is None or str(raw_id).strip() == "":
        issues.append(Issue(ERROR, label, "no id; add a unique 'id' property"))
        ok = False
    else:
        fid = str(raw_id)
        if fid in seen:
            issues.append(
                Issue(
                    ERROR,
                    fid,
                    f"duplicate id (also feature[{seen[fid]}], this is "
                    f"feature[{index}]); give each feature its own id",
                )
            )
            ok = False
        else:
            seen[fid] = index
        label = fid
    raw_kind = props.get("kind")
    try:
        kind = Kind(raw_kind)
    except ValueError:
        kinds = ", ".join(k.value for k in Kind)
        issues.append(Issue(ERROR, label, f"kind {raw_kind!r} is unknown; use one of: {kinds}"))
        return None
    priority = props.get("priority")
    if (
        priority is not None
        and priority not in {p.value for p in Priority}
        and kind in TARGET_KINDS
    ):
        issues.append(
            Issue(ERROR, label, f"priority {priority!r} is unknown; use key, attention or general")
        )
        ok = False
    if kind is Kind.OVERWATCH:
        plans = _plan_names(props.get("lockdown"))
        if plans:
            props["lockdown"] = plans
        else:
            what = (
                "belongs to no lockdown plan"
                if props.get("lockdown") is None
                else f"has 'lockdown' {props.get('lockdown')!r}"
            )
            issues.append(
                Issue(
                    ERROR,
                    label,
                    f"overwatch point {what}; give it 'lockdown': a plan name "
                    '(e.g. "gates") or a list of plan names',
                )
            )
            ok = False
    elif props.get("lockdown") is not None:
        issues.append(
            Issue(WARNING, label, f"'lockdown' applies to overwatch points, not a {kind}; ignored")
        )
    for key, (kinds, low, strict) in _NUMERIC.items():
        value = props.get(key)
        if value is None:
            continue
        if kind not in kinds:
            issues.append(Issue(WARNING, label, f"'{key}' does not apply to {_a(kind)}; ignored"))
            props.pop(key)
            continue
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or (value <= low if strict else value < low)
        ):
            bound = f"greater than {low:g}" if strict else f"at least {low:g}"
            issues.append(Issue(ERROR, label, f"'{key}' is {value!r}; give a number {bound}"))
            ok = False
    geom = _parse_geometry(label, kind, feature.get("geometry"), issues)
    if geom is None or not ok:
        return None
    return label, kind, geom, props


def feature_list(
    data: Any, source: str, issues: list[Issue], what: str = "features"
) -> list[Any] | None:
    """The ``features`` of a GeoJSON FeatureCollection, or None with the problem in ``issues``.

    ``what`` names the contents in the fix the message suggests ("features",
    "the zone and targets").
    """
    if not isinstance(data, Mapping) or data.get("type") != "FeatureCollection":
        issues.append(
            Issue(
                ERROR,
                source,
                f"not a GeoJSON FeatureCollection; wrap {what} in "
                '{"type": "FeatureCollection", "features": [...]}',
            )
        )
        return None
    features = data.get("features")
    if not isinstance(features, list):
        issues.append(Issue(ERROR, source, "'features' must be a list of GeoJSON features"))
        return None
    return features


def parse_polygon(label: str, geometry: Any, issues: list[Issue], what: str) -> Polygon | None:
    """A GeoJSON Polygon checked as a grid's is (closed rings, no crossing edges), or None.

    ``what`` names the feature in the messages (e.g. "zone"); problems go to ``issues``.
    """
    return _parse_geometry(label, Kind.GRID, geometry, issues, what)


def _plan_names(value: Any) -> list[str]:
    """The lockdown plan names in a ``lockdown`` property (a name or a list of names).

    Empty when the value is missing or not names: the caller reports it.
    """
    raw = [value] if isinstance(value, str) else value
    if not isinstance(raw, list) or not raw or not all(isinstance(v, str) for v in raw):
        return []
    names = [v.strip() for v in raw]
    if not all(names):
        return []
    return list(dict.fromkeys(names))


def _a(kind: Kind) -> str:
    """``kind`` with its article, as messages name it ("a grid", "an overwatch point")."""
    return "an overwatch point" if kind is Kind.OVERWATCH else f"a {kind}"


def _parse_geometry(
    label: str, kind: Kind, geometry: Any, issues: list[Issue], what: str = ""
) -> Any:
    want = GEOMETRY_OF_KIND[kind]
    named = f"a {what}" if what else _a(kind)
    if not isinstance(geometry, Mapping):
        issues.append(Issue(ERROR, label, f"no geometry; {named} needs a {want}"))
        return None
    if geometry.get("type") != want:
        issues.append(
            Issue(ERROR, label, f"geometry is {geometry.get('type')!r}; {named} needs a {want}")
        )
        return None
    coords = geometry.get("coordinates")
    if want == "Point":
        positions = [coords]
    elif want == "LineString":
        positions = coords if isinstance(coords, list) else None
    else:
        positions = (
            [p for ring in coords if isinstance(ring, list) for p in ring]
            if isinstance(coords, list) and all(isinstance(r, list) for r in coords)
            else None
        )
    if not positions and want != "Point":
        issues.append(Issue(ERROR, label, f"{want} has no coordinates"))
        return None
    for pos in positions or [None]:
        problem = _position_problem(pos)
        if problem:
            issues.append(Issue(ERROR, label, problem))
            return None
    if want == "Point":
        return Point(coords[0], coords[1])
    if want == "LineString":
        distinct = {(p[0], p[1]) for p in coords}
        if len(coords) < 2 or len(distinct) < 2:
            issues.append(
                Issue(ERROR, label, "line has fewer than 2 distinct points; give at least 2")
            )
            return None
        return LineString([(p[0], p[1]) for p in coords])
    rings = [[(p[0], p[1]) for p in ring] for ring in coords]
    if not rings:
        issues.append(Issue(ERROR, label, "polygon has no rings"))
        return None
    for ring in rings:
        if len(ring) < 4 or ring[0] != ring[-1] or len(set(ring)) < 3:
            issues.append(
                Issue(
                    ERROR,
                    label,
                    "polygon ring needs at least 3 distinct corners and must "
                    "end where it starts (GeoJSON closes rings explicitly)",
                )
            )
            return None
    polygon = Polygon(rings[0], rings[1:])
    if not polygon.is_valid:
        reason = explain_validity(polygon)
        where = reason[reason.find("[") :] if "[" in reason else ""
        if "self-intersection" in reason.lower():
            message = (
                f"self-intersecting polygon (edges cross at lon lat {where.strip('[]')}); "
                "redraw it so that its edges do not cross"
            )
        else:
            message = f"invalid polygon ({reason}); fix its rings (holes inside the outline)"
        issues.append(Issue(ERROR, label, message))
        return None
    if polygon.area <= 0:
        issues.append(Issue(ERROR, label, "polygon has no area; give it three distinct corners"))
        return None
    return polygon


def _position_problem(pos: Any) -> str:
    if not isinstance(pos, list | tuple) or len(pos) < 2:
        return "a position is not [lon, lat]; GeoJSON positions are [longitude, latitude]"
    lon, lat = pos[0], pos[1]
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (lon, lat)):
        return f"position {list(pos)!r} is not numeric; give [lon, lat] in degrees"
    if not (math.isfinite(lon) and math.isfinite(lat)):
        return f"position {list(pos)!r} is not finite"
    if not -180.0 <= lon <= 180.0 or not -90.0 <= lat <= 90.0:
        hint = " (lat and lon swapped?)" if -90 <= lon <= 90 and -180 <= lat <= 180 else ""
        return (
            f"coordinates out of range: lon {lon}, lat {lat}; lon must be in [-180, 180] and "
            f"lat in [-90, 90]{hint}"
        )
    return ""


def _opt_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _nearest_station(geom: Any, stations: list[Station]) -> str:
    if not stations:
        return ""
    distances = shapely.distance(geom, [s.geometry for s in stations])
    return stations[int(distances.argmin())].id


def _check_against_nofly(
    targets: list[Target], stations: list[Station], nofly: list[NoFlyZone], issues: list[Issue]
) -> None:
    """Warn about targets no drone can patrol; a station in a no-fly zone is an error."""
    if not nofly:
        return
    tree = shapely.STRtree([z.geometry for z in nofly])
    for target in targets:
        for k in tree.query(target.geometry, predicate="within"):
            zone = nofly[int(k)]
            what = {Kind.GRID: "grid", Kind.LINE: "line", Kind.POINT: "point"}[target.kind]
            issues.append(
                Issue(
                    WARNING,
                    target.id,
                    f"{what} lies wholly inside no-fly zone {zone.id}; "
                    "it will be skipped when planning",
                )
            )
            break
    for station in stations:
        for k in tree.query(station.geometry, predicate="intersects"):
            issues.append(
                Issue(
                    ERROR,
                    station.id,
                    f"station lies inside no-fly zone {nofly[int(k)].id}; "
                    "move the station or the zone",
                )
            )
            break


def _check_overwatch_against_nofly(
    overwatch: list[Overwatch], nofly: list[NoFlyZone], issues: list[Issue]
) -> None:
    """An overwatch point inside a no-fly zone is an error: a drone would hold it there."""
    if not nofly or not overwatch:
        return
    tree = shapely.STRtree([z.geometry for z in nofly])
    for point in overwatch:
        for k in tree.query(point.geometry, predicate="intersects"):
            issues.append(
                Issue(
                    ERROR,
                    point.id,
                    f"overwatch point lies inside no-fly zone {nofly[int(k)].id}; a drone "
                    "holding it would circle in the zone: move the point out",
                )
            )
            break
