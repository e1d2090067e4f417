"""The graph pane's drawing: the cached layout of ``backprop_tui.layout`` with each visible
node's label chip and note (value going forward, gradient going back) overlaid at render
time from the session's public queries, so a frame costs O(visible) at any graph size.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ...labels import fmt_val
from ...layout import Layout
from ...ops import CONST, INPUT, LITERAL
from ...session import Session
from ...textutil import clip
from ..messages import NodeSelected

MARGIN = 2  # blank columns left of the drawing


class GraphCanvas(ScrollView, can_focus=False):
    """The scrolling drawing. Not focusable: arrow keys stay the app's step keys."""

    COMPONENT_CLASSES = {
        "graph-view--wire",
        "graph-view--pending",
        "graph-view--computed",
        "graph-view--input",
        "graph-view--const",
        "graph-view--current",
        "graph-view--operand",
        "graph-view--output",
        "graph-view--value",
        "graph-view--value-pending",
        "graph-view--grad",
        "graph-view--final",
        "graph-view--contrib",
    }

    DEFAULT_CSS = """
    GraphCanvas {
        height: 1fr;
        scrollbar-size: 1 1;
    }
    GraphCanvas > .graph-view--wire { color: $text-muted; }
    GraphCanvas > .graph-view--pending { color: $text-disabled; background: $panel; }
    GraphCanvas > .graph-view--computed { color: $text; background: $primary-muted; text-style: bold; }
    GraphCanvas > .graph-view--input { color: $text; background: $success-muted; text-style: bold; }
    GraphCanvas > .graph-view--const { color: $text-muted; background: $panel; }
    GraphCanvas > .graph-view--current { color: auto 90%; background: $warning; text-style: bold; }
    GraphCanvas > .graph-view--operand { color: $text; background: $warning-muted; text-style: bold; }
    GraphCanvas > .graph-view--output { color: $text; background: $accent-muted; text-style: bold underline; }
    GraphCanvas > .graph-view--value { color: $text; }
    GraphCanvas > .graph-view--value-pending { color: $text-disabled; }
    GraphCanvas > .graph-view--grad { color: $text-muted; text-style: italic; }
    GraphCanvas > .graph-view--final { color: $text-success; text-style: bold; }
    GraphCanvas > .graph-view--contrib { color: $text-warning; text-style: bold; }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.session: Session | None = None
        self.drawing: Layout | None = None
        self.labels: dict[int, str] = {}
        self.hidden: set[int] = set()  # nodes with operands outside the drawing
        self._styles: dict[str, Style] = {}

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = {}  # theme or CSS changed

    def _style(self, name: str) -> Style:
        """A component's style ("" for the widget's own); cached, as resolving one walks
        the DOM and a frame asks for hundreds."""
        style = self._styles.get(name)
        if style is None:
            style = self.get_component_rich_style(name) if name else self.rich_style
            self._styles[name] = style
        return style

    # -- state from the view --------------------------------------------------------
    def show(self, drawing: Layout | None, labels: dict[int, str], hidden: set[int]) -> None:
        self.drawing = drawing
        self.labels = labels
        self.hidden = hidden
        if drawing is None:
            self.virtual_size = Size(0, 0)
        else:
            self.virtual_size = Size(drawing.width + MARGIN, drawing.height)
        self.refresh()

    def scroll_to_node(self, node: int) -> None:
        """Scroll (without animation) just enough to show the node's label and note."""
        d = self.drawing
        if d is None or node not in d.boxes:
            return
        b = d.boxes[node]
        w, h = self.scrollable_content_region.size
        if w <= 0 or h <= 0:
            return
        sx, sy = self.scroll_offset
        x0, x1 = b.x + MARGIN, b.x + MARGIN + min(b.width, w)
        y0, y1 = b.y, b.y + 2
        # Leave the view alone while the node is visible; else bring it a third of the way
        # in (or back to the edge, when the node fits from there).
        nx = sx if sx <= x0 and x1 <= sx + w else 0 if x1 <= w else max(0, x0 - w // 3)
        ny = sy if sy <= y0 and y1 <= sy + h else 0 if y1 <= h else max(0, y0 - h // 2)
        if (nx, ny) != (sx, sy):
            self.scroll_to(nx, ny, animate=False)

    # -- rendering ------------------------------------------------------------------
    def _chip(self, s: Session, i: int, current: int | None, operands: tuple[int, ...]) -> str:
        if i == current:
            return "graph-view--current"
        if i in operands:
            return "graph-view--operand"
        o = s.graph.op[i]
        if o == INPUT:
            return "graph-view--input"
        if o in (CONST, LITERAL):
            return "graph-view--const"
        if i == s.output and s.computed(i):
            return "graph-view--output"
        return "graph-view--computed" if s.computed(i) else "graph-view--pending"

    def _note(self, s: Session, i: int, backward: bool, received: dict[int, float],
              room: int) -> tuple[str, str]:
        """The text under a node's label (on its outgoing wire) and its style."""
        g = s.graph
        head = "f" if i == s.output else ""
        if not s.computed(i):
            return f"{head}=·", "graph-view--value-pending"
        in_cone = s.in_cone(i)
        if s.mode == "forward" and in_cone:
            # Forward mode: the tangent this pass carries on the wire (ẋ = ∂node/∂seed), the
            # value when there is no room for both; the inspector has the rule with numbers.
            tangent = s.tangent(i)
            if tangent is not None:
                both = f"{head}={fmt_val(g.value[i])} ẋ{fmt_val(tangent)}"
                text = both if len(both) <= room else clip(f"ẋ{fmt_val(tangent)}", room)
                return text, "graph-view--contrib"
        if not backward or not g.takes_grad(i) or not in_cone:
            return clip(f"{head}={fmt_val(g.value[i])}", room), "graph-view--value"
        grad = fmt_val(g.grad[i])
        if i in received:
            # before → after; without the ∂ when that is what fits (the style says it is a
            # gradient), else just the gradient, which the inspector details.
            text = f"∂{fmt_val(received[i])}→{grad}"
            if len(text) > room:
                text = text[1:] if len(text) - 1 <= room else clip("∂" + grad, room)
            return text, "graph-view--contrib"
        if s.final(i):
            text = f"∂{grad}✓"
            return (text if len(text) <= room else clip("∂" + grad, room)), "graph-view--final"
        text = f"∂{grad}…"  # … still accumulating; without it when short of room (the style says)
        return (text if len(text) <= room else clip("∂" + grad, room)), "graph-view--grad"

    def render_line(self, y: int) -> Strip:
        sx, sy = self.scroll_offset
        width = self.scrollable_content_region.width
        base = self._style("")
        d, s = self.drawing, self.session
        vy = sy + y
        if d is None or s is None or vy >= d.height:
            return Strip.blank(width, base)
        style = self._style
        wire = style("graph-view--wire")
        g = s.graph
        current = s.current()
        backward = s.in_backward
        operands: tuple[int, ...] = ()
        received: dict[int, float] = {}
        if current is not None:
            operands = g.operands(current)
            received = s.received()
        line = d.lines[vy]
        segs: list[Segment] = []
        at = 0  # position in `line` already emitted
        for node in d.line_boxes[vy]:
            b = d.boxes[node]
            if vy == b.y:
                # A chip's leading blank becomes "⋯" when operands are off the drawing.
                lead = "⋯" if node in self.hidden else " "
                text = f"{lead}{self.labels.get(node, '?')} "
                sty = style(self._chip(s, node, current, operands))
                x0 = b.x
            else:
                note, cls = self._note(s, node, backward, received, b.width - 2)
                text = note + " "
                sty = style(cls)
                x0 = b.x + 1
            if x0 > at:
                segs.append(Segment(line[at:x0], wire))
            segs.append(Segment(text, sty))
            at = x0 + len(text)
        if at < len(line):
            segs.append(Segment(line[at:], wire))
        segs.insert(0, Segment(" " * MARGIN, wire))
        strip = Strip(segs).crop(sx, sx + width)
        return strip.extend_cell_length(width, base)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or self.drawing is None:
            return
        sx, sy = self.scroll_offset
        node = self.drawing.node_at(offset.x + sx - MARGIN, offset.y + sy)
        if node is not None:
            event.stop()
            self.post_message(NodeSelected(node))
