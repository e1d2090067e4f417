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

from collections.abc import Iterable

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static

from ...labels import fmt_val, label
from ...layout import Layout, LayoutTooLarge, layout
from ...neighbourhood import FAN, LIMIT, RADIUS, Consumers, cut_off, neighbourhood
from ...ops import CONST, INPUT, LITERAL, OP_INDEX
from ...session import Session
from ...textutil import clip
from .graph_canvas import MARGIN, GraphCanvas

__all__ = ["FAN", "FULL_LIMIT", "MARGIN", "RADIUS", "GraphCanvas", "GraphView"]

FULL_LIMIT = 150  # nodes in f's cone drawn whole; above this, a neighbourhood
LABEL_MAX = 16
NOTE_MAX = 10  # widest note room: "=-0.197375" whole; wider numbers are elided
# Ops that keep integers integral: with integer leaves their notes stay as short as the
# leaves', so a column need not reserve room for six significant digits.
_INT_OPS = frozenset(OP_INDEX[k] for k in ("input", "const", "literal", "add", "sub", "mul",
                                           "neg", "powk", "relu", "abs"))


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
        self._key: tuple[int, int, int, int] | None = None  # (graph, size, names, output)
        self._full: Layout | None = None
        self._consumers: Consumers | None = None  # f's graph, as CSR: built once per key
        self._f_nodes: list[int] = []  # f's graph in creation order, once per key
        self.centre: int | None = None  # of the neighbourhood drawn
        self.near: dict[int, int] = {}  # node -> distance from the centre
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
        g = session.graph
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
            self.centre = None
            self._last_current = -1
            self._last_pos = session.pos
            self._room = {}
            self._f_nodes = session.nodes_of_f()  # once per structure: O(nodes)
            self.mode = "full" if len(self._f_nodes) <= FULL_LIMIT else "neighbourhood"
            if self.mode == "full":
                self._guess = self._guess_room(session, self._f_nodes)
                self._draw_full(session)
        current = session.current()
        grew = self._outgrown(session)
        if self.mode == "full" and grew:
            self._draw_full(session)
        if self.mode == "neighbourhood":
            centre = out if current is None else current
            if self.centre is None or self.near.get(centre, RADIUS) > 1:
                self._draw_near(session, centre)
            elif grew:
                self._draw_near(session, self.centre)
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
        g = session.graph
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
        g = s.graph
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
                [cur, *session.graph.operands(cur)] if cur is not None else [])
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
        g = session.graph
        return {i: clip(label(g, i, LABEL_MAX), LABEL_MAX) for i in nodes}

    def _pull(self, session: Session, nodes: list[int]) -> set[int]:
        op = session.graph.op
        return {i for i in nodes if op[i] == LITERAL or op[i] == CONST}

    def _draw_full(self, session: Session) -> None:
        g = session.graph
        nodes = self._f_nodes
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
        self._set_note(f"{outside} node{'s' * (outside != 1)} outside f hidden: :nodes all lists them"
                       if outside else "")

    def _draw_near(self, session: Session, centre: int) -> None:
        g = session.graph
        out = session.output
        if self._consumers is None and out is not None:
            self._consumers = g.consumers(out)  # O(N) once per structure, not per redraw
        near = neighbourhood(centre, g.operands, self._consumers or ([], []), RADIUS, LIMIT, FAN)
        nodes = sorted(near)
        labels = self._labels(session, nodes)
        hidden = cut_off(nodes, g.operands, near)
        # Every source sits next to its first reader here: a neighbourhood is about
        # what is near the current node, and long wires from a far left column only clutter.
        self._guess = self._guess_room(session, nodes)
        rooms = {i: self._need(session, i) for i in nodes}
        drawing = layout(nodes, g.operands, labels.__getitem__, pull=near,
                         note_width=rooms.__getitem__, sweeps=2)
        self.centre = centre
        self.near = near
        self.canvas.show(drawing, labels, hidden)
        self._set_note(f"showing {len(nodes)} of {len(self._f_nodes):,} nodes around "
                       f"{labels[centre]}")

    def _set_note(self, text: str) -> None:
        self.note = text
        note = self.query_one("#graph-note", Static)
        note.update(Content(text))  # labels are the user's names: never markup
        note.set_class(not text, "-empty")
