"""The graph pane's drawing: the cached layout of ``backprop_tui.layout`` with each visible
node's label chip and notes (value going forward, gradient going back) overlaid at render
time from the session's public queries, so a frame costs O(visible) at any graph size.

Wires can be marked: the ones the last backward step pushed along (with the local
derivative written on them where it fits) and a highlighted set (``:path``). A drawing
smaller than the pane is centred in it.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Size
from textual.strip import Strip

from ...labels import fmt_val
from ...layout import Layout
from ...ops import CONST, INPUT, LITERAL
from ...session import Session
from ...textutil import clip
from ..messages import NodeSelected
from .graph_zoom import LEVELS, Zoom
from .line_diff import LineDiffView

MARGIN = 2  # least blank columns left of the drawing

Overlay = dict[int, dict[int, tuple[str, str]]]  # line -> x -> (character, component)
WIRE = "graph-view--wire"
MADE_MAX = 512  # strips kept by their parts (a few frames' worth)


@dataclass(frozen=True)
class _Frame:
    """What every line of a frame reads, read once per frame."""

    sx: int
    sy: int
    width: int
    ox: int
    oy: int
    current: int | None  # the box showing the current node
    operands: tuple[int, ...]  # the boxes showing its operands
    received: dict[int, float]
    marks: Overlay


class GraphCanvas(LineDiffView, can_focus=False):
    """The scrolling drawing. Not focusable: arrow keys stay the app's step keys.
    After a step the view calls ``repaint()``: only the lines that changed are redrawn."""

    COMPONENT_CLASSES = {
        "graph-view--wire", "graph-view--pending", "graph-view--computed",
        "graph-view--input", "graph-view--const", "graph-view--current",
        "graph-view--operand", "graph-view--output", "graph-view--value",
        "graph-view--value-pending", "graph-view--grad", "graph-view--final",
        "graph-view--contrib", "graph-view--outside", "graph-view--pushed",
        "graph-view--path",
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
    GraphCanvas > .graph-view--outside { color: $foreground-darken-3; text-style: dim italic; }
    GraphCanvas > .graph-view--pushed { color: $text-warning; text-style: bold; }
    GraphCanvas > .graph-view--path { color: $text-accent; text-style: bold; }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.session: Session | None = None
        self.drawing: Layout | None = None
        self.labels: dict[int, str] = {}
        self.hidden: set[int] = set()  # nodes with operands outside the drawing
        self.zoom: Zoom = LEVELS[2]
        self.owner: dict[int, int] = {}  # a folded node -> the box that shows it
        self.path_nodes: set[int] = set()
        self.path_edges: set[tuple[int, int]] = set()
        self._styles: dict[str, Style] = {}
        self._overlay: tuple[tuple, Overlay] = ((), {})
        self.layout_due = False  # the last show() changed the scrollbars: lay out first
        self._made: dict[tuple, Strip] = {}  # (parts, scroll x, width) -> its strip

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = {}  # theme or CSS changed
        self._made = {}

    def _style(self, name: str) -> Style:
        """A component's style ("" for the widget's own); cached, as resolving one walks
        the DOM and a frame asks for hundreds."""
        style = self._styles.get(name)
        if style is None:
            style = self.get_component_rich_style(name) if name else self.rich_style
            self._styles[name] = style
        return style

    # -- state from the view --------------------------------------------------------
    def show(self, drawing: Layout | None, labels: dict[int, str], hidden: set[int],
             zoom: Zoom | None = None, owner: dict[int, int] | None = None) -> None:
        self.drawing = drawing
        self.labels = labels
        self.hidden = hidden
        if zoom is not None:
            self.zoom = zoom
        self.owner = owner or {}
        self._overlay = ((), {})
        self.layout_due = self._resize_virtual()
        if self.layout_due:
            self.call_after_refresh(self._laid_out)
        self.refresh()

    def _laid_out(self) -> None:
        self.layout_due = False

    def _resize_virtual(self) -> bool:
        """Fit the scrollable size to the drawing; returns whether a layout pass is due
        first (before which scrolling to a node would be clamped to the old size)."""
        d = self.drawing
        if d is None:
            return self.set_virtual_size(Size(0, 0))
        ox, oy = self.origin
        return self.set_virtual_size(Size(d.width + ox, d.height + oy))

    def on_resize(self, event: events.Resize) -> None:
        self._resize_virtual()

    @property
    def origin(self) -> tuple[int, int]:
        """Where the drawing's (0, 0) is on the canvas: centred when it is smaller."""
        d = self.drawing
        if d is None:
            return MARGIN, 0
        # From the outer size (cheap, and asked once per line): a scrollbar only shows
        # along an axis the drawing overflows, where the origin is at the edge anyway.
        w, h = self.size
        wide, tall = d.width + MARGIN > w, d.height > h
        w -= tall  # the other axis's scrollbar, one cell (scrollbar-size: 1 1)
        h -= wide
        return max(MARGIN, (w - d.width) // 2), max(0, (h - d.height) // 2)

    def shown(self, node: int) -> int:
        return self.owner.get(node, node)

    def scroll_to_node(self, node: int, centre: bool = False, place: bool = False) -> None:
        """Scroll (without animation) just enough to show the node's label and notes;
        `centre`: bring it to the middle unless it is in view already; `place`: where it
        would come into view (a third of the way in), even if it is in view (a new
        drawing, all of it repainted anyway: the next steps then stay in view longer)."""
        d = self.drawing
        node = self.shown(node)
        if d is None or node not in d.boxes:
            return
        b = d.boxes[node]
        w, h = self.scrollable_content_region.size
        if w <= 0 or h <= 0:
            return
        ox, oy = self.origin
        sx, sy = self.scroll_offset
        x0, x1 = b.x + ox, b.x + ox + min(b.width, w)
        y0, y1 = b.y + oy, b.y + oy + 1 + self.zoom.lines
        visible = sx <= x0 and x1 <= sx + w and sy <= y0 and y1 <= sy + h
        if visible and not place:
            return
        if place:  # a third of the way in across, the middle down
            nx = 0 if x1 <= w else max(0, x0 - w // 3)
            ny = max(0, y0 - (h - (y1 - y0)) // 2)
        elif centre:
            nx, ny = max(0, x0 - (w - b.width) // 2), max(0, y0 - h // 2)
        else:
            # Bring it a third of the way in (or back to the edge, when it fits from there).
            nx = sx if sx <= x0 and x1 <= sx + w else 0 if x1 <= w else max(0, x0 - w // 3)
            ny = sy if sy <= y0 and y1 <= sy + h else 0 if y1 <= h else max(0, y0 - h // 2)
        if (nx, ny) != (sx, sy):
            self.scroll_to(nx, ny, animate=False)

    # -- notes --------------------------------------------------------------------
    def _chip(self, s: Session, i: int, current: int | None, operands: tuple[int, ...]) -> str:
        if i == current:
            return "graph-view--current"
        if i in operands:
            return "graph-view--operand"
        if i in self.path_nodes:
            return "graph-view--path"
        if not s.in_cone(i):
            return "graph-view--outside"
        o = s.graph.op[i]
        if o == INPUT:
            return "graph-view--input"
        if o in (CONST, LITERAL):
            return "graph-view--const"
        if i == s.output and s.computed(i):
            return "graph-view--output"
        return "graph-view--computed" if s.computed(i) else "graph-view--pending"

    def _value_note(self, s: Session, i: int, room: int) -> tuple[str, str]:
        g = s.graph
        head = "f" if i == s.output else ""
        if not s.computed(i):
            return f"{head}=·", "graph-view--value-pending" if s.in_cone(i) else "graph-view--outside"
        if not s.in_cone(i):  # a full pass's value at the current inputs, never a gradient
            return clip(f"={fmt_val(g.value[i])}", room), "graph-view--outside"
        if s.mode == "forward":
            # Forward mode: the tangent this pass carries on the wire (ẋ = ∂node/∂seed), the
            # value when there is no room for both; the inspector has the rule with numbers.
            tangent = s.tangent(i)
            if tangent is not None:
                both = f"{head}={fmt_val(g.value[i])} ẋ{fmt_val(tangent)}"
                text = both if len(both) <= room else clip(f"ẋ{fmt_val(tangent)}", room)
                return text, "graph-view--contrib"
        return clip(f"{head}={fmt_val(g.value[i])}", room), "graph-view--value"

    def _grad_note(self, s: Session, i: int, received: dict[int, float],
                   room: int) -> tuple[str, str] | None:
        g = s.graph
        if not s.in_backward or not g.takes_grad(i) or not s.in_cone(i) or s.mode == "forward":
            return None
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

    def _note(self, s: Session, i: int, line: int, received: dict[int, float],
              room: int) -> tuple[str, str]:
        """The text on a node's note line (1: under the label, on its outgoing wire; 2: the
        line below) and its style. With one note line the gradient replaces the value."""
        if self.zoom.lines == 2:
            if line == 1:
                return self._value_note(s, i, room)
            grad = self._grad_note(s, i, received, room)
            return grad if grad is not None else ("", "graph-view--value")
        grad = self._grad_note(s, i, received, room)
        return grad if grad is not None else self._value_note(s, i, room)

    # -- marked wires ---------------------------------------------------------------
    def _overlays(self, s: Session) -> Overlay:
        """Wire cells drawn in another style, per line: the pushed wires (with ×d where it
        fits) and the highlighted path. Built once per step, O(cells of those wires)."""
        d = self.drawing
        current = s.current()
        key = (id(d), s.pos, current, id(self.path_edges), len(self.path_edges))
        if self._overlay[0] == key:
            return self._overlay[1]
        out: Overlay = {}
        routes = d.routes if d is not None else None
        if routes:
            for e in self.path_edges:
                for x, y in routes.get(e, ()):
                    out.setdefault(y, {})[x] = ("", "graph-view--path")
            received = s.received() if current is not None else {}
            if received and current is not None:
                c = self.shown(current)
                for ld in s.local_derivatives(current):
                    o = self.shown(ld.operand)
                    cells = routes.get((o, c))
                    if ld.operand not in received or not cells:
                        continue
                    for x, y in cells:
                        out.setdefault(y, {})[x] = ("", "graph-view--pushed")
                    self._write_on(out, cells, "×" + fmt_val(ld.value))
        self._overlay = (key, out)
        return out

    def _write_on(self, out: Overlay, cells: list[tuple[int, int]], text: str) -> None:
        """Write text on the longest straight, free stretch of a wire, if it fits there."""
        d = self.drawing
        assert d is not None
        best: list[tuple[int, int]] = []
        run: list[tuple[int, int]] = []
        for x, y in cells:
            free = d.lines[y][x] == "─" and d.node_at(x, y) is None
            if free and run and run[-1][1] == y and run[-1][0] == x - 1:
                run.append((x, y))
            else:
                run = [(x, y)] if free else []
            if len(run) > len(best):
                best = list(run)
        if len(best) >= len(text) + 1:
            start = (len(best) - len(text)) // 2
            for k, ch in enumerate(text):
                x, y = best[start + k]
                out[y][x] = (ch, "graph-view--pushed")

    # -- rendering ------------------------------------------------------------------
    def _view_key(self) -> object:
        return (self.scroll_offset, self.scrollable_content_region.size, self.origin,
                id(self.drawing))

    def _make_frame(self) -> _Frame:
        sx, sy = self.scroll_offset
        ox, oy = self.origin
        s = self.session
        current = s.current() if s is not None else None
        operands: tuple[int, ...] = ()
        received: dict[int, float] = {}
        if s is not None and current is not None:
            operands = tuple(self.shown(j) for j in s.graph.operands(current))
            received = s.received()
            current = self.shown(current)
        marks = self._overlays(s) if s is not None else {}
        return _Frame(sx, sy, self.scrollable_content_region.width, ox, oy, current, operands,
                      received, marks)

    def _line(self, y: int) -> Strip:
        f = self._frame if isinstance(self._frame, _Frame) else self._make_frame()
        d, s = self.drawing, self.session
        vy = f.sy + y - f.oy
        if d is None or s is None or not 0 <= vy < d.height:
            return Strip.blank(f.width, self._style(""))
        current, operands, received = f.current, f.operands, f.received
        marks = f.marks.get(vy, {})
        line = d.lines[vy]
        # The line as (text, component) parts first: a line that looks as before is the
        # strip made before (most lines of a step), without building segments again.
        parts: list[tuple[str, str]] = [(" " * f.ox, WIRE)]
        add = parts.append

        def wires(a: int, b: int) -> None:
            if not marks:
                add((line[a:b], WIRE))
                return
            for x in range(a, b):
                mark = marks.get(x)
                add((line[x], WIRE) if mark is None else (mark[0] or line[x], mark[1]))

        at = 0  # position in `line` already emitted
        for node in d.line_boxes[vy]:
            b = d.boxes[node]
            k = vy - b.y
            if k == 0:
                # A chip's leading blank becomes "⋯" when operands are off the drawing.
                lead = "⋯" if node in self.hidden else " "
                text = f"{lead}{self.labels.get(node, '?')} "
                cls = self._chip(s, node, current, operands)
                x0 = b.x
            else:
                if self.zoom.note == 0:
                    continue  # the overview: no numbers, the wire shows
                note, cls = self._note(s, node, k, received, b.width - 2)
                if not note:
                    continue
                text = note + " "
                x0 = b.x + 1
            if x0 > at:
                wires(at, x0)
            add((text, cls))
            at = x0 + len(text)
        if at < len(line):
            wires(at, len(line))
        key = (tuple(parts), f.sx, f.width)
        strip = self._made.get(key)
        if strip is None:
            if len(self._made) >= MADE_MAX:
                self._made.clear()
            style = self._style
            # neighbours in one style as one segment: Textual filters and writes each
            strip = Strip([Segment(text, style(cls)) for text, cls in parts]).simplify()
            strip = strip.crop(f.sx, f.sx + f.width).extend_cell_length(f.width, style(""))
            self._made[key] = strip
        return strip

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or self.drawing is None:
            return
        sx, sy = self.scroll_offset
        ox, oy = self.origin
        node = self.drawing.node_at(offset.x + sx - ox, offset.y + sy - oy)
        if node is not None:
            event.stop()
            self.post_message(NodeSelected(node))
