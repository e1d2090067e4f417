"""A layered drawing of a DAG in a character grid, left to right. Pure Python, no textual.

Sugiyama's recipe, kept small and iterative (no recursion anywhere, near-linear):

1. Layers by longest path from the sources (a node sits one column right of its deepest
   operand). Sources listed in ``pull`` (literals, constants) move right, next to their
   first consumer, so a ``+1`` at the end does not drag a wire across the whole picture.
2. Edges spanning several layers get one dummy item per layer they cross.
3. Crossings are reduced by a few barycenter sweeps (down, then up), keeping the best
   ordering by an exact crossing count (inversions, counted with a Fenwick tree).
4. Rows: each item goes to the median row of its predecessors when order allows; sources
   then move towards their successors.
5. Routing: every item has an *in-line* (where wires arrive) and an *out-line* (where its
   wire leaves). A node's label sits on its in-line, its value/gradient note on the
   out-line just below, and the wire leaves from behind that note — "values on the wires".
   In-lines and out-lines never coincide between two adjacent columns (a dummy only keeps
   its wire straight when nothing else leaves on that line), so wires that merge on a line
   always go to the same node. Each edge that changes line gets a vertical track; tracks are
   packed greedily (interval partitioning), and a gap is just its tracks and the arrow;
   a column is as wide as its widest label or note. Junctions come from per-cell direction bits.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Sequence
from dataclasses import dataclass, field

# Direction bits of a grid cell; a cell's character follows from the wires meeting in it.
_U, _D, _L, _R = 1, 2, 4, 8
_CHARS = {
    0: " ", _L: "─", _R: "─", _L | _R: "─", _U: "│", _D: "│", _U | _D: "│",
    _D | _R: "╭", _D | _L: "╮", _U | _R: "╰", _U | _L: "╯",
    _U | _D | _R: "├", _U | _D | _L: "┤", _D | _L | _R: "┬", _U | _L | _R: "┴",
    _U | _D | _L | _R: "┼",
}
_CHAR_LIST = [_CHARS[c] for c in range(16)]
ARROW = "▶"


class LayoutTooLarge(Exception):
    """The drawing would need more items (nodes + dummies) than allowed."""


@dataclass
class Box:
    """Where a node is drawn: its label at (x, y), its note on line y + 1 (and, with two note
    lines, its gradient on y + 2)."""

    node: int
    layer: int
    row: int
    x: int
    y: int
    width: int  # the column's width: label and note must fit in it


@dataclass
class Layout:
    boxes: dict[int, Box]
    width: int
    height: int
    lines: list[str]  # the wires, one string per line, `width` characters each
    line_boxes: list[list[int]]  # per line: nodes whose label or note is on it, by x
    edges: list[tuple[int, int]]  # (operand, consumer), distinct pairs
    dummies: int = 0
    crossings: int = 0
    layers: list[list[int]] = field(default_factory=list)  # node ids per layer, top to bottom
    # With record_routes: each edge's cells, from its source's note to the arrow.
    routes: dict[tuple[int, int], list[tuple[int, int]]] | None = None

    def node_at(self, x: int, y: int) -> int | None:
        """The node drawn at cell (x, y) (its label or its note), if any."""
        if not 0 <= y < self.height:
            return None
        for node in self.line_boxes[y]:
            b = self.boxes[node]
            if b.x <= x < b.x + b.width:
                return node
        return None


def _median(xs: list[int]) -> int:
    xs = sorted(xs)
    m = len(xs)
    return (xs[(m - 1) // 2] + xs[m // 2]) // 2


def _crossings(upper_pos: list[int], lower: list[int], preds: list[list[int]],
               pos: list[int]) -> int:
    """Edge crossings between a layer and the next: inversions of the edge list."""
    pairs = [(pos[p], pos[v]) for v in lower for p in preds[v]]
    if len(pairs) < 2:
        return 0
    pairs.sort()
    size = max(len(lower), 1)
    tree = [0] * (size + 1)
    total = 0
    seen = 0
    for _, q in pairs:
        # count earlier edges whose lower end is strictly right of q
        i = q + 1
        le = 0
        while i > 0:
            le += tree[i]
            i -= i & -i
        total += seen - le
        i = q + 1
        while i <= size:
            tree[i] += 1
            i += i & -i
        seen += 1
    return total


def layout(nodes: Sequence[int], operands: Callable[[int], Sequence[int]],
           labels: Callable[[int], str], *, pull: Container[int] = (),
           note_width: int | Callable[[int], int] = 10, pitch: int = 2, sweeps: int = 4,
           max_items: int = 4000, record_routes: bool = False, note_lines: int = 1,
           gap: int = 0) -> Layout:
    """Lay out `nodes` (given in topological order, operands first).

    Edges are (operand → node) for operands that are themselves in `nodes`; others are
    ignored. `note_width` is the room for each node's note (one number for all, or per
    node); a column is as wide as its widest label or note. `note_lines` (1 or 2): lines
    under the label (the wire leaves from the first; a second holds the gradient beside the
    value). `gap`: the least width between two columns (a zoomed-in drawing spreads out).
    Raises LayoutTooLarge past `max_items` nodes plus dummies.
    """
    note_lines = 2 if note_lines >= 2 else 1
    pitch = max(pitch, 1 + note_lines)
    n = len(nodes)
    index = {v: k for k, v in enumerate(nodes)}
    preds: list[list[int]] = [[] for _ in range(n)]
    succs: list[list[int]] = [[] for _ in range(n)]
    edges: list[tuple[int, int]] = []
    for k, v in enumerate(nodes):
        for o in operands(v):
            j = index.get(o)
            if j is not None and j not in preds[k]:  # x*x: one drawn edge
                preds[k].append(j)
                succs[j].append(k)
                edges.append((o, v))

    # 1. layers: longest path from the sources; pulled sources sit next to a consumer.
    layer = [0] * n
    for k in range(n):
        if preds[k]:
            layer[k] = 1 + max(layer[p] for p in preds[k])
    for k in range(n):
        if not preds[k] and succs[k] and nodes[k] in pull:
            layer[k] = max(0, min(layer[s] for s in succs[k]) - 1)

    # 2. dummies for long edges
    extra = sum(layer[s] - layer[k] - 1 for k in range(n) for s in succs[k])
    if n + extra > max_items:
        raise LayoutTooLarge(f"{n} nodes and {extra} dummies exceed {max_items}")
    item_layer = list(layer)
    ipreds = [list(p) for p in preds]
    isuccs: list[list[int]] = [[] for _ in range(n)]
    for k in range(n):
        for s in succs[k]:
            prev = k
            for level in range(layer[k] + 1, layer[s]):
                d = len(item_layer)
                item_layer.append(level)
                ipreds.append([prev])
                isuccs.append([])
                isuccs[prev].append(d)
                prev = d
            isuccs[prev].append(s)
            if prev != k:
                ipreds[s][ipreds[s].index(k)] = prev
    m = len(item_layer)
    depth = max(item_layer, default=-1) + 1
    layers: list[list[int]] = [[] for _ in range(depth)]
    for it in range(m):
        layers[item_layer[it]].append(it)

    # 3. crossing reduction: barycenter sweeps, keep the best ordering seen
    pos = [0] * m
    for lay in layers:
        for p, it in enumerate(lay):
            pos[it] = p

    def count() -> int:
        return sum(_crossings([], layers[i + 1], ipreds, pos) for i in range(depth - 1))

    best = count()
    best_layers = [list(lay) for lay in layers]
    for sweep in range(sweeps):
        if best == 0:
            break
        down = sweep % 2 == 0
        order = range(1, depth) if down else range(depth - 2, -1, -1)
        for i in order:
            lay = layers[i]
            nbrs = ipreds if down else isuccs
            keys = {it: (sum(pos[q] for q in nbrs[it]) / len(nbrs[it]) if nbrs[it] else pos[it])
                    for it in lay}
            lay.sort(key=keys.__getitem__)
            for p, it in enumerate(lay):
                pos[it] = p
        c = count()
        if c < best:
            best = c
            best_layers = [list(lay) for lay in layers]
    layers = best_layers
    for lay in layers:
        for p, it in enumerate(lay):
            pos[it] = p

    # 4. rows: follow the predecessors' median, then pull sources towards successors
    row = [0] * m
    for lay in layers:
        prev = -1
        for it in lay:
            want = _median([row[q] for q in ipreds[it]]) if ipreds[it] else prev + 1
            row[it] = max(prev + 1, want)
            prev = row[it]
    for i in range(depth - 2, -1, -1):
        prev = -1
        for it in layers[i]:
            want = row[it]
            if not ipreds[it] and isuccs[it]:
                want = _median([row[q] for q in isuccs[it]])
            row[it] = max(prev + 1, want)
            prev = row[it]
    height = (max(row, default=-1) + 1) * pitch

    # 5. columns and in/out lines
    # A column is as wide as its widest box: the chip " label " or the note, drawn one cell
    # in with a blank after it, so the two chips of adjacent columns never touch.
    note = note_width if callable(note_width) else lambda _: note_width
    colw = [1] * depth
    for k in range(n):
        colw[layer[k]] = max(colw[layer[k]], len(labels(nodes[k])) + 2, note(nodes[k]) + 2)
    at: list[dict[int, int]] = [{} for _ in range(depth)]  # layer -> row -> item
    for it in range(m):
        at[item_layer[it]][row[it]] = it
    in_line = [row[it] * pitch for it in range(m)]
    out_line = [row[it] * pitch + 1 for it in range(m)]
    for it in range(n, m):  # a dummy keeps its wire straight unless that line is taken
        i = item_layer[it]
        left = at[i - 1].get(row[it])
        if left is None or left == ipreds[it][0] or not isuccs[left]:
            in_line[it] = out_line[it]

    # tracks per gap: one vertical per edge that changes line, packed greedily. Per edge
    # (not per source), so a junction on an in-line is always a merge into that node, one
    # on an out-line always a branch of that node, and ┼ always a plain crossing.
    track_of: dict[tuple[int, int], int] = {}
    ntracks = [0] * depth
    for i in range(depth - 1):
        spans = []
        for it in layers[i]:
            y0 = out_line[it]
            for t in isuccs[it]:
                y1 = in_line[t]
                if y1 != y0:
                    spans.append((min(y0, y1), max(y0, y1), it, t))
        spans.sort()
        ends: list[int] = []  # last line used in each track
        for lo, hi, it, t in spans:
            for k, end in enumerate(ends):
                if end < lo:
                    ends[k] = hi
                    track_of[it, t] = k
                    break
            else:
                track_of[it, t] = len(ends)
                ends.append(hi)
        ntracks[i] = len(ends)
    # A gap is its tracks (or one cell of plain wire) and the arrow, no more: the wire
    # already leaves from behind the note, inside the column, so a small graph fits a
    # narrow pane.
    xs = [0] * depth
    x = 0
    for i in range(depth):
        xs[i] = x
        x += colw[i] + (max(max(ntracks[i], 1) + 1, gap) if i < depth - 1 else 0)
    width = x

    # 6. draw the wires into direction bits (and, on request, each edge's cells)
    bits = [bytearray(width) for _ in range(height)]
    edge_of: dict[int, tuple[int, int]] = {}  # dummy -> the edge it carries
    routes: dict[tuple[int, int], list[tuple[int, int]]] | None = {} if record_routes else None
    if routes is not None:
        for it in range(n, m):
            u = it
            while u >= n:
                u = ipreds[u][0]
            v = it
            while v >= n:
                v = isuccs[v][0]
            edge_of[it] = (nodes[u], nodes[v])
        for e in edges:
            routes[e] = []

    def hline(y: int, xa: int, xb: int, route: list | None) -> None:
        """A wire on line y from xa to xb inclusive (open at both ends: xa < xb)."""
        rowbits = bits[y]
        rowbits[xa] |= _R
        for xx in range(xa + 1, xb):
            rowbits[xx] |= _L | _R
        rowbits[xb] |= _L
        if route is not None:
            route.extend((xx, y) for xx in range(xa, xb + 1))

    def vline(xx: int, ya: int, yb: int, route: list | None) -> None:
        bits[ya][xx] |= _D
        for yy in range(ya + 1, yb):
            bits[yy][xx] |= _U | _D
        bits[yb][xx] |= _U
        if route is not None:
            route.extend((xx, yy) for yy in range(ya, yb + 1))

    def route_of(it: int, t: int) -> list | None:
        if routes is None:
            return None
        e = edge_of[it] if it >= n else edge_of[t] if t >= n else (nodes[it], nodes[t])
        return routes[e]

    arrows: list[tuple[int, int]] = []
    for it in range(m):
        i = item_layer[it]
        x0, w = xs[i], colw[i]
        if it >= n:  # dummy: a wire through the column, with a jog if its lines differ
            r = route_of(it, it)
            if in_line[it] == out_line[it]:
                hline(in_line[it], x0 - 1, x0 + w, r)
            else:
                mid = x0 + w // 2
                hline(in_line[it], x0 - 1, mid, r)
                vline(mid, in_line[it], out_line[it], r)
                hline(out_line[it], mid, x0 + w, r)
        elif isuccs[it]:  # a node's wire leaves from under its note
            hline(out_line[it], x0 + 1, x0 + w, None)
            for t in isuccs[it]:
                r = route_of(it, t)
                if r is not None:
                    r.extend((xx, out_line[it]) for xx in range(x0 + 1, x0 + w + 1))
        if i == depth - 1 or not isuccs[it]:
            continue
        gx = x0 + w  # first cell of the gap
        y0 = out_line[it]
        last = xs[i + 1] - 1  # the gap's last cell, next to the target column
        for t in isuccs[it]:
            y1 = in_line[t]
            r = route_of(it, t)
            if y1 == y0:
                hline(y0, gx - 1, last + 1 if t >= n else last, r)
            else:
                tx = gx + track_of[it, t]
                hline(y0, gx - 1, tx, r)
                vline(tx, min(y0, y1), max(y0, y1), r)
                hline(y1, tx, last + 1 if t >= n else last, r)
            if t < n:
                arrows.append((y1, last))

    lines = []
    for y in range(height):
        lines.append("".join(map(_CHAR_LIST.__getitem__, bits[y])))
    for y, xx in arrows:
        row_text = lines[y]
        lines[y] = row_text[:xx] + ARROW + row_text[xx + 1:]

    boxes: dict[int, Box] = {}
    line_boxes: list[list[int]] = [[] for _ in range(height)]
    for k in range(n):
        i = layer[k]
        b = Box(nodes[k], i, row[k], xs[i], row[k] * pitch, colw[i])
        boxes[nodes[k]] = b
    for b in sorted(boxes.values(), key=lambda b: b.x):
        for dy in range(1 + note_lines):
            line_boxes[b.y + dy].append(b.node)
    return Layout(boxes, width, height, lines, line_boxes, edges, m - n, best,
                  [[nodes[it] for it in lay if it < n] for lay in layers], routes)
