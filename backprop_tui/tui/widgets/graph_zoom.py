"""The graph pane's zoom levels and the labels each draws. No textual here.

From the whole picture to the details: level 0 is the overview (names and operators only,
no numbers: a 30-node MLP fits 120×36 whole), 1 adds the numbers, 2 is the subexpressions
with their numbers, 3 and up put the value and the gradient on two lines and spread out.
Fitting picks the largest level that fits the pane.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ...graph import Graph
from ...labels import ELLIPSIS, fmt_val, label
from ...layout import Layout
from ...ops import CONST, INPUT, LITERAL, OP_INDEX, OPS
from ...textutil import clip


@dataclass(frozen=True)
class Zoom:
    name: str
    label: int  # widest label; 0: names and operators only
    note: int  # widest note; 0: no notes
    pitch: int = 2  # lines per row
    lines: int = 1  # note lines: 2 puts the gradient under the value
    gap: int = 0  # least width between columns
    extra: int = 0  # room beyond the numbers, for the marks: ∂0→9, ∂13✓

    @property
    def compact(self) -> bool:
        return self.label == 0


LEVELS = (
    Zoom("overview", 0, 0),
    Zoom("compact", 0, 8),
    Zoom("labels", 16, 10),
    Zoom("values and gradients", 16, 10, pitch=3, lines=2, extra=2),
    Zoom("roomy", 24, 14, pitch=3, lines=2, gap=4, extra=4),
    Zoom("large", 32, 16, pitch=4, lines=2, gap=6, extra=4),
    Zoom("huge", 40, 18, pitch=5, lines=2, gap=10, extra=6),
)
DEFAULT = 2  # before the pane has a size
FOLD_MARK = "⊞"
NOTE_MAX = 99  # "as wide as the level allows"
# Ops that keep integers integral: with integer leaves their notes stay as short as the
# leaves', so a column need not reserve room for six significant digits.
_INT_OPS = frozenset(OP_INDEX[k] for k in ("input", "const", "literal", "add", "sub", "mul",
                                           "neg", "powk", "relu", "abs"))


def guess_room(g: Graph, nodes: list[int]) -> int:
    """Room for a number not computed yet: with integer leaves and ops that keep integers,
    as wide as the widest leaf's note; otherwise the most a note gets."""
    widest = 2
    for i in nodes:
        o = g.op[i]
        if o not in _INT_OPS:
            return NOTE_MAX
        if o in (INPUT, CONST, LITERAL):
            v = g.value[i]
            if v != v or v != int(v) or abs(v) >= 1e16:  # nan, or not an integer
                return NOTE_MAX
            widest = max(widest, len(fmt_val(v)) + 1)
    return widest


def op_label(g: Graph, i: int) -> str:
    """A node as the overview draws it: its name, a leaf's label, else its operator."""
    name = g.names.get(i)
    if name is not None:
        return name
    if g.is_leaf(i):
        return clip(label(g, i, 12), 12)
    op = OPS[g.op[i]]
    if op.kind == "powk":
        k = g.k[i]
        return f"^{int(k) if k == int(k) else k}"
    # alone in a box, "·" reads as the not-computed mark: a product is "×" here
    return "×" if op.symbol == "·" else op.symbol or op.name


def labels(g: Graph, nodes: list[int], zoom: Zoom, folded: set[int]) -> dict[int, str]:
    """Each node's label at this zoom. A clipped label that would read like another's ends
    in its id (x²+3xy…#7), so two nodes never look the same (two x² nodes, unclipped, do
    read the same: they are the same expression); a fold is marked ⊞."""
    if zoom.compact:
        out = {i: op_label(g, i) for i in nodes}
    else:
        width = zoom.label
        full = {i: label(g, i, width + 8) for i in nodes}
        out = {i: clip(t, width) for i, t in full.items()}
        seen: dict[str, list[int]] = {}
        for i, t in out.items():
            seen.setdefault(t, []).append(i)
        for same in seen.values():
            # clipped (by us or by the label's own budget) and alike: tell them apart
            if len(same) > 1 and ELLIPSIS in out[same[0]]:
                for i in same:
                    tag = f"#{i}"
                    out[i] = clip(full[i], width - len(tag)) + tag
    for h in folded:  # a box is named as :fold names it: h1, neuron#2
        if h in out:
            out[h] = FOLD_MARK + (g.names.get(h) or g.call_name(h) or out[h])
    return out


def fit_level(lay: Callable[[int], Layout | None], width: int, height: int) -> int:
    """The largest level whose drawing (`lay(level)`, None when too large) fits width ×
    height; if none does, the largest that fits across (it scrolls down), else the overview.
    Width and height grow with the level, so binary searches: three layouts, not six (six
    when nothing fits whole)."""
    seen: dict[int, Layout | None] = {}

    def largest(fits: Callable[[Layout], bool]) -> int:
        lo, hi = 0, len(LEVELS) - 1
        while lo <= hi:
            mid = (lo + hi) // 2
            if mid not in seen:
                seen[mid] = lay(mid)
            d = seen[mid]
            if d is not None and fits(d):
                lo = mid + 1
            else:
                hi = mid - 1
        return hi

    best = largest(lambda d: d.width <= width and d.height <= height)
    if best < 0:
        best = largest(lambda d: d.width <= width)
    return max(best, 0)
