"""A network with targets too large for one battery, and sorties flown as recorded tracks."""

from __future__ import annotations

import itertools
import math

from shapely.geometry import LineString

from dronepatrol.database import Sortie as SortieRow
from dronepatrol.database import TrackSample as TrackRow
from dronepatrol.database import VehicleRecord
from dronepatrol.freshness.patrolled import TrackSample
from dronepatrol.geo import bearing_deg, distance_m, offset
from dronepatrol.network.loading import parse_network

LAT0, LON0 = -35.363261, 149.165230


def large_network():
    """S01 with BIG (key grid, 1.2 km square: 3 sorties of the default profile), LONG
    (attention line, a 6.5 km U: 3 sorties) and P1 (general point), all near S01."""
    side = 1200.0
    corners = [
        offset(LAT0, LON0, n, e)
        for n, e in ((100, 100), (100, 100 + side), (100 + side, 100 + side), (100 + side, 100))
    ]
    ring = [[lon, lat] for lat, lon in corners] + [[corners[0][1], corners[0][0]]]
    u = [offset(LAT0, LON0, n, e) for n, e in ((-200, 0), (-200, 6500), (-500, 6500), (-500, 0))]
    point = offset(LAT0, LON0, 150.0, 0.0)

    def feature(kind: str, fid: str, geometry: dict, **props) -> dict:
        return {
            "type": "Feature",
            "properties": {"kind": kind, "id": fid, **props},
            "geometry": geometry,
        }

    network, issues = parse_network(
        {
            "type": "FeatureCollection",
            "features": [
                feature("station", "S01", {"type": "Point", "coordinates": [LON0, LAT0]}),
                feature("grid", "BIG", {"type": "Polygon", "coordinates": [ring]}, priority="key"),
                feature(
                    "line",
                    "LONG",
                    {"type": "LineString", "coordinates": [[lon, lat] for lat, lon in u]},
                    priority="attention",
                ),
                feature(
                    "point",
                    "P1",
                    {"type": "Point", "coordinates": [point[1], point[0]]},
                    priority="general",
                ),
            ],
        }
    )
    assert network is not None, issues
    return network


def flown_samples(track, start_s: float, speed_mps: float = 10.0, step_m: float = 20.0):
    """A planned track flown as planned at ``speed_mps``, a sample every ``step_m`` [m]."""
    samples: list[TrackSample] = []
    t = start_s
    for (lat1, lon1, alt1), (lat2, lon2, alt2) in itertools.pairwise(track):
        length = distance_m(lat1, lon1, lat2, lon2)
        heading = bearing_deg(lat1, lon1, lat2, lon2) if length > 0 else 0.0
        steps = max(1, math.ceil(length / step_m))
        leg = LineString([(lon1, lat1), (lon2, lat2)])
        for k in range(steps):
            f = k / steps
            p = leg.interpolate(f, normalized=True)
            samples.append(TrackSample(t, p.y, p.x, alt1 + (alt2 - alt1) * f, heading))
            t += length / steps / speed_mps
    lat, lon, alt = track[-1]
    samples.append(TrackSample(t, lat, lon, alt, samples[-1].heading_deg if samples else 0.0))
    return samples


def record_sortie(session, vehicle_id: str, samples) -> int:
    """Store a closed sortie with its track, as the recorder would; returns its id."""
    if session.get(VehicleRecord, vehicle_id) is None:
        session.add(
            VehicleRecord(
                id=vehicle_id, first_seen_s=samples[0].time_s, last_seen_s=samples[-1].time_s
            )
        )
        session.flush()  # the sortie refers to it
    row = SortieRow(vehicle_id=vehicle_id, started_s=samples[0].time_s, ended_s=samples[-1].time_s)
    session.add(row)
    session.flush()
    session.add_all(
        TrackRow(
            sortie_id=row.id,
            time_s=s.time_s,
            lat_deg=s.lat_deg,
            lon_deg=s.lon_deg,
            alt_rel_m=s.alt_rel_m,
            heading_deg=s.heading_deg,
        )
        for s in samples
    )
    session.commit()
    return row.id
