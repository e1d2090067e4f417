"""The graph pane's zoom levels and the labels each draws. No textual here.

From the whole picture to the details: level 0 is the overview (names and operators only,
no numbers: a 30-node MLP fits 120×36 whole), 1 adds the numbers, 2 is the subexpressions
with their numbers, 3 and up put the value and the gradient on two lines and spread out.
Fitting picks the largest level that fits the pane.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...graph import Graph
from ...labels import ELLIPSIS, label
from ...ops import OPS
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
)
DEFAULT = 2  # before the pane has a size
FOLD_MARK = "⊞"


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
    return op.symbol or op.name


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
    for h in folded:
        if h in out:
            out[h] = FOLD_MARK + out[h]
    return out
