"""Plan the generated real-shaped city (129 concave grids, 105 lines, 677 points,
16 stations, 12 no-fly zones over 420 km2) end to end, station by station and whole.

Prints, then one JSON line with the figures:

* each station planned alone in a fresh process: wall time and the process's
  peak resident memory (goal: each <= 2 s);
* the whole city in one process on one core: wall and CPU time, peak resident
  memory (goals: <= 10 s, stretch 3 s; <= 1 GiB);
* each station's flight length against the previous planner's (every chunk one
  node of a single dense tour, the reference the tests hold the planner to), where
  that can plan within ``--flat-mem-limit-gib`` (goal: within 3 %);
* the lowest grid coverage_frac (goal >= 0.99), and every target not planned
  whole, with the reason;
* waypoints, legs and orbits inside no-fly zones, checked independently of the
  planner on the flown tracks (goal 0);
* a 677-point tour (every point of the city, transit distances around the
  no-fly zones): our length against OR-Tools' guided local search with a
  30 s limit (goal: within 2 %).

A station that fails (for instance on a memory limit, ``--mem-limit-gib``,
which caps each child process's address space so that a runaway plan fails
instead of starving the machine) is reported with its error.

Usage: python bench/plan_city.py [--seed N] [--ortools-seconds S] [--skip-stations]
       [--skip-flat]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import shapely
from shapely.geometry import Point

from dronepatrol.geo import LocalFrame
from dronepatrol.mission import Cmd
from dronepatrol.network import Kind, parse_network
from dronepatrol.network.city import real_city_network
from dronepatrol.planning import load_profile, plan_sorties, solve_tour, tour_length
from dronepatrol.planning.routing import TransitRouter

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "planning"))
from planning_helpers import flat_plan_length_m  # the reference the tests hold us to

GIB = 1024**3

FLAT_LENGTH_GOAL = 1.03
"""Flight length of a station's plan against the previous planner's, where that can plan."""


def peak_rss_mib() -> float:
    """This process's peak resident memory [MiB] (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def nofly_breaches(result, network) -> tuple[int, int]:
    """(positions inside a no-fly zone, legs or orbits crossing one) over every sortie."""
    frame = LocalFrame(*network.centre())
    zones = [frame.geometry_to_xy(z.geometry) for z in network.nofly]
    for zone in zones:
        shapely.prepare(zone)
    inside = crossing = 0
    for sortie in result.sorties:
        lat = np.array([p[0] for p in sortie.track])
        lon = np.array([p[1] for p in sortie.track])
        x, y = frame.to_xy(lon, lat)
        xy = np.column_stack([x, y])
        points = shapely.points(xy)
        legs = shapely.linestrings(np.stack([xy[:-1], xy[1:]], axis=1))
        circles = [
            Point(frame.to_xy(it.lon_deg, it.lat_deg)).buffer(it.param3)
            for it in sortie.mission.items
            if it.command == Cmd.NAV_LOITER_TURNS
        ]
        for zone in zones:
            inside += int(shapely.intersects(zone, points).sum())
            crossing += int(shapely.intersects(zone, legs).sum())
            crossing += sum(bool(zone.intersects(c)) for c in circles)
    return inside, crossing


def _plan_child(network, station_ids, mem_limit_gib, out) -> None:
    """Plan in a child process and send back figures (or the error)."""
    if mem_limit_gib:
        limit = int(mem_limit_gib * GIB)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        wall0, cpu0 = time.perf_counter(), time.process_time()
        result = plan_sorties(network, load_profile(), station_ids=station_ids)
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        totals = result.summary()["totals"]
        inside, crossing = nofly_breaches(result, network)
        out.send(
            {
                "wall_s": wall,
                "cpu_s": cpu,
                "peak_rss_mib": peak_rss_mib(),
                "totals": totals,
                "nofly_positions": inside,
                "nofly_legs": crossing,
                "not_whole": {
                    t.id: f"{t.status}: {t.reason}"
                    for t in result.targets.values()
                    if t.status != "planned"
                },
            }
        )
    except BaseException as exc:
        out.send({"error": f"{type(exc).__name__}: {exc}"[:300], "peak_rss_mib": peak_rss_mib()})


def _flat_child(network, station_id, mem_limit_gib, out) -> None:
    """The previous planner (every chunk of the station one node of one dense tour) on one
    station, in a child process: its flight length, or the error it runs into."""
    if mem_limit_gib:
        limit = int(mem_limit_gib * GIB)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        wall0 = time.perf_counter()
        length = flat_plan_length_m(network, load_profile(), [station_id])
        out.send({"length_m": length, "wall_s": time.perf_counter() - wall0})
    except BaseException as exc:
        out.send({"error": f"{type(exc).__name__}: {exc}"[:200], "peak_rss_mib": peak_rss_mib()})


def plan_in_child(network, station_ids, mem_limit_gib: float, target=None) -> dict:
    """Plan in a fresh forked process, so that its peak memory is its own."""
    ctx = multiprocessing.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(
        target=target or _plan_child, args=(network, station_ids, mem_limit_gib, send)
    )
    proc.start()
    send.close()
    try:
        figures = recv.recv()
    except EOFError:
        figures = {"error": "the planning process died (killed?)"}
    proc.join()
    return figures


def ortools_tour_length(dist: np.ndarray, seconds: int) -> float | None:
    try:
        from ortools.constraint_solver import pywrapcp, routing_enums_pb2
    except ImportError:
        return None
    scaled = np.rint(dist * 100).astype(np.int64).tolist()  # centimetres
    manager = pywrapcp.RoutingIndexManager(len(scaled), 1, 0)
    routing = pywrapcp.RoutingModel(manager)
    transit = routing.RegisterTransitMatrix(scaled)
    routing.SetArcCostEvaluatorOfAllVehicles(transit)
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.seconds = seconds
    solution = routing.SolveWithParameters(params)
    if solution is None:
        return None
    index, order = routing.Start(0), []
    while not routing.IsEnd(index):
        order.append(manager.IndexToNode(index))
        index = solution.Value(routing.NextVar(index))
    return tour_length(dist, order)


def point_tour(network, profile, seconds: int) -> dict:
    """Our tour of every point against OR-Tools', on transit distances around the zones."""
    frame = LocalFrame(*network.centre())
    points = [t for t in network.targets if t.kind is Kind.POINT]
    lon = np.array([t.geometry.x for t in points])
    lat = np.array([t.geometry.y for t in points])
    x, y = frame.to_xy(lon, lat)
    router = TransitRouter(
        [frame.geometry_to_xy(z.geometry) for z in network.nofly], profile.nofly_margin_m
    )
    # points inside a no-fly margin cannot be reached; the tour measures straight there
    dist = router.distances(np.column_stack([x, y]))
    straight = np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :])
    dist = np.where(np.isfinite(dist), dist, straight)
    t0 = time.perf_counter()
    ours = tour_length(dist, solve_tour(dist))
    ours_s = time.perf_counter() - t0
    print(f"{len(points)}-point tour: ours {ours / 1000:.2f} km in {ours_s:.2f} s")
    theirs = ortools_tour_length(dist, seconds) if seconds > 0 else None
    ratio = ours / theirs if theirs else None
    if theirs:
        print(
            f"OR-Tools guided local search ({seconds} s): {theirs / 1000:.2f} km; "
            f"ours / OR-Tools = {ratio:.4f}"
        )
    else:
        print("OR-Tools comparison skipped (not installed, or --ortools-seconds 0)")
    return {
        "tour_points": len(points),
        "tour_ours_m": round(ours, 1),
        "tour_ours_s": round(ours_s, 3),
        "tour_ortools_m": round(theirs, 1) if theirs else None,
        "tour_ratio_vs_ortools": round(ratio, 4) if ratio else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ortools-seconds", type=int, default=30)
    parser.add_argument("--mem-limit-gib", type=float, default=8.0)
    parser.add_argument("--skip-stations", action="store_true", help="whole city only")
    parser.add_argument(
        "--skip-flat",
        action="store_true",
        help="do not plan each station with the previous planner to compare flight length",
    )
    parser.add_argument(
        "--flat-mem-limit-gib",
        type=float,
        default=3.0,
        help="address space of each previous-planner run (it grows with the square of chunks)",
    )
    args = parser.parse_args()

    network, issues = parse_network(real_city_network(args.seed))
    assert not [i for i in issues if i.severity == "error"], issues
    profile = load_profile()
    counts = {k.value: sum(t.kind is k for t in network.targets) for k in Kind}
    print(
        f"city: {counts['grid']} grids, {counts['line']} lines, {counts['point']} points, "
        f"{len(network.nofly)} no-fly zones, {len(network.stations)} stations"
    )
    stations: dict[str, dict] = {}
    if not args.skip_stations:
        for station in network.stations:
            f = plan_in_child(network, [station.id], args.mem_limit_gib)
            stations[station.id] = f
            if "error" in f:
                print(f"  {station.id}: FAILED after {f['peak_rss_mib']:.0f} MiB: {f['error']}")
                continue
            t = f["totals"]
            print(
                f"  {station.id}: {f['wall_s']:.2f} s wall, {f['cpu_s']:.2f} s CPU, "
                f"{f['peak_rss_mib']:.0f} MiB peak; "
                f"{t['sorties']} sorties, {t['length_m'] / 1000:.0f} km, "
                f"min coverage {t['min_grid_coverage_frac']}"
            )
            if args.skip_flat:
                continue
            flat = plan_in_child(network, station.id, args.flat_mem_limit_gib, _flat_child)
            f["flat"] = flat
            if "error" in flat:
                print(f"      previous planner cannot plan it: {flat['error'][:120]}")
            else:
                f["length_vs_flat"] = t["length_m"] / flat["length_m"]
                print(
                    f"      previous planner: {flat['length_m'] / 1000:.0f} km in "
                    f"{flat['wall_s']:.1f} s; ours / previous = {f['length_vs_flat']:.4f}"
                )
    city = plan_in_child(network, None, args.mem_limit_gib)
    if "error" in city:
        print(f"whole city: FAILED at {city['peak_rss_mib']:.0f} MiB: {city['error']}")
        totals: dict = {}
    else:
        totals = city["totals"]
        print(
            f"whole city: {city['wall_s']:.2f} s wall, {city['cpu_s']:.2f} s CPU, "
            f"{city['peak_rss_mib']:.0f} MiB peak; {totals['sorties']} sorties, "
            f"{totals['items']} items, {totals['length_m'] / 1000:.0f} km; targets "
            f"{totals['targets_planned']} planned, {totals['targets_partial']} partial, "
            f"{totals['targets_skipped']} skipped"
        )
        print(f"lowest grid coverage_frac: {totals['min_grid_coverage_frac']}")
        print(
            f"positions in no-fly zones: {city['nofly_positions']}; "
            f"legs or orbits crossing them: {city['nofly_legs']}"
        )
        for target_id, why in sorted(city["not_whole"].items()):
            print(f"  not planned whole: {target_id}: {why}")
    ok = [f for f in stations.values() if "error" not in f]
    compared = {s: f for s, f in stations.items() if "length_vs_flat" in f}
    if compared:
        worst = max(compared, key=lambda s: compared[s]["length_vs_flat"])
        ours = sum(f["totals"]["length_m"] for f in compared.values())
        theirs = sum(f["flat"]["length_m"] for f in compared.values())
        print(
            f"flight length against the previous planner on the {len(compared)} stations it "
            f"can plan: {ours / theirs:.4f} together, worst {worst} "
            f"{compared[worst]['length_vs_flat']:.4f} (goal <= {FLAT_LENGTH_GOAL})"
        )
    figures = {
        "city_plan_wall_s": round(city["wall_s"], 3) if totals else None,
        "city_plan_cpu_s": round(city["cpu_s"], 3) if totals else None,
        "city_peak_rss_mib": round(city["peak_rss_mib"], 1),
        "city_error": city.get("error"),
        "station_max_wall_s": round(max(f["wall_s"] for f in ok), 3) if ok else None,
        "station_max_cpu_s": round(max(f["cpu_s"] for f in ok), 3) if ok else None,
        "station_max_peak_rss_mib": round(max(f["peak_rss_mib"] for f in ok), 1) if ok else None,
        "stations_failed": sorted(s for s, f in stations.items() if "error" in f),
        "sorties": totals.get("sorties"),
        "length_km": round(totals["length_m"] / 1000, 1) if totals else None,
        "targets_skipped": totals.get("targets_skipped"),
        "min_grid_coverage_frac": totals.get("min_grid_coverage_frac"),
        "nofly_positions": city.get("nofly_positions"),
        "nofly_legs": city.get("nofly_legs"),
        "targets_not_whole": city.get("not_whole"),
        "flat_compared_stations": sorted(compared),
        "flat_failed_stations": sorted(
            s for s, f in stations.items() if "error" in f.get("flat", {})
        ),
        "length_vs_flat_total": round(
            sum(f["totals"]["length_m"] for f in compared.values())
            / sum(f["flat"]["length_m"] for f in compared.values()),
            4,
        )
        if compared
        else None,
        "length_vs_flat_worst": round(max(f["length_vs_flat"] for f in compared.values()), 4)
        if compared
        else None,
    }
    figures.update(point_tour(network, profile, args.ortools_seconds))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
