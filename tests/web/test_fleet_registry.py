"""Vehicles are known, not assumed: the fleet registry names them; strangers are never flown."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from dronepatrol.registry import FleetRegistry, RegistryError
from dronepatrol.sitl.fleet import DEFAULT_HOME

TOML = """
[[vehicle]]
sysid = 1
link = "tcp:127.0.0.1:5760"
name = "kestrel"
station = "S01"

[[vehicle]]
sysid = 2
link = "tcp:127.0.0.1:5760"
name = "harrier"
"""


def test_a_registry_file_in_toml_or_json(tmp_path: Path) -> None:
    toml = tmp_path / "fleet.toml"
    toml.write_text(TOML, encoding="utf-8")
    registry = FleetRegistry.load(toml)
    assert [(v.sysid, v.name, v.station) for v in registry.vehicles] == [
        (1, "kestrel", "S01"),
        (2, "harrier", ""),
    ]
    as_json = tmp_path / "fleet.json"
    as_json.write_text(
        '{"vehicle": [{"sysid": 3, "link": "udpin:0.0.0.0:14550", "name": "owl"}]}',
        encoding="utf-8",
    )
    assert FleetRegistry.load(as_json).knows("owl")


@pytest.mark.parametrize(
    ("entry", "named"),
    [
        ({"sysid": 0, "link": "tcp:h:1", "name": "a"}, "'sysid' must be 1..255"),
        ({"sysid": True, "link": "tcp:h:1", "name": "a"}, "'sysid' must be 1..255"),
        ({"sysid": 1, "link": "nowhere", "name": "a"}, "'link' must be a link URL"),
        ({"sysid": 1, "link": "tcp:h:1", "name": "42"}, "'name' must start with a letter"),
        ({"sysid": 1, "link": "tcp:h:1", "name": "a", "colour": "red"}, "unknown key(s) colour"),
    ],
)
def test_a_bad_entry_is_refused_by_number(entry: dict, named: str) -> None:
    good = {"sysid": 9, "link": "tcp:h:1", "name": "ok"}
    with pytest.raises(RegistryError) as refused:
        FleetRegistry.parse({"vehicle": [good, entry]}, "fleet.toml")
    assert "vehicle 2" in str(refused.value) and named in str(refused.value)


def test_the_same_vehicle_twice_is_refused() -> None:
    twice = [
        {"sysid": 1, "link": "tcp:h:1", "name": "a"},
        {"sysid": 1, "link": "tcp:h:1", "name": "b"},
    ]
    with pytest.raises(RegistryError, match="system id 1 on tcp:h:1 is listed twice"):
        FleetRegistry.parse({"vehicle": twice}, "fleet.toml")


@pytest.fixture
def registered(app: Flask, request) -> Iterator[str]:
    """One simulated copter (system id 1) on a link opened from a registry.

    ``request.param`` is the system id the registry lists on that link: 1 makes
    the copter the registered ``kestrel``; anything else leaves it a stranger.
    Yields the vehicle's id in the app.
    """
    from dronepatrol.mavlink import Fleet, wait_ready
    from dronepatrol.sitl import SimFleet

    room = app.extensions["dronepatrol"]
    sim = SimFleet(1, DEFAULT_HOME, speedup=10, base_port=0, fast_start=True).start()
    fleet = Fleet(room.bus)
    try:
        entry = {"sysid": request.param, "link": sim.urls[0], "name": "kestrel", "station": "S01"}
        room.registry = FleetRegistry.parse({"vehicle": [entry]}, "fleet.toml")
        room.attach_fleet(fleet)
        room.registry.open_links(fleet)
        (vehicle,) = fleet.wait_vehicles(1, timeout_s=30)
        wait_ready(vehicle, 120)
        yield vehicle.vehicle_id
    finally:
        fleet.close()
        sim.stop()


@pytest.mark.parametrize("registered", [1], indirect=True)
def test_a_registered_vehicle_is_known_by_its_name(app: Flask, registered: str, token_for) -> None:
    assert registered == "kestrel"
    client = app.test_client()
    (vehicle,) = client.get("/api/vehicles", headers=token_for("viewer")).get_json()["vehicles"]
    assert (vehicle["id"], vehicle["known"], vehicle["station"]) == ("kestrel", True, "S01")
    # commanded as ever: refused only for what the vehicle itself cannot do now
    rtl = client.post(
        "/api/vehicles/kestrel/commands", json={"command": "rtl"}, headers=token_for("operator")
    )
    assert rtl.status_code == 409 and "not armed" in rtl.get_json()["message"]
    incident = client.post(
        "/api/incidents",
        json={"lat": DEFAULT_HOME.lat_deg, "lon": DEFAULT_HOME.lon_deg},
        headers=token_for("commander"),
    )
    options = incident.get_json()["proposal"]["options"]
    assert [o["vehicle"] for o in options] == ["kestrel"]


@pytest.mark.parametrize("registered", [7], indirect=True)
def test_a_stranger_on_a_registered_link_is_shown_unknown_and_never_commanded(
    app: Flask, registered: str, token_for
) -> None:
    """A heartbeat from a system id nobody registered becomes vehicle "1": seen, not flown."""
    assert registered == "1"
    client = app.test_client()
    operator = token_for("operator")
    (vehicle,) = client.get("/api/vehicles", headers=operator).get_json()["vehicles"]
    assert (vehicle["id"], vehicle["known"], vehicle["station"]) == ("1", False, None)
    for body in (
        {"command": "arm", "confirm": True},
        {"command": "takeoff", "alt_m": 10, "confirm": True},
    ):
        refused = client.post("/api/vehicles/1/commands", json=body, headers=operator)
        assert refused.status_code == 409
        assert "not in the fleet registry" in refused.get_json()["message"]
    # nor loaded with a sortie of its station
    from dronepatrol.network import load_network

    room = app.extensions["dronepatrol"]
    room.network = load_network(
        Path(__file__).resolve().parents[2] / "missions" / "canberra-sitl.geojson"
    )
    plan = client.post("/api/plans", json={"stations": ["S01"]}, headers=operator).get_json()
    sortie = plan["summary"]["sorties"][0]["id"]
    upload = client.post(
        "/api/vehicles/1/mission", json={"plan": plan["id"], "sortie": sortie}, headers=operator
    )
    assert upload.status_code == 409
    assert "not in the fleet registry" in upload.get_json()["message"]
    # nor proposed or sent to an incident
    commander = token_for("commander")
    incident = client.post(
        "/api/incidents",
        json={"lat": DEFAULT_HOME.lat_deg, "lon": DEFAULT_HOME.lon_deg},
        headers=commander,
    )
    assert incident.get_json()["proposal"]["options"] == []
    sent = client.post(
        f"/api/incidents/{incident.get_json()['id']}/dispatch",
        json={"vehicle": "1"},
        headers=commander,
    )
    assert sent.status_code == 409
    refusals = [e for e in room.accounts.recent_audit(20) if e.action == "command arm"]
    assert refusals and not refusals[0].ok
    assert not room.snapshots()[0].armed


def test_serve_refuses_a_bad_registry_naming_it(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from dronepatrol.cli import main

    bad = tmp_path / "fleet.toml"
    bad.write_text('[[vehicle]]\nsysid = 1\nlink = "tcp:127.0.0.1:5760"\nname = "7"\n')
    env = {"DRONEPATROL_DATA_DIR": str(tmp_path / "data")}
    result = CliRunner().invoke(main, ["serve", "--fleet", str(bad)], env=env)
    assert result.exit_code == 2
    assert "--fleet" in result.output and "vehicle 1" in result.output
    assert "'name' must start with a letter" in result.output
