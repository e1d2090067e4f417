"""The layered layout: columns, rows, wires. Pure Python (no textual)."""

from __future__ import annotations

import random

import pytest

from backprop_tui.labels import label
from backprop_tui.language import parse
from backprop_tui.layout import ARROW, Layout, LayoutTooLarge, layout
from backprop_tui.ops import CONST, LITERAL

SEED = "x = 2; y = 3; x^2 + 3x*y + 1"


def lay_program(src: str) -> tuple[Layout, object]:
    prog = parse(src)
    g = prog.graph
    nodes = list(range(len(g)))
    pull = {i for i in nodes if g.op[i] in (LITERAL, CONST)}
    return layout(nodes, g.operands, lambda i: label(g, i), pull=pull, record_routes=True), g


def assert_routes(lay: Layout) -> None:
    """Each edge is one connected wire from its source's note to an arrow at its target,
    and wires of unrelated edges (different source and different target) meet only in
    plain crossings, so a reader cannot follow a wire to the wrong node."""
    assert lay.routes is not None and set(lay.routes) == set(lay.edges)
    users: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for (u, v), cells in lay.routes.items():
        cellset = set(cells)
        bu, bv = lay.boxes[u], lay.boxes[v]
        assert any(y == bu.y + 1 and bu.x < x < bu.x + bu.width for x, y in cellset)
        assert (bv.x - 1, bv.y) in cellset and lay.lines[bv.y][bv.x - 1] == ARROW
        for x, y in cellset:
            assert lay.lines[y][x] != " ", f"edge {u}->{v} runs through a blank at {(x, y)}"
            users.setdefault((x, y), []).append((u, v))
        start = next(iter(cellset))  # 4-connected
        seen = {start}
        todo = [start]
        while todo:
            x, y = todo.pop()
            for c in ((x + 1, y), (x - 1, y), (x, y + 1), (x, y - 1)):
                if c in cellset and c not in seen:
                    seen.add(c)
                    todo.append(c)
        assert seen == cellset, f"edge {u}->{v} is broken"
    for (x, y), es in users.items():
        for i, (u1, v1) in enumerate(es):
            for u2, v2 in es[i + 1:]:
                if u1 != u2 and v1 != v2:
                    assert lay.lines[y][x] == "┼", (f"edges {u1}->{v1} and {u2}->{v2} share "
                                                    f"{lay.lines[y][x]!r} at {(x, y)}")


def assert_no_overlap(lay: Layout) -> None:
    cells: dict[tuple[int, int], int] = {}
    for b in lay.boxes.values():
        for y in (b.y, b.y + 1):
            for x in range(b.x, b.x + b.width):
                assert (x, y) not in cells, f"boxes {cells[(x, y)]} and {b.node} overlap"
                cells[(x, y)] = b.node


def test_seed_leaves_left_output_right():
    lay, g = lay_program(SEED)
    by_label = {label(g, i): i for i in lay.boxes}
    assert len(lay.boxes) == 9
    for leaf in ("x", "y", "3"):
        assert lay.boxes[by_label[leaf]].x == 0
        assert lay.boxes[by_label[leaf]].layer == 0
    out = lay.boxes[by_label["x²+3xy+1"]]
    assert out.layer == max(b.layer for b in lay.boxes.values())
    assert out.x == max(b.x for b in lay.boxes.values())
    assert out.x + out.width == lay.width
    # every node sits right of its operands
    for a, b in lay.edges:
        assert lay.boxes[a].x < lay.boxes[b].x


def test_seed_boxes_do_not_overlap_and_labels_are_clear():
    lay, g = lay_program(SEED)
    assert_no_overlap(lay)
    for i, b in lay.boxes.items():
        width = len(label(g, i)) + 2
        assert lay.lines[b.y][b.x:b.x + width].strip() == "", "a wire runs under a label"
        assert width <= b.width


def test_seed_edges_connect_the_right_nodes():
    lay, g = lay_program(SEED)
    assert_routes(lay)
    assert sorted(lay.edges) == sorted((j, i) for i in range(len(g)) for j in g.operands(i))


def test_seed_fits_a_narrow_pane():
    # The graph pane at 80×24 is 46 columns (48 less its border): the seed, with each
    # column as wide as its widest note at the end of the backward pass, fits whole.
    from backprop_tui.labels import fmt_val
    from backprop_tui.session import Session

    s = Session(parse(SEED))
    s.run_line(":backward")
    g = s.prog.graph
    rooms = {i: max(len(fmt_val(g.value[i])) + 1 + (i == s.output),
                    len(fmt_val(g.grad[i])) + 1 if g.takes_grad(i) else 0) for i in range(len(g))}
    nodes = list(range(len(g)))
    pull = {i for i in nodes if g.op[i] in (LITERAL, CONST)}
    lay = layout(nodes, g.operands, lambda i: label(g, i), pull=pull, note_width=rooms.__getitem__,
                 record_routes=True)
    assert lay.width <= 44
    assert_no_overlap(lay)
    assert_routes(lay)
    for i, b in lay.boxes.items():
        assert rooms[i] <= b.width - 2 and len(label(g, i)) + 2 <= b.width


def test_tree_edges_exact():
    lay, g = lay_program("a=1; b=2; c=3; d=4; (a+b)*(c-d) + sin(a*d)/exp(b)")
    assert_no_overlap(lay)
    assert_routes(lay)


def random_dag(n: int, seed: int = 7) -> tuple[list[int], dict[int, tuple[int, ...]]]:
    rng = random.Random(seed)
    ops: dict[int, tuple[int, ...]] = {}
    for i in range(n):
        if i < 5:
            ops[i] = ()
        else:
            k = rng.choice((1, 2, 2))
            lo = max(0, i - 12)
            ops[i] = tuple(rng.randrange(lo, i) for _ in range(k))
    return list(range(n)), ops


def test_random_dag_every_edge_drawn():
    nodes, ops = random_dag(120)
    lay = layout(nodes, ops.__getitem__, lambda i: f"n{i}", record_routes=True)
    assert_no_overlap(lay)
    assert_routes(lay)
    assert len(lay.edges) == len({(j, i) for i in nodes for j in ops[i]})


def test_barycenter_removes_a_crossing():
    # b's reader comes first: drawn naively, the two wires cross.
    ops = {0: (), 1: (), 2: (1,), 3: (0,)}
    lay = layout([0, 1, 2, 3], ops.__getitem__, str)
    assert lay.crossings == 0
    assert lay.boxes[0].row < lay.boxes[1].row
    assert lay.boxes[3].row < lay.boxes[2].row


def test_deep_chain_is_iterative():
    n = 20_000  # far past any recursion limit
    ops = {i: ((i - 1,) if i else ()) for i in range(n)}
    lay = layout(list(range(n)), ops.__getitem__, str, sweeps=1, max_items=n)
    assert lay.boxes[n - 1].layer == n - 1
    assert lay.height == 2


def test_too_large_raises():
    # a sum of inputs: input k waits k layers for its consumer, so dummies grow as n²
    n = 200
    ops = {i: () for i in range(n)}
    prev = 0
    for k in range(1, n):
        ops[n + k] = (prev, k)
        prev = n + k
    order = [i for i in range(n)] + [n + k for k in range(1, n)]
    with pytest.raises(LayoutTooLarge):
        layout(order, ops.__getitem__, str, max_items=4000)


MLP = ("x1 = 0.5; x2 = -1.5; w11 = 0.8; w12 = -0.4; b1 = 0.1; w21 = -0.6; w22 = 0.9; "
       "b2 = 0.2; v1 = 1.5; v2 = -0.7; c = 0.05; h1 = tanh(w11*x1 + w12*x2 + b1); "
       "h2 = tanh(w21*x1 + w22*x2 + b2); y = tanh(v1*h1 + v2*h2 + c); loss = (y - 0.25)^2")


@pytest.mark.parametrize(("note", "pitch", "lines", "gap"),
                         [(0, 2, 1, 0), (8, 2, 1, 0), (10, 3, 2, 0), (14, 3, 2, 4), (16, 4, 2, 6)])
def test_the_mlp_at_every_zoom_every_wire_traceable(note, pitch, lines, gap):
    """The graph pane's levels (names only up to value and gradient on two lines, spread):
    every wire one connected route to its arrow, unrelated wires meeting only in ┼; leaves
    next to their first reader; a second note line never holds a wire."""
    prog = parse(MLP)
    g = prog.graph
    nodes = list(range(len(g)))
    leaves = {i for i in nodes if g.is_leaf(i)}
    lay = layout(nodes, g.operands, lambda i: g.names.get(i, "op"), pull=leaves,
                 note_width=note, pitch=pitch, note_lines=lines, gap=gap, record_routes=True)
    assert_routes(lay)
    assert_no_overlap(lay)
    for i in leaves:
        first = min(lay.boxes[j].layer for j in nodes if i in g.operands(j))
        assert lay.boxes[i].layer == first - 1
    for b in lay.boxes.values():
        if lines == 2:
            assert lay.lines[b.y + 2][b.x:b.x + b.width].strip() == "", b
            assert b.node in lay.line_boxes[b.y + 2]
    xs = sorted({(b.layer, b.x, b.width) for b in lay.boxes.values()})
    for (la, xa, wa), (lb, xb, _) in zip(xs, xs[1:], strict=False):
        if lb == la + 1:
            assert xb - (xa + wa) >= max(gap, 2)  # the least gap, tracks and arrow included
