"""Tour ordering: nearest neighbour, then 2-opt and Or-opt, then iterated local search.

:func:`solve_tour` orders the nodes of a symmetric distance matrix into a
closed tour. It is deterministic (a seeded generator drives the
perturbations, and the work is a fixed number of iterations, not a time
budget), so the same network always gives the same plan.

Targets with an entry and an exit (grids and lines, which may be flown either
way) are two nodes joined by an edge of cost ``-LINK`` (see :data:`LINK`):
no improving move ever breaks it, so they stay adjacent, and the direction the
target is flown falls out of the tour.

Moves use neighbour lists (the ``neighbours`` nearest nodes) and a queue of
nodes to look at ("don't look bits"), as in Bentley's fast 2-opt.
"""

from __future__ import annotations

import random
from collections import deque

import numpy as np

LINK = 1e7
"""Magnitude of the negative cost that keeps a target's entry and exit adjacent."""

_EPS = 1e-7


def tour_length(dist: np.ndarray | list[list[float]], tour: list[int]) -> float:
    """Length of the closed tour (back to its first node)."""
    d = dist if isinstance(dist, list) else dist.tolist()
    return float(sum(d[a][b] for a, b in zip(tour, tour[1:] + tour[:1], strict=True)))


class _Tour:
    def __init__(self, tour: list[int], d: list[list[float]], neigh: list[list[int]]) -> None:
        self.t = tour
        self.n = len(tour)
        self.pos = [0] * self.n
        for i, c in enumerate(tour):
            self.pos[c] = i
        self.d = d
        self.neigh = neigh

    def succ(self, c: int) -> int:
        return self.t[(self.pos[c] + 1) % self.n]

    def pred(self, c: int) -> int:
        return self.t[self.pos[c] - 1]

    def reverse(self, i: int, j: int) -> None:
        """Reverse the path from position i forward to position j (cyclic)."""
        n, t, pos = self.n, self.t, self.pos
        length = (j - i) % n + 1
        if 2 * length > n:  # reversing the complement gives the same cycle, cheaper
            i, j = (j + 1) % n, (i - 1) % n
            length = n - length
        for _ in range(length // 2):
            a, b = t[i], t[j]
            t[i], t[j] = b, a
            pos[b], pos[a] = i, j
            i = (i + 1) % n
            j = (j - 1) % n

    def rebuild(self, tour: list[int]) -> None:
        self.t = tour
        for i, c in enumerate(tour):
            self.pos[c] = i

    def two_opt(self, a: int) -> tuple[float, tuple[int, ...]]:
        d, t, pos, n = self.d, self.t, self.pos, self.n
        da = d[a]
        i = pos[a]
        # forward: edges (a, succ a) and (t3, succ t3) become (a, t3) and (succ a, succ t3)
        t2 = t[i + 1 if i + 1 < n else 0]
        d12 = da[t2]
        d2 = d[t2]
        for t3 in self.neigh[a]:
            g1 = d12 - da[t3]
            if g1 <= _EPS:
                break
            j = pos[t3]
            t4 = t[j + 1 if j + 1 < n else 0]
            if t3 == t2 or t4 == a:
                continue
            gain = g1 + d[t3][t4] - d2[t4]
            if gain > _EPS:
                self.reverse(pos[t2], j)
                return gain, (a, t2, t3, t4)
        # backward: edges (pred a, a) and (pred t3, t3) become (t3, a) and (pred t3, pred a)
        t2 = t[i - 1]
        d12 = da[t2]
        d2 = d[t2]
        for t3 in self.neigh[a]:
            g1 = d12 - da[t3]
            if g1 <= _EPS:
                break
            t4 = t[pos[t3] - 1]
            if t3 == t2 or t4 == a:
                continue
            gain = g1 + d[t3][t4] - d2[t4]
            if gain > _EPS:
                self.reverse(i, pos[t4])
                return gain, (a, t2, t3, t4)
        return 0.0, ()

    def or_opt(self, a: int) -> tuple[float, tuple[int, ...]]:
        d, neigh, n, t, pos = self.d, self.neigh, self.n, self.t, self.pos
        if n < 8:
            return 0.0, ()
        i = pos[a]
        prev = t[i - 1]
        for seg_len in (1, 2, 3):
            seg = [t[(i + k) % n] for k in range(seg_len)]
            s1, e = seg[0], seg[-1]
            nxt = t[(i + seg_len) % n]
            removal = d[prev][s1] + d[e][nxt] - d[prev][nxt]
            if removal <= _EPS:
                continue
            for end in (s1, e):
                dend = d[end]
                for c in neigh[end]:
                    if dend[c] >= removal:
                        break
                    if c in seg:
                        continue
                    pc = pos[c]
                    for left, right in ((c, t[pc + 1 if pc + 1 < n else 0]), (t[pc - 1], c)):
                        if left == prev or right == nxt or left in seg or right in seg:
                            continue
                        base = d[left][right]
                        keep = d[left][s1] + d[e][right] - base
                        flip = d[left][e] + d[s1][right] - base
                        flipped = flip < keep
                        gain = removal - (flip if flipped else keep)
                        if gain > _EPS:
                            inside = set(seg)
                            rest = [c2 for c2 in t if c2 not in inside]
                            k = rest.index(left)
                            rest[k + 1 : k + 1] = seg[::-1] if flipped else seg
                            self.rebuild(rest)
                            return gain, (prev, nxt, left, right, s1, e)
        return 0.0, ()

    def local_search(self, start: list[int]) -> float:
        """Improve until no 2-opt or Or-opt move helps; returns the total gain."""
        queue = deque(start)
        queued = [False] * self.n
        for c in start:
            queued[c] = True
        total = 0.0
        while queue:
            a = queue.popleft()
            queued[a] = False
            while True:
                gain, touched = self.two_opt(a)
                if gain <= 0:
                    gain, touched = self.or_opt(a)
                if gain <= 0:
                    break
                total += gain
                for c in touched:
                    if not queued[c]:
                        queued[c] = True
                        queue.append(c)
        return total


def _nearest_neighbour(d: np.ndarray, start: int) -> list[int]:
    n = len(d)
    seen = np.zeros(n, dtype=bool)
    tour = [start]
    seen[start] = True
    row = d.copy()
    row[:, start] = np.inf
    here = start
    for _ in range(n - 1):
        nxt = int(np.argmin(row[here]))
        tour.append(nxt)
        seen[nxt] = True
        row[:, nxt] = np.inf
        here = nxt
    return tour


def solve_tour(
    dist: np.ndarray,
    start: int = 0,
    iterations: int | None = None,
    seed: int = 0,
    neighbours: int = 10,
) -> list[int]:
    """A short closed tour through every node of the symmetric matrix ``dist``.

    Args:
        dist: (n, n) symmetric distances (finite; ``-LINK`` ties a pair together).
        start: the node the returned tour begins with (the station).
        iterations: perturbations of the iterated local search (default ``min(2000, 30 n)``).
        seed: seeds the perturbations; the same inputs give the same tour.
        neighbours: size of each node's candidate list.

    Returns:
        Node indices, ``start`` first; the tour closes back to ``start``.

    >>> import numpy as np
    >>> pts = np.array([[0, 0], [0, 1], [1, 1], [1, 0], [0.5, 0.2]])
    >>> d = np.hypot(*(pts[:, None] - pts[None]).transpose(2, 0, 1))
    >>> solve_tour(d)
    [0, 4, 3, 2, 1]
    """
    dist = np.asarray(dist, dtype=float)
    n = len(dist)
    if n <= 3:
        return list(range(start, n)) + list(range(start))
    k = min(neighbours, n - 1)
    masked = dist.copy()
    np.fill_diagonal(masked, np.inf)
    near = np.argsort(masked, axis=1, kind="stable")[:, :k]
    neigh = near.tolist()
    d = dist.tolist()
    tour = _Tour(_nearest_neighbour(masked, start), d, neigh)
    tour.local_search(list(tour.t))
    length = tour_length(d, tour.t)
    rng = random.Random(seed)
    budget = min(2000, 30 * n) if iterations is None else iterations
    if n >= 8:
        for _ in range(budget):
            saved = list(tour.t)
            # a local double bridge: A B C D -> A C B D, segments within a window
            base = rng.randrange(n)
            rolled = saved[base:] + saved[:base]
            span = min(n - 2, 50)
            p1 = 1 + rng.randrange(span - 2)
            p2 = p1 + 1 + rng.randrange(span - p1 - 1)
            p3 = p2 + 1 + rng.randrange(span - p2)
            a, b, c, rest = rolled[:p1], rolled[p1:p2], rolled[p2:p3], rolled[p3:]
            delta = (
                d[a[-1]][c[0]]
                + d[c[-1]][b[0]]
                + d[b[-1]][rest[0] if rest else a[0]]
                - d[a[-1]][b[0]]
                - d[b[-1]][c[0]]
                - d[c[-1]][rest[0] if rest else a[0]]
            )
            tour.rebuild(a + c + b + rest)
            touched = [a[-1], b[0], b[-1], c[0], c[-1], rest[0] if rest else a[0]]
            gain = tour.local_search(touched)
            new_length = length + delta - gain
            if new_length < length - _EPS:
                length = new_length
            else:
                tour.rebuild(saved)
    i = tour.t.index(start)
    return tour.t[i:] + tour.t[:i]
