"""A sortie's track as GeoJSON, KML 2.2, GPX 1.1 or CSV: files other tools open.

Each exporter takes a :class:`~dronepatrol.records.archive.SortieRecord` and
returns the file's text. Coordinates are WGS-84; altitudes are above mean sea
level where the tools expect it (KML ``absolute``, GPX ``ele``) and both AMSL
and relative-to-home in GeoJSON and CSV.
"""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

from dronepatrol.records.archive import SortieRecord, iso_utc

KML_NS = "http://www.opengis.net/kml/2.2"
GX_NS = "http://www.google.com/kml/ext/2.2"
GPX_NS = "http://www.topografix.com/GPX/1/1"
CSV_COLUMNS = (
    "time_utc",
    "time_s",
    "lat_deg",
    "lon_deg",
    "alt_amsl_m",
    "alt_rel_m",
    "heading_deg",
    "groundspeed_mps",
    "climb_mps",
    "battery_pct",
    "battery_v",
    "mode",
)


def _alt(sample: dict[str, Any]) -> float:
    value = sample["alt_amsl_m"] if sample["alt_amsl_m"] is not None else sample["alt_rel_m"]
    return float(value or 0.0)


def _title(record: SortieRecord) -> str:
    s = record.summary
    plan = f" {s.plan_ref}" if s.plan_ref else ""
    return f"Sortie {s.id}: {s.vehicle_name}{plan} {iso_utc(s.started_s)}"


def _waypoints(record: SortieRecord) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(event, nearest track sample) for each waypoint-reached event."""
    out = []
    for event in record.events:
        if event["kind"] != "waypoint_reached" or not record.track:
            continue
        nearest = min(record.track, key=lambda s: abs(s["time_s"] - event["time_s"]))
        out.append((event, nearest))
    return out


def to_geojson(record: SortieRecord) -> str:
    """RFC 7946 FeatureCollection: the track LineString (lon, lat, alt AMSL) with per-vertex
    times, plus one Point per waypoint reached."""
    s = record.summary
    track = record.track
    features: list[dict[str, Any]] = []
    if track:
        geometry: dict[str, Any] = (
            {
                "type": "LineString",
                "coordinates": [[p["lon_deg"], p["lat_deg"], _alt(p)] for p in track],
            }
            if len(track) >= 2
            else {
                "type": "Point",
                "coordinates": [track[0]["lon_deg"], track[0]["lat_deg"], _alt(track[0])],
            }
        )
        features.append(
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": {
                    "kind": "track",
                    "sortie_id": s.id,
                    "vehicle_id": s.vehicle_id,
                    "vehicle": s.vehicle_name,
                    "plan": s.plan_ref,
                    "targets": s.targets,
                    "station": s.station,
                    "operator": s.operator,
                    "started": iso_utc(s.started_s),
                    "ended": iso_utc(s.ended_s),
                    "outcome": s.status,
                    "distance_m": round(record.distance_m(), 1),
                    "times": [iso_utc(p["time_s"]) for p in track],
                    "alt_rel_m": [p["alt_rel_m"] for p in track],
                    "groundspeed_mps": [p["groundspeed_mps"] for p in track],
                    "battery_pct": [p["battery_pct"] for p in track],
                },
            }
        )
    for event, sample in _waypoints(record):
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "Point",
                    "coordinates": [sample["lon_deg"], sample["lat_deg"], _alt(sample)],
                },
                "properties": {
                    "kind": "waypoint_reached",
                    "seq": event["data"].get("seq"),
                    "time": iso_utc(event["time_s"]),
                },
            }
        )
    return json.dumps({"type": "FeatureCollection", "features": features}, indent=1) + "\n"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrib: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrib)
    if text is not None:
        element.text = text
    return element


def _xml(root: ET.Element) -> str:
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def to_kml(record: SortieRecord) -> str:
    """OGC KML 2.2: a Document with the track (absolute altitude, time span), the same
    track timed sample by sample (gx:Track, hidden by default) and the waypoints."""
    ET.register_namespace("", KML_NS)
    ET.register_namespace("gx", GX_NS)
    k = f"{{{KML_NS}}}"
    s = record.summary
    root = ET.Element(f"{k}kml")
    document = _sub(root, f"{k}Document")
    _sub(document, f"{k}name", _title(record))
    _sub(document, f"{k}description", f"outcome: {s.status}; operator: {s.operator or '-'}")
    style = _sub(document, f"{k}Style", id="track")
    line_style = _sub(style, f"{k}LineStyle")
    _sub(line_style, f"{k}color", "ff0055ff")
    _sub(line_style, f"{k}width", "3")
    if record.track:
        placemark = _sub(document, f"{k}Placemark")
        _sub(placemark, f"{k}name", f"track of sortie {s.id}")
        span = _sub(placemark, f"{k}TimeSpan")
        _sub(span, f"{k}begin", iso_utc(record.track[0]["time_s"]))
        _sub(span, f"{k}end", iso_utc(record.track[-1]["time_s"]))
        _sub(placemark, f"{k}styleUrl", "#track")
        coords = " ".join(
            f"{p['lon_deg']:.8f},{p['lat_deg']:.8f},{_alt(p):.2f}" for p in record.track
        )
        if len(record.track) >= 2:
            line = _sub(placemark, f"{k}LineString")
            _sub(line, f"{k}altitudeMode", "absolute")
            _sub(line, f"{k}coordinates", coords)
            _timed_track(document, record)
        else:
            point = _sub(placemark, f"{k}Point")
            _sub(point, f"{k}altitudeMode", "absolute")
            _sub(point, f"{k}coordinates", coords)
    for event, sample in _waypoints(record):
        placemark = _sub(document, f"{k}Placemark")
        _sub(placemark, f"{k}name", f"waypoint {event['data'].get('seq')}")
        stamp = _sub(placemark, f"{k}TimeStamp")
        _sub(stamp, f"{k}when", iso_utc(event["time_s"]))
        point = _sub(placemark, f"{k}Point")
        _sub(point, f"{k}altitudeMode", "absolute")
        _sub(
            point,
            f"{k}coordinates",
            f"{sample['lon_deg']:.8f},{sample['lat_deg']:.8f},{_alt(sample):.2f}",
        )
    return _xml(root)


def _timed_track(document: ET.Element, record: SortieRecord) -> None:
    """A gx:Track placemark: every sample with its time, for Google Earth's time slider."""
    k, gx = f"{{{KML_NS}}}", f"{{{GX_NS}}}"
    placemark = _sub(document, f"{k}Placemark")
    _sub(placemark, f"{k}name", f"timed track of sortie {record.summary.id}")
    _sub(placemark, f"{k}visibility", "0")
    _sub(placemark, f"{k}styleUrl", "#track")
    track = _sub(placemark, f"{gx}Track")
    _sub(track, f"{k}altitudeMode", "absolute")
    for p in record.track:
        _sub(track, f"{k}when", iso_utc(p["time_s"]))
    for p in record.track:
        _sub(track, f"{gx}coord", f"{p['lon_deg']:.8f} {p['lat_deg']:.8f} {_alt(p):.2f}")


def to_gpx(record: SortieRecord) -> str:
    """GPX 1.1: one track, one segment, a point per sample (ele AMSL, UTC time)."""
    ET.register_namespace("", GPX_NS)
    g = f"{{{GPX_NS}}}"
    s = record.summary
    root = ET.Element(f"{g}gpx", version="1.1", creator="DronePatrol")
    metadata = _sub(root, f"{g}metadata")
    _sub(metadata, f"{g}name", _title(record))
    _sub(metadata, f"{g}desc", f"outcome: {s.status}")
    if record.track:
        _sub(metadata, f"{g}time", iso_utc(record.track[0]["time_s"]))
    for event, sample in _waypoints(record):
        wpt = _sub(root, f"{g}wpt", lat=f"{sample['lat_deg']:.8f}", lon=f"{sample['lon_deg']:.8f}")
        _sub(wpt, f"{g}ele", f"{_alt(sample):.2f}")
        _sub(wpt, f"{g}time", iso_utc(event["time_s"]))
        _sub(wpt, f"{g}name", f"waypoint {event['data'].get('seq')}")
    track = _sub(root, f"{g}trk")
    _sub(track, f"{g}name", f"sortie {s.id}")
    segment = _sub(track, f"{g}trkseg")
    for p in record.track:
        point = _sub(segment, f"{g}trkpt", lat=f"{p['lat_deg']:.8f}", lon=f"{p['lon_deg']:.8f}")
        _sub(point, f"{g}ele", f"{_alt(p):.2f}")
        _sub(point, f"{g}time", iso_utc(p["time_s"]))
    return _xml(root)


def to_csv(record: SortieRecord) -> str:
    """CSV with a header row: one line per track sample, UTC time first."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for p in record.track:
        row = {**p, "time_utc": iso_utc(p["time_s"])}
        writer.writerow(["" if row[c] is None else row[c] for c in CSV_COLUMNS])
    return out.getvalue()


EXPORTERS: dict[str, tuple[Callable[[SortieRecord], str], str]] = {
    "geojson": (to_geojson, ".geojson"),
    "kml": (to_kml, ".kml"),
    "gpx": (to_gpx, ".gpx"),
    "csv": (to_csv, ".csv"),
}
"""Format name -> (exporter, file suffix)."""


def export(record: SortieRecord, fmt: str) -> str:
    """The sortie's track in ``fmt`` (one of :data:`EXPORTERS`)."""
    try:
        exporter, _ = EXPORTERS[fmt]
    except KeyError:
        raise ValueError(
            f"unknown export format {fmt!r}; use one of {', '.join(EXPORTERS)}"
        ) from None
    return exporter(record)
