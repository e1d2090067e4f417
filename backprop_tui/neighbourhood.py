"""The neighbourhood of a node in a DAG: what the graph view draws when the whole graph is
too big to read. Pure Python, no textual; tested on its own.

A breadth-first search from the centre along both directions of each edge (operands and
consumers), up to ``radius`` edges away and ``limit`` nodes in all. A hub (an input that
feeds thousands of nodes) contributes only the ``fan`` consumers nearest the centre in
creation order, found by bisection, so the search costs O(limit · fan) however wide the
hubs are, never O(consumers).
"""

from __future__ import annotations

from bisect import bisect_left
from collections import deque
from collections.abc import Callable, Iterable, Sequence

RADIUS = 4  # edges from the centre node
LIMIT = 40  # nodes in a neighbourhood
FAN = 6  # consumers followed per node (x may feed thousands)

Operands = Callable[[int], Sequence[int]]
# Consumers as CSR arrays (start, items): node j's consumers are items[start[j]:start[j+1]],
# in creation order (Graph.consumers builds them; a consumer may be listed once per edge).
Consumers = tuple[Sequence[int], Sequence[int]]


def nearest_consumers(consumers: Consumers, node: int, centre: int, fan: int = FAN) -> list[int]:
    """Up to `fan` distinct consumers of `node`, those nearest `centre` (by id) first."""
    start, items = consumers
    if node + 1 >= len(start):
        return []
    lo, hi = start[node], start[node + 1]
    if hi - lo > 2 * fan:  # a hub: only a window around the centre's position is looked at
        p = bisect_left(items, centre, lo, hi)
        lo, hi = max(lo, p - 2 * fan), min(hi, p + 2 * fan)
    readers = dict.fromkeys(items[k] for k in range(lo, hi))  # x·x lists its reader twice
    return sorted(readers, key=lambda c: (abs(c - centre), c))[:fan]


def neighbourhood(centre: int, operands: Operands, consumers: Consumers, radius: int = RADIUS,
                  limit: int = LIMIT, fan: int = FAN) -> dict[int, int]:
    """Node → its distance in edges from `centre`, for the nodes near it (centre included)."""
    near = {centre: 0}
    queue = deque([centre])
    while queue and len(near) < limit:
        i = queue.popleft()
        dist = near[i]
        if dist >= radius:
            continue
        for j in (*operands(i), *nearest_consumers(consumers, i, centre, fan)):
            if j not in near and len(near) < limit:
                near[j] = dist + 1
                queue.append(j)
    return near


def cut_off(nodes: Iterable[int], operands: Operands, near: dict[int, int]) -> set[int]:
    """The nodes with an operand outside the neighbourhood (drawn with a ⋯ lead)."""
    return {i for i in nodes if any(j not in near for j in operands(i))}
