"""The graph pane: the DAG drawn left to right, values on the wires, gradients flowing back.

The drawing (columns, rows, wires) comes from ``backprop_tui.layout`` and is cached per
graph structure; each frame only overlays the visible nodes' labels and notes, reading the
session's state at render time, so a step costs O(visible) whatever the graph's size.
Past ``FULL_LIMIT`` nodes in f's cone, the pane shows the neighbourhood of the current
node instead of an unreadable whole.

Columns are only as wide as their widest label or note, so a small graph fits a narrow
pane. A note's room is what the node has needed so far (its value, its gradient), or a
guess while unknown; a note that outgrows its column redraws the layout (rows and order
stay, so only columns move), up to ``NOTE_MAX``, past which it is elided.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import deque
from collections.abc import Iterable

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Static

from ...labels import fmt_val, label
from ...layout import Layout, LayoutTooLarge, layout
from ...ops import CONST, INPUT, LITERAL, OP_INDEX
from ...session import Session
from ..messages import NodeSelected

FULL_LIMIT = 150  # nodes in f's cone drawn whole; above this, a neighbourhood
RADIUS = 4  # edges from the centre node
MAX_NEAR = 40  # nodes in a neighbourhood
FAN = 6  # consumers followed per node (x may feed thousands)
LABEL_MAX = 16
NOTE_MAX = 10  # widest note room: "=-0.197375" whole; wider numbers are elided
# Ops that keep integers integral: with integer leaves their notes stay as short as the
# leaves', so a column need not reserve room for six significant digits.
_INT_OPS = frozenset(OP_INDEX[k] for k in ("input", "const", "literal", "add", "sub", "mul",
                                           "neg", "powk", "relu", "abs"))
MARGIN = 2  # blank columns left of the drawing


def _elide(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


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
        o = s.prog.graph.op[i]
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
        g = s.prog.graph
        head = "f" if i == s.output else ""
        if not s.computed(i):
            return f"{head}=·", "graph-view--value-pending"
        in_cone = s.in_cone(i)
        if not backward or not g.takes_grad(i) or not in_cone:
            return _elide(f"{head}={fmt_val(g.value[i])}", room), "graph-view--value"
        grad = fmt_val(g.grad[i])
        if i in received:
            # before → after; without the ∂ when that is what fits (the style says it is a
            # gradient), else just the gradient, which the inspector details.
            text = f"∂{fmt_val(received[i])}→{grad}"
            if len(text) > room:
                text = text[1:] if len(text) - 1 <= room else _elide("∂" + grad, room)
            return text, "graph-view--contrib"
        if s.final(i):
            text = f"∂{grad}✓"
            return (text if len(text) <= room else _elide("∂" + grad, room)), "graph-view--final"
        text = f"∂{grad}…"  # … still accumulating; without it when short of room (the style says)
        return (text if len(text) <= room else _elide("∂" + grad, room)), "graph-view--grad"

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
        g = s.prog.graph
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


class GraphView(Vertical):
    """The graph pane: a one-line note and the scrolling drawing.

    ``update_view(session)`` after every command; a click on a node posts NodeSelected.
    """

    DEFAULT_CSS = """
    GraphView { height: 1fr; }
    GraphView > #graph-note { height: auto; color: $text-muted; padding: 0 1; }
    GraphView > #graph-note.-empty { display: none; }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._key: tuple | None = None  # (graph, size, names, output) the caches belong to
        self._full: Layout | None = None
        self._consumers: tuple[list[int], list[int]] | None = None  # CSR: starts, ids
        self._centre: int | None = None
        self._near: dict[int, int] = {}  # node -> distance from the centre
        self._last_current: int | None = -1
        self._last_pos = -1
        self._room: dict[int, int] = {}  # node -> note room it has needed (only grows)
        self._guess = NOTE_MAX  # room for a note whose number is not known yet
        self._pending: Session | None = None
        self.mode = "empty"  # "empty", "full" or "neighbourhood"
        self.note = ""

    def compose(self) -> ComposeResult:
        yield Static("", id="graph-note", classes="-empty")
        yield GraphCanvas()

    def on_mount(self) -> None:
        if self._pending is not None:
            self.update_view(self._pending)
            self._pending = None

    @property
    def canvas(self) -> GraphCanvas:
        return self.query_one(GraphCanvas)

    # -- the contract ---------------------------------------------------------------
    def update_view(self, session: Session) -> None:
        if not self.children:  # not composed yet: draw once mounted
            self._pending = session
            return
        canvas = self.canvas
        canvas.session = session
        g = session.prog.graph
        out = session.output
        if out is None:
            self._key = None
            self.mode = "empty"
            canvas.show(None, {}, set())
            self._set_note("no program yet: type an expression, e.g. x = 2; x^2 + 1")
            return
        key = (id(g), len(g), len(g.names), out)
        if key != self._key:
            self._key = key
            self._full = None
            self._consumers = None
            self._centre = None
            self._last_current = -1
            self._last_pos = session.pos
            self._room = {}
            self.mode = "full" if len(session.bwd) <= FULL_LIMIT else "neighbourhood"
            if self.mode == "full":
                self._guess = self._guess_room(session, session.bwd)
                self._draw_full(session)
        current = session.current()
        grew = self._outgrown(session)
        if self.mode == "full" and grew:
            self._draw_full(session)
        if self.mode == "neighbourhood":
            centre = out if current is None else current
            if self._centre is None or self._near.get(centre, RADIUS) > 1:
                self._draw_near(session, centre)
            elif grew:
                self._draw_near(session, self._centre)
        canvas.refresh()
        if current != self._last_current or grew:
            self._last_current = current
            # At the start, show the inputs (the top left), where the forward pass begins.
            target = self._first_leaf() if current is None else current
            if target is not None:
                self.call_after_refresh(canvas.scroll_to_node, target)

    def _first_leaf(self) -> int | None:
        d = self.canvas.drawing
        if d is None or not d.layers or not d.layers[0]:
            return None
        return d.layers[0][0]

    # -- note room --------------------------------------------------------------------
    def _guess_room(self, session: Session, nodes: list[int]) -> int:
        """Room for a number not computed yet: with integer leaves and ops that keep integers,
        as wide as the widest leaf's note; otherwise the most a note gets."""
        g = session.prog.graph
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
        return min(widest, NOTE_MAX)

    def _need(self, s: Session, i: int) -> int:
        """The room node i's note needs now, remembered: it never shrinks, so stepping back
        and forth does not redraw. The value's note, and the gradient's (without the ✓ and
        before → after, which show when the column has room)."""
        g = s.prog.graph
        need = self._room.get(i, 0)
        value = 1 + len(fmt_val(g.value[i])) if s.computed(i) else self._guess
        if i == s.output:
            value += 1  # "f="
        need = max(need, value)
        if g.takes_grad(i) and s.in_cone(i):
            grad = 1 + len(fmt_val(g.grad[i])) if s.in_backward else self._guess
            need = max(need, grad)
        need = min(need, NOTE_MAX)
        self._room[i] = need
        return need

    def _outgrown(self, session: Session) -> bool:
        """Whether a note changed since the last update needs a wider column.

        One step forward changes one node's value, or the gradients of one node's operands;
        one step back only shrinks notes. Anything else (a jump, or `:set x = 0.5` and a
        restart) checks every drawn node, with a fresh guess for the numbers not known."""
        d = self.canvas.drawing
        pos, last = session.pos, self._last_pos
        self._last_pos = pos
        if d is None or pos == last - 1:
            return False
        if pos == last + 1:
            cur = session.current()
            nodes: Iterable[int] = (
                [cur, *session.prog.graph.operands(cur)] if cur is not None else [])
        else:
            nodes = d.boxes
            self._guess = max(self._guess, self._guess_room(session, list(d.boxes)))
        for i in nodes:
            b = d.boxes.get(i)
            if b is not None and self._need(session, i) > b.width - 2:
                return True
        return False

    # -- drawings ---------------------------------------------------------------------
    def _labels(self, session: Session, nodes: list[int]) -> dict[int, str]:
        g = session.prog.graph
        return {i: _elide(label(g, i, LABEL_MAX), LABEL_MAX) for i in nodes}

    def _pull(self, session: Session, nodes: list[int]) -> set[int]:
        op = session.prog.graph.op
        return {i for i in nodes if op[i] == LITERAL or op[i] == CONST}

    def _draw_full(self, session: Session) -> None:
        g = session.prog.graph
        nodes = sorted(session.bwd)
        labels = self._labels(session, nodes)
        try:
            rooms = {i: self._need(session, i) for i in nodes}
            drawing = layout(nodes, g.operands, labels.__getitem__, pull=self._pull(session, nodes),
                             note_width=rooms.__getitem__)
        except LayoutTooLarge:  # too many long wires: fall back to a neighbourhood
            self.mode = "neighbourhood"
            return
        self._full = drawing
        self.canvas.show(drawing, labels, set())
        outside = len(g) - len(nodes)
        self._set_note(f"{outside} node{'s' * (outside != 1)} not used by f hidden" if outside else "")

    def _consumer_index(self, session: Session) -> tuple[list[int], list[int]]:
        """Who reads each node, as a CSR array; built once per graph structure (O(N))."""
        if self._consumers is None:
            g = session.prog.graph
            n = len(g)
            a, b = g.a, g.b
            count = [0] * (n + 1)
            for i in range(n):
                if a[i] >= 0:
                    count[a[i] + 1] += 1
                if b[i] >= 0 and b[i] != a[i]:
                    count[b[i] + 1] += 1
            for i in range(n):
                count[i + 1] += count[i]
            fill = count[:-1]
            ids = [0] * count[n]
            for i in range(n):
                if a[i] >= 0:
                    ids[fill[a[i]]] = i
                    fill[a[i]] += 1
                if b[i] >= 0 and b[i] != a[i]:
                    ids[fill[b[i]]] = i
                    fill[b[i]] += 1
            self._consumers = (count, ids)
        return self._consumers

    def _draw_near(self, session: Session, centre: int) -> None:
        g = session.prog.graph
        starts, ids = self._consumer_index(session)
        near = {centre: 0}
        queue = deque([centre])
        while queue and len(near) < MAX_NEAR:
            i = queue.popleft()
            dist = near[i]
            if dist >= RADIUS:
                continue
            lo, hi = starts[i], starts[i + 1]
            if hi - lo > FAN:  # a hub (x feeding thousands): its readers nearest the centre
                p = bisect_left(ids, centre, lo, hi)
                lo, hi = max(lo, p - 2 * FAN), min(hi, p + 2 * FAN)
            readers = sorted((c for c in ids[lo:hi] if session.in_cone(c)),
                             key=lambda c: abs(c - centre))[:FAN]
            for j in (*g.operands(i), *readers):
                if j not in near and len(near) < MAX_NEAR:
                    near[j] = dist + 1
                    queue.append(j)
        nodes = sorted(near)
        labels = self._labels(session, nodes)
        hidden = {i for i in nodes if any(j not in near for j in g.operands(i))}
        # Every source sits next to its first reader here: a neighbourhood is about
        # what is near the current node, and long wires from a far left column only clutter.
        self._guess = self._guess_room(session, nodes)
        rooms = {i: self._need(session, i) for i in nodes}
        drawing = layout(nodes, g.operands, labels.__getitem__, pull=near,
                         note_width=rooms.__getitem__, sweeps=2)
        self._centre = centre
        self._near = near
        self.canvas.show(drawing, labels, hidden)
        self._set_note(f"showing {len(nodes)} of {len(session.bwd):,} nodes around "
                       f"{labels[centre]}")

    def _set_note(self, text: str) -> None:
        self.note = text
        note = self.query_one("#graph-note", Static)
        note.update(text)
        note.set_class(not text, "-empty")
