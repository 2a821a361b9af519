"""No-fly zones through the API: places inside one are watched from outside, or refused (422).

The example network's substation (NF01) lies about 550 m north-east of the
simulated drone's station.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from shapely.geometry import Point
from support import wait_event

from dronepatrol.events import EventKind
from dronepatrol.network import load_network
from dronepatrol.planning.airspace import Airspace

EXAMPLE = Path(__file__).resolve().parents[2] / "missions" / "canberra-sitl.geojson"


def _substation(room):
    room.network = load_network(EXAMPLE)
    zone = next(z for z in room.network.nofly if z.name == "Substation")
    centre = zone.geometry.centroid
    return zone, (centre.y, centre.x)


def _incident(client, headers, lat: float, lon: float) -> dict:
    made = client.post(
        "/api/incidents", json={"lat": lat, "lon": lon, "note": "smoke"}, headers=headers
    )
    assert made.status_code == 201, made.get_json()
    return made.get_json()


def test_incident_in_a_no_fly_zone_is_watched_from_outside(
    app: Flask, drone: str, token_for
) -> None:
    room = app.extensions["dronepatrol"]
    client = app.test_client()
    commander = token_for("commander")
    zone, (lat, lon) = _substation(room)

    incident = _incident(client, commander, lat, lon)
    watch = incident["watch"]
    assert watch["from_outside"] is True and watch["zone"] == zone.id
    assert watch["message"] == (
        f"watching from {watch['distance_m']:.0f} m outside the no-fly zone 'Substation'"
    )
    assert 100 < watch["distance_m"] < 200
    assert not zone.geometry.contains(Point(watch["lon"], watch["lat"]))
    assert incident["proposal"]["chosen"] == drone  # its ETA is to the vantage point

    with room.bus.subscribe(accept=lambda e: e.kind is EventKind.DISPATCH) as events:
        sent = client.post(f"/api/incidents/{incident['id']}/dispatch", headers=commander)
        assert sent.status_code == 202, sent.get_json()
        assert sent.get_json()["watch"]["message"] == watch["message"]
        stages = []

        def staged(event) -> bool:
            stages.append(event.data["stage"])
            return event.data["stage"] in ("route", "failed")

        route = wait_event(events, 60, "the dispatch's route or failure", staged).data.get("route")
    assert "route" in stages, stages
    # the route ends at the vantage point and keeps out of the zone
    assert route[-1] == [watch["lat"], watch["lon"]]
    assert Airspace(room.network.nofly).crosses([tuple(p) for p in route]) == []
    room.dispatcher.release(incident["id"], "commander")


def test_place_deep_in_a_no_fly_zone_is_refused_with_the_reason(
    app: Flask, drone: str, token_for
) -> None:
    room = app.extensions["dronepatrol"]
    client = app.test_client()
    commander = token_for("commander")
    _zone, (lat, lon) = _substation(room)
    room.dispatcher.camera_range_m = 100.0  # the substation's middle is further from outside

    incident = _incident(client, commander, lat, lon)
    assert incident["watch"] is None and incident["proposal"] is None
    assert "Substation" in incident["refused"] and "100 m range" in incident["refused"]
    refused = client.post(f"/api/incidents/{incident['id']}/dispatch", headers=commander)
    assert refused.status_code == 422
    body = refused.get_json()
    assert body["error"] == "Unprocessable Entity"
    assert "inside the no-fly zone 'Substation'" in body["message"]
    assert (
        client.get(f"/api/incidents/{incident['id']}", headers=commander).get_json()["status"]
        == "open"
    )
    assert not room.dispatcher.is_busy(drone)
    audit = room.accounts.recent_audit(5)
    assert any(e.action == "incident dispatch" and not e.ok for e in audit)


def test_goto_and_rtl_from_the_map_go_round_the_zone(app: Flask, drone: str, token_for) -> None:
    room = app.extensions["dronepatrol"]
    client = app.test_client()
    operator = token_for("operator")
    _zone, (lat, lon) = _substation(room)
    url = f"/api/vehicles/{drone}/commands"
    goto = {"command": "goto", "lat": lat, "lon": lon, "alt_m": 20}

    on_ground = client.post(url, json=goto, headers=operator)
    assert on_ground.status_code == 409 and "take off" in on_ground.get_json()["message"]

    room.fleet.run(drone, "takeoff", 10.0, timeout_s=120)
    answer = client.post(url, json=goto, headers=operator)
    assert answer.status_code == 202, answer.get_json()
    body = answer.get_json()
    assert body["watch"]["from_outside"] and "Substation" in body["watch"]["message"]
    assert Airspace(room.network.nofly).crosses([tuple(p) for p in body["route"]]) == []

    orbit = {"command": "orbit", "lat": lat, "lon": lon, "alt_m": 20, "radius_m": 50}
    refused = client.post(url, json=orbit, headers=operator)
    assert refused.status_code == 422 and "Substation" in refused.get_json()["message"]

    room.dispatcher.camera_range_m = 50.0
    too_far = client.post(url, json=goto, headers=operator)
    assert too_far.status_code == 422 and "camera" in too_far.get_json()["message"]

    home = client.post(url, json={"command": "rtl"}, headers=operator)
    assert home.status_code == 202 and home.get_json()["route"][-1][0] is not None
