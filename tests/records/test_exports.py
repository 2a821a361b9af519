"""Track exports open in other tools: each file is checked with a real parser or schema."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import fastkml
import gpxpy
import pytest
import shapely
from lxml import etree
from shapely.geometry import shape

from dronepatrol.records.archive import SortieArchive, iso_utc
from dronepatrol.records.export import CSV_COLUMNS, export

KML_SCHEMA = Path(fastkml.__file__).parent / "schema" / "ogckml22.xsd"


@pytest.fixture
def record(recorded):
    engine, sortie_id, _ = recorded
    return SortieArchive(engine).record(sortie_id)


def test_geojson_is_a_feature_collection_of_the_flown_track(record) -> None:
    data = json.loads(export(record, "geojson"))
    assert data["type"] == "FeatureCollection"
    track, *waypoints = data["features"]
    line = shape(track["geometry"])
    assert isinstance(line, shapely.LineString) and line.is_valid and line.has_z
    assert len(line.coords) == len(record.track)
    lon, lat, alt = line.coords[0]
    assert (lat, lon) == (record.track[0]["lat_deg"], record.track[0]["lon_deg"])
    assert alt == pytest.approx(record.track[0]["alt_amsl_m"])
    assert len(track["properties"]["times"]) == len(record.track)
    assert track["properties"]["outcome"] == "completed"
    assert [w["properties"]["seq"] for w in waypoints] == [1, 2, 3, 4]


def test_kml_is_valid_against_the_ogc_schema(record) -> None:
    text = export(record, "kml")
    schema = etree.XMLSchema(etree.parse(str(KML_SCHEMA)))
    document = etree.fromstring(text.encode())
    assert schema.validate(document), schema.error_log
    ns = {"k": "http://www.opengis.net/kml/2.2"}
    coords = document.findtext(".//k:LineString/k:coordinates", namespaces=ns).split()
    assert len(coords) == len(record.track)
    gx = {"k": "http://www.opengis.net/kml/2.2", "gx": "http://www.google.com/kml/ext/2.2"}
    whens = document.xpath("//gx:Track/k:when/text()", namespaces=gx)
    assert len(whens) == len(record.track) == len(document.xpath("//gx:coord", namespaces=gx))
    assert whens[0] == iso_utc(record.track[0]["time_s"])
    parsed = fastkml.KML.from_string(text.encode())
    assert len(list(parsed.features)) == 1


def test_kml_schema_check_catches_a_broken_file(record) -> None:
    text = export(record, "kml").replace("<altitudeMode>absolute", "<altitudeMode>sideways")
    schema = etree.XMLSchema(etree.parse(str(KML_SCHEMA)))
    assert not schema.validate(etree.fromstring(text.encode()))


def test_gpx_parses_with_every_point_and_time(record) -> None:
    text = export(record, "gpx")
    gpx = gpxpy.parse(text)
    assert gpx.version == "1.1"
    [track] = gpx.tracks
    points = track.segments[0].points
    assert len(points) == len(record.track)
    first = record.track[0]
    assert (points[0].latitude, points[0].longitude) == pytest.approx(
        (first["lat_deg"], first["lon_deg"])
    )
    assert points[0].time.timestamp() == pytest.approx(first["time_s"], abs=1e-3)
    assert gpx.length_2d() == pytest.approx(record.distance_m(), rel=0.01)
    assert [w.name for w in gpx.waypoints] == [f"waypoint {n}" for n in (1, 2, 3, 4)]
    # GPX 1.1 orders children: metadata, wpt*, rte*, trk*
    root = etree.fromstring(text.encode())
    order = [etree.QName(child).localname for child in root]
    assert order == sorted(order, key=["metadata", "wpt", "rte", "trk"].index)


def test_csv_has_a_header_and_one_row_per_sample(record) -> None:
    rows = list(csv.DictReader(io.StringIO(export(record, "csv"))))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == len(record.track)
    assert float(rows[5]["lat_deg"]) == record.track[5]["lat_deg"]
    assert rows[5]["mode"] == "AUTO"
    assert rows[0]["time_utc"].endswith("Z")


def test_unknown_format_is_refused(record) -> None:
    with pytest.raises(ValueError, match="geojson, kml, gpx, csv"):
        export(record, "shp")
