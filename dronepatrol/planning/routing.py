"""Shortest paths that stay out of polygons (transit) or inside one (survey legs).

Both are visibility-graph searches: the shortest path among polygonal
obstacles bends only at obstacle corners, so the graph's nodes are those
corners, set slightly off the boundary, and its edges the straight segments
that stay clear.

* :class:`TransitRouter` keeps out of no-fly zones (grown by a margin): paths
  between targets and to and from the station. All-pairs shortest paths
  between corners are computed once (Floyd-Warshall over the few corners of
  the zones), so each query is a small min-plus product; lengths are cached.
  :meth:`TransitRouter.path` is the function to route one path between two
  points around the no-fly zones (for incident dispatch as well as planning);
  :meth:`TransitRouter.distances` works through its pairs in bounded blocks.
* :class:`AreaRouter` keeps inside a grid's flyable area: the connecting legs
  between survey lanes when a straight leg would cut a corner or a hole.

Coordinates are local metres (x east, y north); see :class:`dronepatrol.geo.LocalFrame`.
"""

from __future__ import annotations

import copy
import heapq
import math

import numpy as np
import shapely
from shapely.geometry import LineString, MultiPolygon, Polygon

XY = tuple[float, float]

PAIR_BLOCK = 65_536
"""Segments checked against the zones at once: bounds the memory of a large distance matrix."""

NODE_OFFSET_M = 1.0
"""How far outside a grown no-fly zone its corner nodes sit [m]."""

DETAILED_ZONE_CORNERS = 256
"""A no-fly zone with more corners than this (a boundary traced point by point) is
simplified by DETAILED_ZONE_TOLERANCE_M before it is grown, and grown that much more:
growing a finely traced, jagged outline takes GEOS seconds (5,000 corners: 8 s)."""

DETAILED_ZONE_TOLERANCE_M = 2.0
"""Douglas-Peucker tolerance of a detailed zone's simplified outline [m]. The outline can
stray a little further than this from the zone (GEOS bounds the distance of each removed
corner, not of every point between), so it is grown by the margin plus twice this: the
grown zone still holds every point within the margin of the zone."""

MAX_CORNER_NODES = 400
"""Most corner nodes the transit graph is built on: its all-pairs step is cubic in them
(400 nodes: about 0.3 s; 1,000: 7 s). Zones with more corners, such as a boundary traced
point by point, are routed around a simplified outline that contains them (see
:func:`corner_nodes`): paths bend a little wider (by at most the simplification),
never closer to a zone."""

MAX_OUTLINE_TOLERANCE_M = 64.0
"""Largest simplification of the zones' outline for the corner nodes [m]."""


def _rings(geometry: shapely.Geometry) -> list[np.ndarray]:
    rings = []
    for poly in shapely.get_parts(geometry):
        if poly.is_empty or not isinstance(poly, Polygon):
            continue
        rings.append(np.asarray(poly.exterior.coords)[:-1])
        rings.extend(np.asarray(r.coords)[:-1] for r in poly.interiors)
    return rings


def path_length(points: list[XY] | np.ndarray) -> float:
    """Length [m] of a polyline."""
    pts = np.asarray(points, dtype=float)
    if len(pts) < 2:
        return 0.0
    return float(np.hypot(*np.diff(pts, axis=0).T).sum())


def grow_zones(zones: list[Polygon], margin_m: float) -> list[Polygon]:
    """Each zone grown by ``margin_m`` (mitred corners): what a path must keep out of.

    A zone with more than DETAILED_ZONE_CORNERS corners is simplified by
    DETAILED_ZONE_TOLERANCE_M first and grown by twice that more, so the result still
    contains the zone grown by ``margin_m``.
    """
    grown = []
    for zone in zones:
        margin = margin_m
        if shapely.get_num_coordinates(zone) > DETAILED_ZONE_CORNERS:
            zone = shapely.simplify(zone, DETAILED_ZONE_TOLERANCE_M, preserve_topology=True)
            margin += 2 * DETAILED_ZONE_TOLERANCE_M
        grown.append(shapely.buffer(zone, margin, join_style="mitre", mitre_limit=2.0))
    return grown


def corner_nodes(blocked: shapely.Geometry, most: int = MAX_CORNER_NODES) -> np.ndarray:
    """The transit graph's nodes: the corners of ``blocked`` set NODE_OFFSET_M outside it,
    less those inside it (in another zone's margin).

    When there are more than ``most``, the corners of a simplified outline are taken
    instead: ``blocked`` grown by NODE_OFFSET_M + t and simplified by t (Douglas-Peucker
    keeps the outline within t of the grown one, so it still holds ``blocked`` with
    NODE_OFFSET_M to spare), t doubling from 1 m until few enough corners remain or t
    reaches MAX_OUTLINE_TOLERANCE_M. Every segment is still checked against the exact
    ``blocked``: only the bends of a path move, by at most t.
    """
    tolerance = 0.0
    while True:
        outline = shapely.buffer(
            blocked, NODE_OFFSET_M + tolerance, join_style="mitre", mitre_limit=2.0
        )
        if tolerance > 0:
            outline = shapely.simplify(outline, tolerance, preserve_topology=True)
        rings = _rings(outline)
        nodes = np.concatenate(rings) if rings else np.zeros((0, 2))
        if len(nodes):
            nodes = nodes[~shapely.intersects(shapely.points(nodes), blocked)]
        if len(nodes) <= most or tolerance >= MAX_OUTLINE_TOLERANCE_M:
            return nodes
        tolerance = max(1.0, 2 * tolerance)


class TransitRouter:
    """Shortest paths between points that never enter the (grown) no-fly zones.

    Args:
        zones: no-fly polygons in local metres.
        margin_m: how far from a zone a path must keep [m].
    """

    def __init__(self, zones: list[Polygon], margin_m: float) -> None:
        self.margin_m = margin_m
        grown = grow_zones(zones, margin_m)
        self.blocked = shapely.union_all(grown) if grown else Polygon()
        self._parts = [p for p in shapely.get_parts(self.blocked) if not p.is_empty]
        self._tree = shapely.STRtree(self._parts)
        shapely.prepare(self.blocked)
        nodes = corner_nodes(self.blocked) if self._parts else np.zeros((0, 2))
        self.nodes = nodes
        self._lengths: dict[tuple[XY, XY], float] = {}
        self._tables: list[tuple[dict[XY, int], np.ndarray]] = []
        self._all_pairs()

    def with_empty_cache(self) -> TransitRouter:
        """A router sharing this one's graph and corner-to-corner paths (read only after
        construction), with caches of its own: one planning run's lengths never leak
        into another's."""
        twin = copy.copy(self)
        twin._lengths = {}
        twin._tables = []
        return twin

    def length(self, a: XY, b: XY) -> float:
        """Length [m] of the shortest clear path from a to b (inf when there is none), cached."""
        for index, dist in self._tables:
            i, j = index.get(a), index.get(b)
            if i is not None and j is not None:
                return float(dist[i, j])
        found = self._lengths.get((a, b))
        if found is not None:
            return found
        route = self.path(a, b)
        found = path_length(route) if route is not None else math.inf
        self._lengths[(a, b)] = found
        return found

    def prime(self, pairs: list[tuple[XY, XY]]) -> None:
        """Cache the straight length of each pair whose segment is clear, checked in one
        vectorised pass: most hops of a sortie split are clear, and checking them one
        :meth:`length` at a time built a segment each."""
        todo = [(a, b) for a, b in pairs if (a, b) not in self._lengths]
        if not todo:
            return
        a = np.array([p for p, _ in todo], dtype=float)
        b = np.array([q for _, q in todo], dtype=float)
        clear = self._clear_pairs(a, b)
        lengths = np.hypot(a[:, 0] - b[:, 0], a[:, 1] - b[:, 1])
        for (p, q), ok, d in zip(todo, clear.tolist(), lengths.tolist(), strict=True):
            if ok:
                self._lengths[(p, q)] = d

    def remember(self, points: list[XY], dist: np.ndarray) -> None:
        """Keep a :meth:`distances` matrix so that :meth:`length` answers from it.

        Only the latest matrix is kept (the station or cluster being planned), so
        memory does not grow with the stations planned; other lengths stay cached.
        """
        self._tables = [({p: k for k, p in enumerate(points)}, dist)]

    def clear_from(self, a: XY, points: np.ndarray) -> np.ndarray:
        """For each of ``points`` (n, 2), True when the straight segment from ``a`` is clear."""
        points = np.asarray(points, dtype=float).reshape(-1, 2)
        return self._clear_pairs(np.broadcast_to(np.asarray(a, dtype=float), points.shape), points)

    def _clear_pairs(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """For arrays of start and end points (n, 2), True where the segment is clear."""
        n = len(a)
        clear = np.ones(n, dtype=bool)
        if n == 0 or not self._parts:
            return clear
        if n == 1:
            clear[0] = not self.blocked.intersects(LineString([a[0], b[0]]))
            return clear
        for start in range(0, n, PAIR_BLOCK):
            stop = min(n, start + PAIR_BLOCK)
            lines = shapely.linestrings(np.stack([a[start:stop], b[start:stop]], axis=1))
            hit, _ = self._tree.query(lines, predicate="intersects")
            clear[start + np.unique(hit)] = False
        return clear

    def _all_pairs(self) -> None:
        n = len(self.nodes)
        self._dist = np.full((n, n), np.inf)
        self._next = np.full((n, n), -1, dtype=np.int64)
        if n == 0:
            return
        i, j = np.triu_indices(n, k=1)
        clear = self._clear_pairs(self.nodes[i], self.nodes[j])
        i, j = i[clear], j[clear]
        d = np.hypot(*(self.nodes[i] - self.nodes[j]).T)
        dist, nxt = self._dist, self._next
        dist[i, j] = dist[j, i] = d
        nxt[i, j] = j
        nxt[j, i] = i
        np.fill_diagonal(dist, 0.0)
        np.fill_diagonal(nxt, np.arange(n))
        for k in range(n):
            via = dist[:, k : k + 1] + dist[k : k + 1, :]
            better = via < dist
            if better.any():
                dist[better] = via[better]
                nxt[better] = np.broadcast_to(nxt[:, k : k + 1], (n, n))[better]

    def is_clear(self, a: XY, b: XY) -> bool:
        """True when the straight segment a-b keeps out of every grown zone."""
        return bool(self._clear_pairs(np.array([a]), np.array([b]))[0])

    def inside_blocked(self, p: XY) -> bool:
        """True when p lies in a no-fly zone or within the margin of one."""
        return bool(shapely.intersects(shapely.points(np.array(p)), self.blocked))

    def _visible(self, points: np.ndarray) -> np.ndarray:
        """(len(points), len(nodes)) distances to the nodes each point sees (inf elsewhere)."""
        m, n = len(points), len(self.nodes)
        out = np.full((m, n), np.inf)
        if m == 0 or n == 0:
            return out
        a = np.repeat(points, n, axis=0)
        b = np.tile(self.nodes, (m, 1))
        clear = self._clear_pairs(a, b).reshape(m, n)
        d = np.hypot(a[:, 0] - b[:, 0], a[:, 1] - b[:, 1]).reshape(m, n)
        out[clear] = d[clear]
        return out

    def path(self, a: XY, b: XY) -> list[XY] | None:
        """The shortest clear path from a to b (a and b included), None if there is none."""
        if self.is_clear(a, b):
            return [tuple(a), tuple(b)]
        va, vb = self._visible(np.array([a, b], dtype=float))
        if not np.isfinite(va).any() or not np.isfinite(vb).any():
            return None
        total = va[:, None] + self._dist + vb[None, :]
        u, v = np.unravel_index(int(np.argmin(total)), total.shape)
        if not np.isfinite(total[u, v]):
            return None
        route = [tuple(a)]
        node = int(u)
        while True:
            route.append(tuple(self.nodes[node]))
            if node == v:
                break
            node = int(self._next[node, v])
        route.append(tuple(b))
        return [(float(x), float(y)) for x, y in route]

    def distances(self, points: np.ndarray) -> np.ndarray:
        """Symmetric matrix [m] of shortest clear path lengths between points (inf: none)."""
        points = np.asarray(points, dtype=float)
        m = len(points)
        dist = np.hypot(
            points[:, 0, None] - points[None, :, 0], points[:, 1, None] - points[None, :, 1]
        )
        if m < 2 or not self._parts:
            return dist
        i, j = np.triu_indices(m, k=1)
        clear = self._clear_pairs(points[i], points[j])
        bi, bj = i[~clear], j[~clear]
        if len(bi) == 0:
            return dist
        vis = self._visible(points)
        # min over u of vis[p, u] + D[u, v]: to reach node v from p via a first visible node
        reach = np.full_like(vis, np.inf)
        step = max(1, 4 * PAIR_BLOCK // max(1, len(self.nodes) ** 2))
        for start in range(0, m, step):
            block = vis[start : start + step]
            reach[start : start + step] = np.min(block[:, :, None] + self._dist[None, :, :], axis=1)
        rows = max(1, PAIR_BLOCK // max(1, len(self.nodes)))
        for start in range(0, len(bi), rows):
            pi, pj = bi[start : start + rows], bj[start : start + rows]
            via = np.min(reach[pi] + vis[pj], axis=1)
            dist[pi, pj] = via
            dist[pj, pi] = via
        return dist


class AreaRouter:
    """Shortest paths that stay inside a polygon (a grid's flyable area, holes excluded).

    Args:
        area: the polygon (or multipolygon) to stay inside, local metres.
        node_inset_m: how far inside the boundary the corner nodes sit [m].
    """

    def __init__(self, area: Polygon | MultiPolygon, node_inset_m: float = 0.3) -> None:
        self.area = area
        self._check = shapely.buffer(area, 1e-6)
        shapely.prepare(self._check)
        inset = shapely.buffer(area, -node_inset_m, join_style="mitre", mitre_limit=3.0)
        rings = _rings(inset)
        self.nodes = np.concatenate(rings) if rings else np.zeros((0, 2))
        self._adj: list[list[tuple[int, float]]] | None = None

    def covers(self, points: list[XY] | np.ndarray) -> bool:
        """True when the polyline through ``points`` lies wholly inside the area."""
        pts = np.asarray(points, dtype=float)
        if len(pts) == 1:
            return bool(self._check.covers(shapely.points(pts[0])))
        return bool(self._check.covers(LineString(pts)))

    def _graph(self) -> list[list[tuple[int, float]]]:
        if self._adj is None:
            n = len(self.nodes)
            adj: list[list[tuple[int, float]]] = [[] for _ in range(n)]
            step = max(1, PAIR_BLOCK // max(n, 1))
            for a0 in range(0, n - 1, step):
                # nodes a0..a1-1 against every later node: about PAIR_BLOCK pairs at a time
                a1 = min(n - 1, a0 + step)
                i, j = np.nonzero(np.arange(a0, a1)[:, None] < np.arange(n)[None, :])
                i = i + a0
                lines = shapely.linestrings(np.stack([self.nodes[i], self.nodes[j]], axis=1))
                ok = shapely.covers(self._check, lines)
                d = np.hypot(*(self.nodes[i] - self.nodes[j]).T)
                for a, b, w in zip(i[ok].tolist(), j[ok].tolist(), d[ok].tolist(), strict=True):
                    adj[a].append((b, w))
                    adj[b].append((a, w))
            self._adj = adj
        return self._adj

    def path(self, a: XY, b: XY) -> list[XY] | None:
        """The shortest path from a to b inside the area (a, b included); None if none."""
        if self.covers([a, b]):
            return [tuple(a), tuple(b)]
        adj = self._graph()
        n = len(self.nodes)
        if n == 0:
            return None
        ends = np.array([a, b], dtype=float)
        lines = shapely.linestrings(
            np.stack([np.repeat(ends, n, axis=0), np.tile(self.nodes, (2, 1))], axis=1)
        )
        ok = shapely.covers(self._check, lines).reshape(2, n)
        d_end = np.hypot(*(np.repeat(ends, n, axis=0) - np.tile(self.nodes, (2, 1))).T).reshape(
            2, n
        )
        # Dijkstra from a (index n) to b (index n + 1)
        best = [math.inf] * (n + 2)
        prev = [-1] * (n + 2)
        best[n] = 0.0
        heap = [(0.0, n)]
        while heap:
            dist, u = heapq.heappop(heap)
            if dist > best[u]:
                continue
            if u == n + 1:
                break
            if u == n:
                edges = [(v, float(d_end[0, v])) for v in np.flatnonzero(ok[0]).tolist()]
            else:
                edges = list(adj[u])
                if ok[1, u]:
                    edges.append((n + 1, float(d_end[1, u])))
            for v, w in edges:
                if dist + w < best[v]:
                    best[v] = dist + w
                    prev[v] = u
                    heapq.heappush(heap, (dist + w, v))
        if not math.isfinite(best[n + 1]):
            return None
        out: list[XY] = []
        node = n + 1
        while node != -1:
            if node == n + 1:
                out.append((float(b[0]), float(b[1])))
            elif node == n:
                out.append((float(a[0]), float(a[1])))
            else:
                out.append((float(self.nodes[node, 0]), float(self.nodes[node, 1])))
            node = prev[node]
        return out[::-1]
