"""One schema for the API: strict requests, one vehicle shape, a document made from the models."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields

import pytest
from flask import Flask
from pydantic import ValidationError

from dronepatrol.events import Event, EventKind
from dronepatrol.records.archive import SortieSummary
from dronepatrol.state import (
    Battery,
    LandedState,
    LinkState,
    MissionProgress,
    Position,
    VehicleSnapshot,
)
from dronepatrol.web.openapi import document
from dronepatrol.web.schema.base import reply_of
from dronepatrol.web.schema.sorties import Sortie
from dronepatrol.web.stream import encode

BODIES = [
    # (role, method, path, body, the field the message must name)
    ("operator", "POST", "/api/vehicles/1/commands", {"command": "takeoff", "alt": 100}, "alt"),
    ("operator", "POST", "/api/vehicles/1/commands", {"command": "rtl", "now": True}, "now"),
    ("operator", "POST", "/api/vehicles/1/mission", {"plan": "P1", "sortie": 3}, "sortie"),
    ("operator", "POST", "/api/plans", {"station": ["S01"]}, "station"),
    ("operator", "POST", "/api/plans", {"stations": "S01"}, "stations"),
    ("commander", "POST", "/api/incidents", {"lat": True, "lon": 149.0}, "lat"),
    ("commander", "POST", "/api/incidents", {"lat": "-35", "lon": 149.0}, "lat"),
    ("commander", "POST", "/api/incidents", {"lat": -35, "lon": 149, "colour": "red"}, "colour"),
    ("commander", "POST", "/api/incidents/1/dispatch", {"vehicle": 1}, "vehicle"),
    ("commander", "POST", "/api/lockdown", {"plan": "gates", "force": True}, "force"),
    (
        "commander",
        "POST",
        "/api/lockdown",
        {"name": "g", "points": [{"id": "A", "lat": 1, "lon": 1, "alt": 3}]},
        "points.0.alt",
    ),
    ("operator", "PUT", "/api/schedule/mode", {"mode": "auto", "why": "x"}, "why"),
    ("viewer", "POST", "/api/login", {"username": "viewer", "password": 1}, "password"),
]


@pytest.mark.parametrize(("role", "method", "path", "body", "field"), BODIES)
def test_unknown_fields_and_wrong_types_are_400_naming_the_field(
    app: Flask, token_for, role: str, method: str, path: str, body: dict, field: str
) -> None:
    response = app.test_client().open(path, method=method, json=body, headers=token_for(role))
    assert response.status_code == 400, response.get_json()
    answer = response.get_json()
    assert set(answer) == {"error", "message"}
    assert answer["error"] == "Bad Request"
    assert f"'{field}'" in answer["message"]


def test_a_boolean_latitude_is_refused_not_stored_as_one(app: Flask, token_for) -> None:
    client = app.test_client()
    commander = token_for("commander")
    refused = client.post("/api/incidents", json={"lat": True, "lon": 1.0}, headers=commander)
    assert refused.status_code == 400
    assert "'lat'" in refused.get_json()["message"]
    assert client.get("/api/incidents", headers=commander).get_json()["incidents"] == []
    made = client.post("/api/incidents", json={"lat": 1, "lon": 2.5}, headers=commander)
    assert made.status_code == 201
    assert (made.get_json()["lat_deg"], made.get_json()["lon_deg"]) == (1.0, 2.5)


def test_a_mistyped_argument_is_refused_not_replaced_by_the_default(
    app: Flask, drone: str, token_for
) -> None:
    """``alt`` for ``alt_m`` once climbed to the 30 m default; now nothing flies."""
    client = app.test_client()
    response = client.post(
        f"/api/vehicles/{drone}/commands",
        json={"command": "takeoff", "alt": 100, "confirm": True},
        headers=token_for("operator"),
    )
    assert response.status_code == 400
    message = response.get_json()["message"]
    assert "'alt'" in message and "alt_m" in message  # names the mistake and the right field
    room = app.extensions["dronepatrol"]
    assert not any(e.action == "command takeoff" for e in room.accounts.recent_audit(20))
    assert not room.snapshots()[0].armed


@pytest.mark.parametrize(
    ("path", "role"),
    [
        ("/api/vehicles/1/commands", "operator"),
        ("/api/incidents", "commander"),
        ("/api/lockdown", "commander"),
        ("/api/plans", "operator"),
        ("/api/login", "viewer"),
    ],
)
def test_malformed_json_is_400_in_the_error_shape(
    app: Flask, token_for, path: str, role: str
) -> None:
    client = app.test_client()
    headers = {**token_for(role), "Content-Type": "application/json"}
    broken = client.post(path, data='{"command": "rtl",', headers=headers)
    assert broken.status_code == 400
    assert "not valid JSON" in broken.get_json()["message"]
    listed = client.post(path, data="[1, 2]", headers=headers)
    assert listed.status_code == 400
    assert "JSON object" in listed.get_json()["message"]
    text = client.post(path, data="command=rtl", headers={**token_for(role)})
    assert text.status_code == 400
    assert "application/json" in text.get_json()["message"]


def test_query_strings_are_checked_too(app: Flask, token_for) -> None:
    client = app.test_client()
    viewer = token_for("viewer")
    assert client.get("/api/sorties?limit=20", headers=viewer).status_code == 200
    for query, field in (("limit=many", "limit"), ("limit=0", "limit"), ("vehicel=1", "vehicel")):
        response = client.get(f"/api/sorties?{query}", headers=viewer)
        assert response.status_code == 400, query
        assert f"'{field}'" in response.get_json()["message"]


def test_the_role_is_checked_before_the_body(app: Flask, token_for) -> None:
    """A viewer hears 403, not what is wrong with a body they may not send."""
    response = app.test_client().post(
        "/api/vehicles/1/commands", json={"bogus": 1}, headers=token_for("viewer")
    )
    assert response.status_code == 403


def _snapshot() -> VehicleSnapshot:
    return VehicleSnapshot(
        vehicle_id="7",
        name="Kestrel",
        link=LinkState.UP,
        last_heard_s=0.2,
        armed=True,
        mode="AUTO",
        position=Position(-35.36, 149.16, 614.0, 30.0),
        groundspeed_mps=float("nan"),  # a sensor with no value yet
        battery=Battery(15.8, 12.0, 71.0, 1200.0),
        statustexts=("PreArm: ok", "Mission: 3 WP"),
        time_s=1_800_000_000.0,
    )


def test_the_stream_and_the_api_send_a_vehicle_in_one_shape(app: Flask, token_for) -> None:
    snapshot = _snapshot()
    app.extensions["dronepatrol"].snapshots = lambda: [snapshot]
    listed = app.test_client().get("/api/vehicles", headers=token_for("viewer")).get_json()
    (from_api,) = listed["vehicles"]
    message = encode(Event(EventKind.TELEMETRY, "7", {}, 1.0, seq=1), lambda _vid: snapshot)
    data_line = next(line for line in message.splitlines() if line.startswith("data: "))
    from_stream = json.loads(data_line.removeprefix("data: "))["data"]["vehicle"]
    assert from_stream == from_api
    assert from_api["position"] == {
        "lat": -35.36,
        "lon": 149.16,
        "alt_amsl_m": 614.0,
        "alt_rel_m": 30.0,
    }
    assert from_api["groundspeed_mps"] is None  # NaN never reaches a browser
    assert from_api["statustext"] == "Mission: 3 WP"
    assert from_api["battery"]["remaining_pct"] == 71.0


def test_the_document_comes_from_the_models(app: Flask) -> None:
    with app.app_context():
        doc = document(app)
    assert doc["openapi"].startswith("3.")
    schemas = doc["components"]["schemas"]
    # request bodies refuse unknown fields in the document as in the app
    for name in ("NewIncident", "Credentials", "MissionUpload", "Takeoff", "PlanRequest"):
        assert schemas[name]["additionalProperties"] is False, name
    takeoff = schemas["Takeoff"]["properties"]["alt_m"]
    assert (takeoff["minimum"], takeoff["maximum"], takeoff["default"]) == (2.0, 120.0, 30.0)
    command = doc["paths"]["/api/vehicles/{vehicle_id}/commands"]["post"]
    assert command["security"] and {"400", "401", "403", "404", "409"} <= set(command["responses"])
    assert command["parameters"][0]["name"] == "vehicle_id"
    assert doc["paths"]["/api/health"]["get"]["security"] == []
    error = schemas["Error"]
    assert set(error["required"]) == {"error", "message"}
    vehicle = schemas["Vehicle"]["properties"]
    browser_reads = {"id", "name", "link", "armed", "mode", "position", "battery", "airborne"}
    assert browser_reads <= set(vehicle) <= set(schemas["Vehicle"]["required"])


def _decoded(msg):
    """``msg`` as the link sees it: encoded to MAVLink 2 bytes by pymavlink, then parsed back."""
    from pymavlink.dialects.v20 import ardupilotmega as mavlink

    class Sink:
        data = b""

        def write(self, b: bytes) -> None:
            Sink.data += bytes(b)

    mavlink.MAVLink(Sink(), srcSystem=1, srcComponent=1).send(msg)
    return mavlink.MAVLink(None).parse_buffer(Sink.data)[0]


def test_telemetry_out_of_physical_range_is_dropped_and_counted(app: Flask, token_for) -> None:
    """Latitude 200 and a NaN speed never reach the map; the vehicle's JSON counts them."""
    from pymavlink.dialects.v20 import ardupilotmega as mavlink

    from dronepatrol.events import EventBus
    from dronepatrol.mavlink.tracker import VehicleTracker

    published: list[VehicleSnapshot] = []
    tracker = VehicleTracker("1", 1, 1, EventBus(), "udpin:127.0.0.1:0", published.append)

    def position(lat_deg: float, lon_deg: float):
        return mavlink.MAVLink_global_position_int_message(
            0, round(lat_deg * 1e7), round(lon_deg * 1e7), 584_000, 10_000, 0, 0, 0, 0
        )

    nan = float("nan")
    for msg in (
        position(-35.36, 149.16),
        position(200.0, 149.16),  # latitude 200: int32 holds it, Earth does not
        position(-35.36, -190.0),
        mavlink.MAVLink_vfr_hud_message(4.0, nan, 90, 50, 600.0, 0.0),  # NaN groundspeed
        mavlink.MAVLink_vfr_hud_message(4.0, 4.0, 90, 50, 600.0, 0.0),
        mavlink.MAVLink_attitude_message(0, nan, 0.0, 0.0, 0.0, 0.0, 0.0),
    ):
        tracker.handle(_decoded(msg), 1.0)
    snapshot = tracker.snapshot(1.0)
    app.extensions["dronepatrol"].snapshots = lambda: [snapshot]
    (vehicle,) = (
        app.test_client().get("/api/vehicles", headers=token_for("viewer")).get_json()["vehicles"]
    )
    assert vehicle["position"]["lat"] == pytest.approx(-35.36)
    assert vehicle["position"]["lon"] == pytest.approx(149.16)
    assert vehicle["groundspeed_mps"] == pytest.approx(4.0)
    assert vehicle["implausible_messages"] == 4


def test_reply_of_states_a_core_record_s_fields_once_and_requires_them() -> None:
    @dataclass(frozen=True)
    class Landing:
        vehicle_id: str
        alt_m: float | None
        count: int = 0

    model = reply_of(Landing, "LandingReply")
    schema = model.model_json_schema()
    assert schema["title"] == "LandingReply"
    assert list(schema["properties"]) == ["vehicle_id", "alt_m", "count"]
    assert schema["required"] == ["vehicle_id", "alt_m", "count"]  # no default carried over
    assert schema["properties"]["count"]["type"] == "integer"
    assert model(vehicle_id="1", alt_m=None, count=2).model_dump() == {
        "vehicle_id": "1",
        "alt_m": None,
        "count": 2,
    }
    with pytest.raises(ValidationError):
        model(vehicle_id="1", alt_m="high", count=2)
    with pytest.raises(TypeError, match="dataclass"):
        reply_of(dict, "NotARecord")

    # the listed sortie: the record's fields first, in its order, then what it computes
    names = list(Sortie.model_fields)
    recorded = [f.name for f in fields(SortieSummary)]
    assert names[: len(recorded)] == recorded
    assert names[len(recorded) :] == ["label", "status", "duration_s", "started", "ended"]


def test_each_vehicle_says_which_commands_its_state_allows_now(app: Flask, token_for) -> None:
    """The fleet card offers "battery swapped" from this answer, not from a rule of its own."""
    parked = VehicleSnapshot(
        "parked", link=LinkState.UP, mode="LOITER", landed_state=LandedState.ON_GROUND
    )
    on_pad_armed = VehicleSnapshot(
        "armed",
        link=LinkState.UP,
        mode="GUIDED",
        armed=True,
        landed_state=LandedState.ON_GROUND,
        mission=MissionProgress(total=5),
    )
    patrolling = VehicleSnapshot(
        "patrolling",
        link=LinkState.UP,
        mode="AUTO",
        armed=True,
        landed_state=LandedState.IN_AIR,
        mission=MissionProgress(current_seq=2, total=5),
    )
    lost = VehicleSnapshot("lost", link=LinkState.LOST, landed_state=LandedState.ON_GROUND)
    snapshots = [parked, on_pad_armed, patrolling, lost]
    app.extensions["dronepatrol"].snapshots = lambda: snapshots
    answer = app.test_client().get("/api/vehicles", headers=token_for("viewer")).get_json()
    ready = {v["id"]: v["ready_for"] for v in answer["vehicles"]}
    assert ready["parked"] == ["arm", "takeoff", "battery_swapped"]
    assert ready["armed"] == ["disarm", "start", "rtl", "land"]
    assert ready["patrolling"] == ["start", "pause", "goto", "orbit", "speed", "rtl", "land"]
    assert ready["lost"] == ready["parked"]  # the link is shown, and refused, on its own


def test_each_command_is_judged_by_its_own_row_of_the_can_do_table() -> None:
    """A command's refusal names its own action ("change speed", not "go to"), and
    a rule changed for one action cannot silently change another's command."""
    from dronepatrol.actions import Action
    from dronepatrol.web.schema.vehicles import ACTIONS, COMMANDS

    judged_by = {name: ACTIONS[name] for name in COMMANDS}
    assert judged_by["speed"] is Action.CHANGE_SPEED
    assert len(set(judged_by.values())) == len(judged_by)  # no two commands share a row
