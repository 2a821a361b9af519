"""City cut-off: a station loses the city network for MINUTES while its drone flies.

Runs the city as processes (what ``dronepatrol city-demo`` starts): Mosquitto
with TLS, a centre (``serve``, ``mode = centre``) and one station (``serve
--demo 1``, ``mode = station``) whose link to the broker goes through a relay
that blackholes it (no FIN, no RST: the network just stops). The station's
drone takes off and hovers; then the link is cut for ``--minutes`` and
restored. Measures:

* how long until the centre shows the station stale [s]; goal <= 5 s;
* that the station goes on: its own API keeps answering with fresh telemetry;
* after restoring: time until the station is fresh again and until its
  outbox is empty [s];
* in the centre's database: the drone's track across the cut has no gap
  longer than 2 s, and no record is stored twice (each track sample once).

Last line: one JSON object.
Usage: python bench/city_cutoff.py [--minutes 10] [--database URL]
"""

from __future__ import annotations

import argparse
import itertools
import json
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from dronepatrol.city.netcut import CuttableLink
from dronepatrol.cli.city import CityDemo
from dronepatrol.database import CityRecord, make_engine

PASSWORD = "cutoff-bench"


def call(base: str, path: str, token: str = "", body: dict | None = None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(
        base + path,
        data=None if body is None else json.dumps(body).encode(),
        headers=headers,
        method="GET" if body is None else "POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def sign_in(base: str) -> str:
    status, body = call(base, "/api/login", body={"username": "admin", "password": PASSWORD})
    assert status == 200, body
    return body["token"]


def until(check, timeout_s: float, what: str, every_s: float = 0.1) -> float:
    start = time.monotonic()
    while True:
        try:
            if check():
                return time.monotonic() - start
        except OSError:
            pass
        if time.monotonic() - start > timeout_s:
            raise SystemExit(f"timed out after {timeout_s:g} s waiting for {what}")
        time.sleep(every_s)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--database", default="", help="the centre's database URL")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="city-cutoff-"))
    demo = CityDemo(scratch, ["north"], centre_database_url=args.database, admin_password=PASSWORD)
    relay = CuttableLink(demo.broker.port)
    station = demo.stations["north"]
    station.env["DRONEPATROL_BROKER_URL"] = f"mqtts://127.0.0.1:{relay.port}"
    with demo:
        centre_token, station_token = sign_in(demo.centre.url), sign_in(station.url)

        def north() -> dict[str, Any]:
            _status, body = call(demo.centre.url, "/api/city", centre_token)
            return next(s for s in body["stations"] if s["station"] == "north")

        def station_vehicle() -> dict[str, Any]:
            _status, body = call(station.url, "/api/vehicles", station_token)
            return body["vehicles"][0]

        vehicle = station_vehicle()["id"]

        def take_off() -> bool:
            status, _ = call(
                station.url,
                f"/api/vehicles/{vehicle}/commands",
                station_token,
                {"command": "takeoff", "alt_m": 30.0, "confirm": True},
            )
            return status == 202

        until(take_off, 180, "the drone ready and taking off", every_s=1.0)
        until(
            lambda: (station_vehicle().get("position") or {}).get("alt_rel_m", 0) > 20,
            120,
            "the drone airborne",
        )
        until(lambda: not north()["stale"], 10, "north fresh")
        print(f"{vehicle} airborne; cutting north's link for {args.minutes:g} min")

        relay.cut()
        cut_at = time.time()
        stale_s = until(lambda: north()["stale"], 30, "north shown stale")
        print(f"centre shows north stale after {stale_s:.2f} s (goal <= 5 s)")
        station_alive = 0
        end = time.monotonic() + 60.0 * args.minutes
        while time.monotonic() < end:
            sample = station_vehicle()
            age_s = sample.get("last_heard_s")  # the drone heard by its station [s ago]
            if age_s is not None and age_s < 5.0:
                station_alive += 1
            print(
                f"  cut {time.time() - cut_at:5.0f} s: station answers, drone heard "
                f"{age_s if age_s is None else round(age_s, 2)} s, mode {sample.get('mode')}, "
                f"alt {(sample.get('position') or {}).get('alt_rel_m')}"
            )
            time.sleep(min(30.0, max(0.0, end - time.monotonic())))
        relay.restore()
        restored_at = time.time()
        back_s = until(lambda: not north()["stale"], 60, "north fresh again")
        # the outbox figure of a heartbeat sent after the reconnection (null until then)
        drained_s = until(lambda: north()["outbox"] == 0, 600, "north's outbox empty", 0.5)
        print(f"restored: fresh after {back_s:.2f} s, outbox empty after {drained_s:.2f} s")

    engine = make_engine(args.database or f"sqlite:///{scratch / 'centre' / 'dronepatrol.db'}")
    with engine.connect() as connection:
        track = [
            t
            for (t,) in connection.execute(
                select(CityRecord.time_s)
                .where(CityRecord.kind == "telemetry", CityRecord.vehicle_id == vehicle)
                .where(CityRecord.time_s.between(cut_at, restored_at))
                .order_by(CityRecord.time_s)
            )
        ]
        total, distinct = connection.execute(
            select(func.count(), func.count(func.distinct(CityRecord.time_s))).where(
                CityRecord.kind == "telemetry", CityRecord.vehicle_id == vehicle
            )
        ).one()
    engine.dispose()
    relay.close()
    # the cut's edges count: a track that stops short of the restoration has a gap there
    gaps = [b - a for a, b in itertools.pairwise([cut_at, *track, restored_at])]
    worst_gap = max(gaps) if gaps else float("inf")
    print(
        f"track samples across the cut: {len(track)}, longest gap {worst_gap:.2f} s; "
        f"stored {total}, distinct {distinct}"
    )
    print(
        json.dumps(
            {
                "cut_min": args.minutes,
                "stale_after_s": round(stale_s, 2),
                "station_answered_during_cut": station_alive,
                "fresh_after_restore_s": round(back_s, 2),
                "outbox_drained_s": round(drained_s, 2),
                "track_samples_in_cut": len(track),
                "longest_track_gap_s": round(worst_gap, 2),
                "stored_twice": int(total - distinct),
                "goal_met": stale_s <= 5.0 and worst_gap <= 2.0 and total == distinct,
            }
        )
    )


if __name__ == "__main__":
    main()
