"""A station's tour over its targets, in memory and time that grow linearly with the work.

Targets first, the chunks inside each second:

* A grid or line piece too long for one battery is cut into chunks
  (:func:`~dronepatrol.planning.pieces.split_piece`), each ending where the
  next begins. The whole piece is one *stop* of the tour, entered at its first
  chunk's entry or its last chunk's exit; its chunks are flown in the order
  they were cut (all reversed when it is flown the other way). A 25 km2 grid
  far from its station is then two tour nodes, not thousands.
* Up to :data:`DENSE_STOPS` stops: one tour
  (:func:`~dronepatrol.planning.ordering.solve_tour`) over a dense matrix of
  transit distances around the no-fly zones between the stops' ends.
* More stops: they are cut into spatial clusters of at most DENSE_STOPS
  (recursive median cuts across the longer side), the clusters are toured by
  their centres from the station, and each cluster is toured as a path from
  where the previous one was left towards the next one's centre. Memory stays
  O(DENSE_STOPS^2) at any time, and time linear in the stops.

Stops that no transit path reaches from the station are returned apart.
Deterministic: the same stops always give the same order.
"""

from __future__ import annotations

import math

import numpy as np

from dronepatrol.network.model import Kind
from dronepatrol.planning.ordering import LINK, solve_tour
from dronepatrol.planning.pieces import Piece
from dronepatrol.planning.routing import XY, TransitRouter

DENSE_STOPS = 400
"""Largest number of stops toured over one dense distance matrix (at most 2 nodes each)."""

UNREACHABLE_M = 1e9
"""Stands for "no path" in a distance matrix the tour solver reads [m]."""

Stop = list[Piece]
"""Chunks flown one after the other (one piece for a point or an uncut grid or line)."""


def _ends(stop: Stop) -> tuple[XY, XY]:
    return stop[0].entry, stop[-1].exit


def _two_ended(stop: Stop) -> bool:
    return stop[0].kind is not Kind.POINT


def flown(stop: Stop, backwards: bool) -> list[Piece]:
    """The stop's chunks in flight order."""
    return [c.reversed() for c in reversed(stop)] if backwards else list(stop)


def reachable(station_xy: XY, stops: list[Stop], router: TransitRouter) -> np.ndarray:
    """True for each stop whose entry a transit path reaches from the station (one query each)."""
    entries = np.array([_ends(s)[0] for s in stops], dtype=float).reshape(-1, 2)
    ok = router.clear_from(station_xy, entries)
    for k in np.flatnonzero(~ok).tolist():
        ok[k] = math.isfinite(router.length(station_xy, tuple(entries[k])))
    return ok


def _path_through(
    start: XY,
    end: XY | None,
    stops: list[Stop],
    router: TransitRouter,
    iterations_per_node: float,
    seed: int,
) -> list[tuple[int, bool]]:
    """(stop index, flown backwards) from ``start`` through every stop, towards ``end``.

    Without ``end`` the tour closes back to ``start``; with it, ``end`` is tied to
    ``start`` (a -LINK edge), so the cycle read from ``start`` away from ``end`` is
    the open path from one to the other.
    """
    nodes: list[XY] = [start]
    owner: list[tuple[int, bool]] = [(-1, False)]
    for k, stop in enumerate(stops):
        entry, exit_ = _ends(stop)
        nodes.append(entry)
        owner.append((k, False))
        if _two_ended(stop):
            nodes.append(exit_)
            owner.append((k, True))
    if end is not None:
        nodes.append(end)
        owner.append((-2, False))
    dist = router.distances(np.array(nodes, dtype=float))
    router.remember(nodes, dist.copy())
    dist[~np.isfinite(dist)] = UNREACHABLE_M
    for i in range(1, len(nodes) - 1):
        if owner[i][0] >= 0 and owner[i][0] == owner[i + 1][0]:
            dist[i, i + 1] = dist[i + 1, i] = -LINK
    if end is not None:
        last = len(nodes) - 1
        dist[0, last] = dist[last, 0] = -LINK
    tour = solve_tour(dist, start=0, iterations=int(iterations_per_node * len(nodes)), seed=seed)
    walk = tour[1:]
    if end is not None:
        last = len(nodes) - 1
        walk = walk[:-1] if walk[-1] == last else walk[1:][::-1]
    out: list[tuple[int, bool]] = []
    seen: set[int] = set()
    for node in walk:
        k, is_exit = owner[node]
        if k < 0 or k in seen:
            continue
        seen.add(k)
        out.append((k, is_exit))
    return out


def _clusters(centres: np.ndarray, index: np.ndarray, size: int) -> list[np.ndarray]:
    """Indices cut into groups of at most ``size``: median cuts across the longer side."""
    if len(index) <= size:
        return [index]
    pts = centres[index]
    axis = int(np.argmax(pts.max(axis=0) - pts.min(axis=0)))
    order = index[np.argsort(pts[:, axis], kind="stable")]
    half = len(order) // 2
    return _clusters(centres, order[:half], size) + _clusters(centres, order[half:], size)


def order_stops(
    station_xy: XY,
    stops: list[Stop],
    router: TransitRouter,
    iterations_per_node: float = 0.5,
    seed: int = 0,
    dense_stops: int | None = None,
) -> tuple[list[Piece], list[Piece]]:
    """The stops' chunks in flight order (each flown in its chosen direction), and the
    chunks of stops no transit path reaches from the station.

    ``dense_stops`` (default :data:`DENSE_STOPS`) caps the stops toured at once.
    """
    if not stops:
        return [], []
    dense_stops = dense_stops or DENSE_STOPS
    ok = reachable(station_xy, stops, router)
    lost = [c for s, good in zip(stops, ok, strict=True) if not good for c in s]
    live = [s for s, good in zip(stops, ok, strict=True) if good]
    if len(live) <= dense_stops:
        walk = _path_through(station_xy, None, live, router, iterations_per_node, seed)
        return [c for k, back in walk for c in flown(live[k], back)], lost
    centres = np.array([np.mean(_ends(s), axis=0) for s in live])
    groups = _clusters(centres, np.arange(len(live)), dense_stops)
    middles = np.array([station_xy] + [centres[g].mean(axis=0) for g in groups])
    straight = np.hypot(*(middles[:, None, :] - middles[None, :, :]).transpose(2, 0, 1))
    visit = solve_tour(straight, start=0, seed=seed)[1:]
    ordered: list[Piece] = []
    here = station_xy
    for n, g in enumerate(visit):
        towards = tuple(middles[visit[n + 1]]) if n + 1 < len(visit) else station_xy
        members = [live[k] for k in groups[g - 1].tolist()]
        walk = _path_through(here, towards, members, router, iterations_per_node, seed)
        for k, back in walk:
            ordered.extend(flown(members[k], back))
        here = ordered[-1].exit
    return ordered, lost
