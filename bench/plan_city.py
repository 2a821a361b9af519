"""Plan the generated city-scale network (129 grids, 105 lines, 677 points) end to end.

Prints, then one JSON line with the figures:

* whole-city planning time on one core, every station (goal < 3 s): wall and
  CPU time, best of three runs (the machine may be shared);
* the lowest grid coverage_frac (goal >= 0.99);
* waypoints and legs inside no-fly zones, checked independently of the
  planner on the flown tracks (goal 0);
* a 677-point tour (every point of the city, transit distances around the
  no-fly zones): our length against OR-Tools' guided local search with a
  30 s limit (goal: within 2 %).

Usage: python bench/plan_city.py [--seed N] [--ortools-seconds S]
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import shapely
from shapely.geometry import Point

from dronepatrol.geo import LocalFrame
from dronepatrol.mission import Cmd
from dronepatrol.network import Kind, parse_network
from dronepatrol.network.synthetic import city_network
from dronepatrol.planning import load_profile, plan_sorties, solve_tour, tour_length
from dronepatrol.planning.routing import TransitRouter


def nofly_breaches(result, network) -> tuple[int, int]:
    """(positions inside a no-fly zone, legs crossing one) over every sortie."""
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ortools-seconds", type=int, default=30)
    args = parser.parse_args()

    network, issues = parse_network(city_network(args.seed))
    assert not [i for i in issues if i.severity == "error"], issues
    profile = load_profile()
    counts = {k.value: sum(t.kind is k for t in network.targets) for k in Kind}
    print(
        f"city: {counts['grid']} grids, {counts['line']} lines, {counts['point']} points, "
        f"{len(network.nofly)} no-fly zones, {len(network.stations)} stations"
    )
    walls, cpus = [], []
    for _ in range(3):
        wall0, cpu0 = time.perf_counter(), time.process_time()
        result = plan_sorties(network, profile)
        walls.append(time.perf_counter() - wall0)
        cpus.append(time.process_time() - cpu0)
    summary = result.summary()
    totals = summary["totals"]
    print(
        f"planned every station: {totals['sorties']} sorties, {totals['items']} items, "
        f"{totals['length_m'] / 1000:.0f} km; targets {totals['targets_planned']} planned, "
        f"{totals['targets_partial']} partial, {totals['targets_skipped']} skipped"
    )
    print(f"whole-city planning: {min(walls):.2f} s wall, {min(cpus):.2f} s CPU (best of 3)")
    print(f"lowest grid coverage_frac: {totals['min_grid_coverage_frac']}")
    inside, crossing = nofly_breaches(result, network)
    print(f"positions in no-fly zones: {inside}; legs or orbits crossing them: {crossing}")

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
    ours_order = solve_tour(dist)
    ours_s = time.perf_counter() - t0
    ours = tour_length(dist, ours_order)
    print(f"{len(points)}-point tour: ours {ours / 1000:.2f} km in {ours_s:.2f} s")
    theirs = ortools_tour_length(dist, args.ortools_seconds)
    ratio = ours / theirs if theirs else None
    if theirs:
        print(
            f"OR-Tools guided local search ({args.ortools_seconds} s): {theirs / 1000:.2f} km; "
            f"ours / OR-Tools = {ratio:.4f}"
        )
    else:
        print("OR-Tools not installed: pip install -e '.[dev]' for the comparison")
    print(
        json.dumps(
            {
                "city_plan_wall_s": round(min(walls), 3),
                "city_plan_cpu_s": round(min(cpus), 3),
                "sorties": totals["sorties"],
                "mission_items": totals["items"],
                "targets_skipped": totals["targets_skipped"],
                "min_grid_coverage_frac": totals["min_grid_coverage_frac"],
                "nofly_positions": inside,
                "nofly_legs": crossing,
                "tour_points": len(points),
                "tour_ours_m": round(ours, 1),
                "tour_ours_s": round(ours_s, 3),
                "tour_ortools_m": round(theirs, 1) if theirs else None,
                "tour_ratio_vs_ortools": round(ratio, 4) if ratio else None,
            }
        )
    )


if __name__ == "__main__":
    main()
