"""Track rows per second the recorder sustains on SQLite (goal: >= 5,000 rows/s).

Two figures, both through the real path (event bus -> recorder thread ->
batched transactions -> SQLite in WAL mode with durable commits):

* backlog: a queue of N telemetry events from many vehicles drained as fast
  as the recorder can write them;
* live: 100 vehicles publishing at 50 Hz for a few seconds of wall time (the
  100-drone fleet the goal stands for); reports the rows/s achieved and the
  longest wait from publishing to commit.

Prints the figures, then one JSON line.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from dronepatrol import geo
from dronepatrol.database import upgrade
from dronepatrol.events import Event, EventBus, EventKind
from dronepatrol.records.recorder import Recorder
from dronepatrol.records.telemetry import telemetry_event
from dronepatrol.state import Battery, LandedState, LinkState, Position, VehicleSnapshot

HOME = (-35.363261, 149.165230)


def snapshot(vehicle: int, t: float, k: int) -> VehicleSnapshot:
    lat, lon = geo.offset(*HOME, vehicle * 10.0, k * 0.2)
    return VehicleSnapshot(
        vehicle_id=str(vehicle),
        link=LinkState.UP,
        armed=True,
        mode="AUTO",
        position=Position(lat, lon, 624.0, 40.0),
        groundspeed_mps=10.0,
        heading_deg=90.0,
        battery=Battery(voltage_v=12.4, remaining_pct=80.0),
        landed_state=LandedState.IN_AIR,
        time_s=t,
    )


def count_rows(engine) -> int:
    with engine.connect() as connection:
        return int(connection.exec_driver_sql("SELECT count(*) FROM track_samples").scalar())


def backlog(db: Path, vehicles: int, rows: int) -> float:
    engine = upgrade(f"sqlite:///{db}")
    bus = EventBus()
    recorder = Recorder(engine, bus)
    t0 = time.time()
    per_vehicle = rows // vehicles
    events = [Event(EventKind.ARMED, str(v), {}, t0) for v in range(vehicles)]
    events += [
        telemetry_event(snapshot(v, t0 + k * 0.02, k))
        for k in range(per_vehicle)
        for v in range(vehicles)
    ]
    recorder.start()
    started = time.perf_counter()
    for event in events:
        bus.publish(event)
    assert recorder.flush(timeout_s=600)
    elapsed = time.perf_counter() - started
    recorder.stop()
    written = count_rows(engine)
    assert written == per_vehicle * vehicles, (written, per_vehicle * vehicles)
    engine.dispose()
    return written / elapsed


def live(db: Path, vehicles: int, rate_hz: float, seconds: float) -> dict[str, float]:
    """Publish ``vehicles`` x ``rate_hz`` snapshots for ``seconds`` on the wall clock."""
    engine = upgrade(f"sqlite:///{db}")
    bus = EventBus()
    recorder = Recorder(engine, bus)
    recorder.start()
    t0 = time.time()
    for v in range(vehicles):
        bus.publish(Event(EventKind.ARMED, str(v), {}, t0))
    period = 1.0 / rate_hz
    ticks = int(seconds * rate_hz)
    # the link builds its snapshots anyway: only publishing is on this clock
    frames = [
        [telemetry_event(snapshot(v, t0 + k * period, k)) for v in range(vehicles)]
        for k in range(ticks)
    ]
    publish_s = 0.0
    started = next_at = time.monotonic()
    for frame in frames:
        before = time.perf_counter()
        for event in frame:
            bus.publish(event)
        publish_s += time.perf_counter() - before
        next_at += period
        time.sleep(max(0.0, next_at - time.monotonic()))
    elapsed = time.monotonic() - started
    before = time.perf_counter()
    assert recorder.flush(timeout_s=600)
    final_commit_s = time.perf_counter() - before
    recorder.stop()
    written = count_rows(engine)
    published = ticks * vehicles
    assert written == published, (written, published)
    engine.dispose()
    return {
        "written_rows_per_s": written / (elapsed + final_commit_s),
        "final_commit_s": final_commit_s,
        "publish_us_per_event": publish_s / published * 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000, help="backlog size")
    parser.add_argument("--vehicles", type=int, default=100)
    parser.add_argument("--rate-hz", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dronepatrol-bench-") as scratch:
        backlog_rps = backlog(Path(scratch) / "backlog.db", args.vehicles, args.rows)
        print(
            f"backlog: {args.rows} track rows from {args.vehicles} vehicles: "
            f"{backlog_rps:,.0f} rows/s"
        )
        figures = live(Path(scratch) / "live.db", args.vehicles, args.rate_hz, args.seconds)
        offered = args.vehicles * args.rate_hz
        print(
            f"live: {args.vehicles} vehicles x {args.rate_hz:g} Hz ({offered:,.0f} rows/s offered) "
            f"for {args.seconds:g} s: {figures['written_rows_per_s']:,.0f} rows/s committed, "
            f"last row committed {figures['final_commit_s']:.2f} s after the last publish, "
            f"publishing {figures['publish_us_per_event']:.1f} us/event"
        )
    result = {
        "record_ingest_backlog_rows_per_s": round(backlog_rps),
        "record_ingest_live_offered_rows_per_s": round(offered),
        "record_ingest_live_rows_per_s": round(figures["written_rows_per_s"]),
        "record_ingest_live_final_commit_s": round(figures["final_commit_s"], 3),
        "record_publish_us_per_event": round(figures["publish_us_per_event"], 2),
        "goal_rows_per_s": 5000,
        "goal_met": backlog_rps >= 5000 and figures["final_commit_s"] <= 0.5,
    }
    print(json.dumps(result))
    sys.exit(0)


if __name__ == "__main__":
    main()
