"""The graph's legend: one or two lines under the drawing that explain the symbols it is
using right now (values going forward, gradients going back, marks, folds) and the keys
that move it. Written from the session's public queries; plain text, never markup.
"""

from __future__ import annotations

from textual.content import Content
from textual.widget import Widget

from ...labels import fmt_val, label, wrt
from ...session import Session
from .graph_zoom import FOLD_MARK, Zoom

KEYS = "alt+arrows pan · ctrl+↑/↓ zoom · ctrl+l fit"


class GraphLegend(Widget):
    """Two fixed lines: a new text repaints only them (a Static's update would lay out the
    whole screen, on every step)."""

    DEFAULT_CSS = """
    GraphLegend { height: 2; color: $text-muted; padding: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.text = ""

    def show(self, text: str) -> None:
        if text != self.text:
            self.text = text
            self.refresh()

    def render(self) -> Content:
        return Content(self.text)  # labels are the user's names: never markup


def pushed_text(s: Session, short: bool = False) -> str:
    """What the backward step just taken pushed: the local derivative on each wire."""
    cur = s.current()
    received = s.received() if cur is not None else {}
    if cur is None or not received:
        return ""
    g = s.graph
    parts = []
    for d in s.local_derivatives(cur):
        if d.operand in received and g.takes_grad(d.operand):
            rule = f"∂{wrt(label(g, cur, 16))}/∂{wrt(d.operand_label)}"
            num = fmt_val(d.value)
            tail = f" = {num}" if d.text != num else ""
            parts.append(f"×{num} = {rule}" if short else f"{rule} = {d.text}{tail}")
    if not parts:
        return ""
    if short:
        return "bold wires " + ", ".join(parts)
    return "bold wires: just pushed, × the local derivative " + "; ".join(parts)


def legend_text(s: Session, zoom: Zoom, folds: bool, cut: bool, outside: bool,
                short: bool = False) -> str:
    """The symbols the drawing uses now, then the keys; `short`: the symbols, tersely (for
    the pane's border)."""
    if s.output is None:
        return ""
    if short:
        return _short(s, zoom, folds, cut, outside)
    parts: list[str] = []
    if zoom.note == 0:
        parts.append("overview: names and operators; ctrl+↑ for the numbers")
    elif s.mode == "forward":
        parts.append("=v value · =· not computed yet · ẋt the tangent ∂node/∂seed")
    elif not s.in_backward:
        parts.append("=v value · =· not computed yet · f= the output")
    else:
        where = "=v value, ∂g under it" if zoom.lines == 2 else "∂g replaces =v"
        parts.append(f"{where}: ∂g = ∂f/∂node · … still summing · ✓ final · a→b just arrived")
        pushed = pushed_text(s)
        if pushed:
            parts.append(pushed)
    if folds:
        parts.append(f"{FOLD_MARK} folded (ctrl+t, :unfold)")
    if cut:
        parts.append("⋯ reads nodes not drawn")
    if outside:
        parts.append("dim: outside f (ctrl+o hides)")
    parts.append(KEYS)
    return " · ".join(parts)


def _short(s: Session, zoom: Zoom, folds: bool, cut: bool, outside: bool) -> str:
    if zoom.note == 0:
        parts = ["overview: ctrl+↑ for numbers"]
    elif s.mode == "forward":
        parts = ["=value", "=· not yet", "ẋ tangent"]
    elif not s.in_backward:
        parts = ["=value", "=· not yet"]
    else:
        pushed = pushed_text(s, short=True)
        parts = [pushed] if pushed else []
        parts += ["∂ ∂f/∂node", "… summing", "✓ final", "a→b arrived"]
    if folds:
        parts.append(f"{FOLD_MARK} folded")
    if cut:
        parts.append("⋯ more")
    if outside:
        parts.append("dim: outside f")
    return " · ".join(parts)
