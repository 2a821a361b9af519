"""The city as separate processes: a broker, a centre on PostgreSQL, a station flying a
simulated drone; the centre and the broker killed mid-sortie.

What ``make city-demo`` starts, one station here to spare the CI's two cores.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from support import wait_until

from dronepatrol.accounts import AccountService
from dronepatrol.cli.city import CityDemo
from dronepatrol.database import CityRecord, make_engine

pytestmark = [pytest.mark.postgres, pytest.mark.serial]

PASSWORD = "city-test-password"


def call(base: str, path: str, token: str, body: dict | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(
        base + path,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="GET" if body is None else "POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def sign_in(base: str) -> str:
    request = urllib.request.Request(
        base + "/api/login",
        data=json.dumps({"username": "admin", "password": PASSWORD}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=15) as response:
        return json.load(response)["token"]


def picture(base: str, token: str) -> dict[str, Any]:
    status, body = call(base, "/api/city", token)
    assert status == 200, body
    return body


def whole_picture(base: str, token: str) -> bool:
    """North fresh with its drone, the drone fresh and airborne."""
    city = picture(base, token)
    north = [s for s in city["stations"] if s["station"] == "north" and not s["stale"]]
    flying = [v for v in city["vehicles"] if not v["stale"] and v["telemetry"].get("armed")]
    return bool(north and flying)


def test_a_city_survives_its_centre_and_its_broker_dying_mid_sortie(
    tmp_path: Path, centre_url: str
) -> None:
    demo = CityDemo(
        tmp_path,
        ["north"],
        centre_database_url=centre_url,
        admin_password=PASSWORD,
        tls=True,
        speedup=3.0,
    )
    with demo:
        centre, station = demo.centre, demo.stations["north"]
        centre_token, station_token = sign_in(centre.url), sign_in(station.url)
        (vehicle,) = wait_until(
            lambda: [v["vehicle"] for v in picture(centre.url, centre_token)["vehicles"]],
            30,
            "the station's drone at the centre",
        )

        def take_off() -> bool:
            status, body = call(
                station.url,
                f"/api/vehicles/{vehicle}/commands",
                station_token,
                {"command": "takeoff", "alt_m": 25.0, "confirm": True},
            )
            assert status in (202, 409), body
            return status == 202

        wait_until(take_off, 120, "the station's drone ready and taking off", every_s=1.0)
        wait_until(lambda: whole_picture(centre.url, centre_token), 90, "the drone airborne")

        # the centre dies (SIGKILL) mid-sortie and comes back: the whole picture in 10 s
        centre.kill()
        time.sleep(3.0)  # the station records on, into its outbox
        centre.start()
        centre.wait_healthy()
        # from the restarted app answering (starting the process itself is the machine's
        # business: seconds on a quiet machine, more on a loaded CI runner)
        restarted = time.monotonic()
        centre_token = sign_in(centre.url)
        wait_until(lambda: whole_picture(centre.url, centre_token), 15, "the picture again")
        assert time.monotonic() - restarted <= 10.0

        # the broker dies mid-sortie and comes back: the station and the centre reconnect
        demo.broker.kill()
        time.sleep(3.0)
        demo.broker.start()
        wait_until(lambda: whole_picture(centre.url, centre_token), 20, "the picture again")

        # a command from the centre, in the commander's name, flown by the station
        status, body = call(
            centre.url,
            f"/api/city/stations/north/vehicles/{vehicle}/commands",
            centre_token,
            {"command": "rtl"},
        )
        assert status == 202, body
        assert body["status"] == "accepted" and body["command_id"]
        wait_until(
            lambda: (
                not any(
                    v["telemetry"].get("armed")
                    for v in picture(centre.url, centre_token)["vehicles"]
                )
            ),
            120,
            "the drone home and disarmed",
        )
        # every record delivered: the disarm at the centre, the station's outbox empty
        centre_db = make_engine(centre_url)

        def disarm_stored() -> bool:
            with centre_db.connect() as connection:
                query = select(func.count()).where(CityRecord.kind == "disarmed")
                return connection.execute(query).scalar_one() == 1

        wait_until(disarm_stored, 30, "the disarm stored at the centre")
        wait_until(
            lambda: picture(centre.url, centre_token)["stations"][0]["outbox"] == 0,
            30,
            "the station's outbox emptied",
        )
    station_db = make_engine(f"sqlite:///{tmp_path / 'north' / 'dronepatrol.db'}")
    audit = [e for e in AccountService(station_db).recent_audit() if e.action == "command rtl"]
    station_db.dispose()
    assert [(e.username, e.ok, e.detail["via"]) for e in audit] == [
        ("centre:admin", True, "centre")
    ]
    with centre_db.connect() as connection:
        kinds = dict(
            connection.execute(
                select(CityRecord.kind, func.count()).group_by(CityRecord.kind)
            ).all()
        )
        results = (
            connection.execute(select(CityRecord.data).where(CityRecord.kind == "command_result"))
            .scalars()
            .all()
        )
    # closed before the fixture drops the database, which would cut its pooled connection
    centre_db.dispose()
    # the sortie as the centre stored it: armed once, disarmed once, the track between
    assert kinds.get("armed") == 1 and kinds.get("disarmed") == 1, kinds
    assert kinds.get("telemetry", 0) > 20, kinds
    assert any(r.get("source") == "centre:admin" for r in results), results
    for node in demo.nodes():
        assert "Traceback" not in node.log(), node.log()[-3000:]
