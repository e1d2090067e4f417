"""The graph view's neighbourhood search (backprop_tui.neighbourhood): pure, no Textual."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence

from backprop_tui.graph import Graph
from backprop_tui.language import parse
from backprop_tui.neighbourhood import FAN, cut_off, nearest_consumers, neighbourhood
from backprop_tui.ops import OP_INDEX

ADD, MUL = OP_INDEX["add"], OP_INDEX["mul"]


def chain(n: int) -> tuple[Graph, int]:
    """x, then n nodes each adding x to the previous one: x feeds every node (a hub)."""
    prog = parse("x = 0.5")
    g = prog.graph
    prev = x = prog.bindings["x"]
    for _ in range(n):
        prev = g.add(ADD, prev, x, start=0, end=1)
    return g, prev


class Counting(Sequence[int]):
    """A sequence that counts the items read from it."""

    def __init__(self, items: list[int]) -> None:
        self.items, self.reads = items, 0

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, k):  # type: ignore[override]
        self.reads += 1
        return self.items[k]


def test_distances_along_a_chain_both_ways():
    g, out = chain(20)
    near = neighbourhood(10, g.operands, g.consumers(out), radius=2, limit=100)
    x = 0
    # node 10 reads 9 and x; 11 reads 10; at distance 2: 8 (via 9), 12 (via 11), and x's
    # readers nearest node 10 (via x)
    assert near[10] == 0 and near[9] == 1 and near[11] == 1 and near[x] == 1
    assert near[8] == 2 and near[12] == 2
    assert max(near.values()) == 2
    assert 15 not in near and 5 not in near  # not readers of x nearest 10, nor 2 edges away


def test_the_limit_and_the_radius_bound_the_result():
    g, out = chain(200)
    assert len(neighbourhood(100, g.operands, g.consumers(out), radius=50, limit=17)) == 17
    assert set(neighbourhood(100, g.operands, g.consumers(out), radius=0)) == {100}


def test_a_hub_is_read_around_the_centre_only():
    """x feeds 100k nodes: only a window of its consumers next to the centre is read."""
    g, out = chain(100_000)
    start, items = g.consumers(out)
    counted = Counting(items)
    readers = nearest_consumers((start, counted), 0, 50_000)
    assert readers == [50_000, 49_999, 50_001, 49_998, 50_002, 49_997][:FAN]
    assert counted.reads <= 8 * FAN  # bisection plus the window, not 100k items
    near = neighbourhood(50_000, g.operands, (start, counted))
    assert all(i == 0 or abs(i - 50_000) <= 4 + FAN for i in near)
    assert counted.reads <= 50 * 8 * FAN  # each node's consumers windowed, however wide x is


def test_a_consumer_reading_a_node_twice_counts_once():
    prog = parse("x = 3; y = x*x; z = x + 1; y + z")
    g = prog.graph
    x = prog.bindings["x"]
    out = prog.output
    assert out is not None
    start, items = g.consumers(out)
    assert len(items[start[x]:start[x + 1]]) == 3  # x·x is two edges, x + 1 one
    assert len(nearest_consumers((start, items), x, x)) == 2


def test_only_consumers_in_the_outputs_graph_are_followed():
    prog = parse("x = 2; unused = x*5; y = x + 1; y*3")
    g = prog.graph
    x, unused = prog.bindings["x"], prog.bindings["unused"]
    assert prog.output is not None
    near = neighbourhood(x, g.operands, g.consumers(prog.output), radius=3, limit=100)
    assert unused not in near and prog.bindings["y"] in near


def test_cut_off_marks_nodes_whose_operands_are_not_drawn():
    g, out = chain(30)
    near = neighbourhood(15, g.operands, g.consumers(out), radius=1, limit=100)
    hidden = cut_off(sorted(near), g.operands, near)
    assert 14 in hidden  # reads 13, outside
    assert 15 not in hidden  # reads 14 and x, both drawn


def test_no_textual_needed():
    code = ("import sys, backprop_tui.neighbourhood, backprop_tui.layout; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
