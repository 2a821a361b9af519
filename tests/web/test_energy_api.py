"""A sortie too long for the drone's charge is refused before upload, with the figures."""

from __future__ import annotations

import json
import re
from pathlib import Path

from flask import Flask
from support import wait_until

from dronepatrol.energy import EnergyWatch
from dronepatrol.events import EventKind
from dronepatrol.network import load_network
from dronepatrol.planning import load_profile

EXAMPLE = Path(__file__).resolve().parents[2] / "missions" / "canberra-sitl.geojson"


def test_a_sortie_the_charge_cannot_fly_is_refused_before_upload(
    app: Flask, drone: str, token_for
) -> None:
    room = app.extensions["dronepatrol"]
    room.network = load_network(EXAMPLE)
    room.network_geojson = json.loads(EXAMPLE.read_text())
    room.energy = EnergyWatch(room.fleet, room.bus, load_profile(), reserve_frac=0.2)
    vehicle = room.fleet.vehicle(drone)
    capacity = vehicle.params.read("BATT_CAPACITY")
    uploads = room.bus.subscribe(
        accept=lambda e: e.kind in (EventKind.MISSION_UPLOAD, EventKind.COMMAND_SENT)
    )
    client = app.test_client()
    operator = token_for("operator")

    vehicle.action.battery_swapped(30.0, source="test")  # the crew put in a pack at 30 %
    wait_until(  # both charge figures of the telemetry show the new pack
        lambda: abs(vehicle.snapshot.battery.consumed_mah - 0.7 * capacity) < 0.02 * capacity,
        60,
        "the 30 % pack in BATTERY_STATUS",
    )
    # the fleet card's figures: cruise minutes left above the reserve (30 % less 20 %: a
    # tenth of what a full pack cruises), on the drone's own pack
    (card,) = client.get("/api/vehicles", headers=operator).get_json()["vehicles"]
    pack = room.energy.pack(drone)
    left_mah = capacity - vehicle.snapshot.battery.consumed_mah - 0.2 * capacity
    assert card["endurance_min"] == round(left_mah / pack.cruise_mah_per_min, 1)
    full_pack_min = capacity / pack.cruise_mah_per_min
    assert abs(card["endurance_min"] - 0.1 * full_pack_min) <= 0.02 * full_pack_min + 0.05
    assert card["charge"] == "ok"  # 30 %: above the low-battery alert's 25 %
    plan = client.post(
        "/api/plans", json={"stations": ["S01"], "vehicle": drone}, headers=operator
    ).get_json()
    sortie = max(room.plans[plan["id"]].sorties, key=lambda s: s.energy_frac)
    uploads.drain()
    refused = client.post(
        f"/api/vehicles/{drone}/mission",
        json={"plan": plan["id"], "sortie": sortie.id},
        headers=operator,
    )
    assert refused.status_code == 409
    message = refused.get_json()["message"]
    found = re.fullmatch(
        r"sortie needs ([\d,]+) mAh with 20 % reserve; 1 has ([\d,]+) mAh", message
    )
    assert found, message
    profile = room.plans[plan["id"]].profile
    pack = room.energy.pack(drone)
    need = sortie.energy_frac * profile.hover_endurance_s / 60 * pack.hover_mah_per_min
    assert int(found[1].replace(",", "")) == round(need + 0.2 * capacity)
    consumed = vehicle.snapshot.battery.consumed_mah
    assert int(found[2].replace(",", "")) == round(capacity - consumed)
    assert abs(consumed - 0.7 * capacity) < 0.02 * capacity
    assert uploads.drain() == []  # nothing went to the drone
    refusals = [e for e in room.accounts.recent_audit(5) if e.action == "upload mission"]
    assert refusals and not refusals[0].ok

    vehicle.action.battery_swapped(100.0, source="test")  # a full pack: the same sortie fits
    queued = client.post(
        f"/api/vehicles/{drone}/mission",
        json={"plan": plan["id"], "sortie": sortie.id},
        headers=operator,
    )
    assert queued.status_code == 202, queued.get_json()
