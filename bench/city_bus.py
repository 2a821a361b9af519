"""City bus: telemetry of N vehicles through a real Mosquitto broker to the command centre.

Starts Mosquitto on loopback (accounts and the contract's ACL, TLS unless
``--plain``), S stations as :class:`~dronepatrol.city.StationLink` objects in
a separate process (each with its own SQLite outbox and event bus, its
vehicles publishing TELEMETRY events at 4 Hz, as the link does), and a
:class:`~dronepatrol.city.Centre` here, storing records into ``--database``
(PostgreSQL in a city; a SQLite file by default). Measures:

* end-to-end telemetry latency: the centre's receipt time minus the
  station's publish time, over ``--seconds`` [ms; p50, p95, max];
  goal p95 <= 250 ms;
* centre restart to the full picture: a new centre started until every
  station is fresh and every vehicle is shown [s]; goal <= 10 s;
* records stored (the thinned 1 Hz track), invalid messages.

Last line: one JSON object.
Usage: python bench/city_bus.py [--vehicles 200] [--stations 10] [--seconds 20]
       [--database URL] [--plain]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import tempfile
import time
from pathlib import Path

from dronepatrol.city import BrokerSettings, Centre, StationLink
from dronepatrol.city.local_broker import LocalBroker
from dronepatrol.database import make_engine, upgrade
from dronepatrol.events import EventBus, EventKind

TELEMETRY_HZ = 4.0


def run_stations(
    stations: dict[str, BrokerSettings],
    per_station: int,
    directory: str,
    stop: multiprocessing.synchronize.Event,
) -> None:
    """The stations' side, in its own process: links, outboxes, vehicles at 4 Hz."""
    links, buses = [], []
    for station, broker in stations.items():
        engine = upgrade(make_engine(f"sqlite:///{Path(directory) / f'{station}.db'}"))
        bus = EventBus()
        links.append(StationLink(station, bus, engine, broker).start())
        buses.append((station, bus))
    vehicles = [(bus, f"{station}-{i + 1}") for station, bus in buses for i in range(per_station)]
    period = 1.0 / TELEMETRY_HZ
    step = period / max(1, len(vehicles))
    tick = 0
    start = time.monotonic()
    while not stop.is_set():
        for k, (bus, vehicle) in enumerate(vehicles):  # spread over the period, as links are
            due = start + tick * period + k * step
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            bus.emit(
                EventKind.TELEMETRY,
                vehicle,
                lat_deg=-35.36 + k * 1e-4,
                lon_deg=149.16 + tick * 1e-6,
                alt_rel_m=40.0,
                heading_deg=90.0,
                groundspeed_mps=8.0,
                armed=True,
                mode="AUTO",
                battery_pct=80.0,
            )
        tick += 1
    for link in links:
        link.stop()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def full_picture(centre: Centre, stations: list[str], vehicles: int) -> bool:
    views = centre.stations()
    fresh = {v["station"] for v in views if not v["stale"]}
    return fresh >= set(stations) and len(centre.vehicles()) >= vehicles


def wait(check, timeout_s: float, what: str) -> float:
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout_s:
            raise SystemExit(f"timed out after {timeout_s:g} s waiting for {what}")
        time.sleep(0.05)
    return time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vehicles", type=int, default=200)
    parser.add_argument("--stations", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--database", default="", help="the centre's database URL")
    parser.add_argument("--plain", action="store_true", help="broker without TLS")
    args = parser.parse_args()
    per_station = max(1, args.vehicles // args.stations)
    vehicles = per_station * args.stations
    names = [f"st{i:02d}" for i in range(args.stations)]
    scratch = Path(tempfile.mkdtemp(prefix="city-bench-"))
    broker = LocalBroker(scratch / "broker", names, tls=not args.plain).start()
    database = args.database or f"sqlite:///{scratch / 'centre.db'}"
    engine = upgrade(make_engine(database))
    print(
        f"{vehicles} vehicles at {TELEMETRY_HZ:g} Hz on {args.stations} stations, broker "
        f"{broker.url}, centre database {engine.dialect.name}"
    )
    stop = multiprocessing.get_context("spawn").Event()
    stations = multiprocessing.get_context("spawn").Process(
        target=run_stations,
        args=({n: broker.station_settings(n) for n in names}, per_station, str(scratch), stop),
        daemon=True,
    )
    centre = Centre(engine, broker.centre_settings()).start()
    stations.start()
    try:
        wait(lambda: full_picture(centre, names, vehicles), 60, "every station and vehicle")
        time.sleep(2.0)  # warm-up: connections made, outboxes flowing
        centre.latencies_s.clear()
        stored_before = centre.stored
        time.sleep(args.seconds)
        latencies_ms = [1000.0 * s for s in list(centre.latencies_s)]
        stored = centre.stored - stored_before
        rate = len(latencies_ms) / args.seconds
        p50, p95 = statistics.median(latencies_ms), percentile(latencies_ms, 0.95)
        worst = max(latencies_ms)
        print(
            f"telemetry: {len(latencies_ms)} samples in {args.seconds:g} s "
            f"({rate:.0f}/s, expected {vehicles * TELEMETRY_HZ:.0f}/s)"
        )
        print(
            f"end-to-end latency: p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {worst:.1f} ms "
            "(goal p95 <= 250 ms)"
        )
        print(
            f"records stored: {stored} ({stored / args.seconds:.0f}/s), "
            f"invalid messages: {centre.invalid}"
        )

        centre.stop()
        started = time.monotonic()
        centre = Centre(engine, broker.centre_settings()).start()
        restart_s = wait(lambda: full_picture(centre, names, vehicles), 30, "the full picture")
        restart_s = time.monotonic() - started
        print(f"centre restart to full picture: {restart_s:.2f} s (goal <= 10 s)")
    finally:
        stop.set()
        stations.join(20)
        centre.stop()
        broker.stop()
        engine.dispose()
    print(
        json.dumps(
            {
                "vehicles": vehicles,
                "stations": args.stations,
                "tls": not args.plain,
                "database": engine.dialect.name,
                "telemetry_per_s": round(rate),
                "latency_p50_ms": round(p50, 1),
                "latency_p95_ms": round(p95, 1),
                "latency_max_ms": round(worst, 1),
                "records_per_s": round(stored / args.seconds),
                "invalid": centre.invalid,
                "centre_restart_s": round(restart_s, 2),
                "goal_met": p95 <= 250.0 and restart_s <= 10.0,
            }
        )
    )


if __name__ == "__main__":
    main()
