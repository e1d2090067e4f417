"""The graph pane: the DAG drawn left to right, values on the wires, gradients flowing back.

The drawing (columns, rows, wires) comes from ``backprop_tui.layout`` and is cached per
graph structure, zoom level and folds; each frame only overlays the visible nodes' labels
and notes, reading the session's state at render time, so a step costs O(visible)
whatever the graph's size. Past ``FULL_LIMIT`` nodes in f's graph, the pane shows the
neighbourhood of the current node instead of an unreadable whole.

The zoom level (graph_zoom.LEVELS) is fitted to the pane until the user zooms: the
largest level that fits, so the seed fills a big window and a 30-node MLP shows whole at
120×36. Columns are only as wide as their widest label or note. A note's room is what the
node has needed so far (its value, its gradient), or a guess while unknown; a note that
outgrows its column redraws the layout (rows and order stay, so only columns move), up
to the level's widest note, past which it is elided.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.events import Resize
from textual.geometry import Region
from textual.widgets import Static

from ...commands.view import fold_of, folded_heads
from ...folding import Folded
from ...labels import fmt_val
from ...layout import Layout, LayoutTooLarge, layout
from ...neighbourhood import FAN, LIMIT, RADIUS, Consumers, cut_off, neighbourhood
from ...session import Session
from .graph_canvas import MARGIN, GraphCanvas
from .graph_zoom import DEFAULT, LEVELS, NOTE_MAX, Zoom, fit_level, guess_room, labels
from .legend import GraphLegend, legend_text

__all__ = ["FAN", "FULL_LIMIT", "KEEP", "MARGIN", "RADIUS", "GraphCanvas", "GraphView"]

FULL_LIMIT = 150  # nodes in f's graph drawn whole; above this, a neighbourhood
PAN = (8, 3)  # cells per pan key, across and down
KEEP = RADIUS - 2  # edges from a neighbourhood's centre within which it is kept
LEGEND_MIN_HEIGHT = 16  # a shorter pane has its legend on the border


class GraphView(Vertical):
    """The graph pane: a one-line note, the scrolling drawing and its legend.

    ``update_view(session)`` after every command; a click on a node posts NodeSelected.
    Public for the app and other views: zoom_by, fit, pan, toggle_outside, centre_on,
    highlight, clear_highlight.
    """

    DEFAULT_CSS = """
    GraphView { height: 1fr; }
    GraphView > #graph-note { height: auto; color: $text-muted; padding: 0 1; }
    GraphView > #graph-note.-empty { display: none; }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._key: tuple | None = None  # (graph, size, names, output, folds, outside)
        self._full: Layout | None = None
        self._consumers: Consumers | None = None  # f's graph, as CSR: built once per key
        self._f_nodes: list[int] = []  # the nodes drawn, in creation order, once per key
        self._folded = Folded([])
        self.centre: int | None = None  # of the neighbourhood drawn
        self.near: dict[int, int] = {}  # node -> distance from the centre
        self._last_current: int | None = -1
        self._last_pos = -1
        self._room: dict[int, int] = {}  # node -> note room it has needed (only grows)
        self._guess = NOTE_MAX  # room for a note whose number is not known yet
        self._pending: Session | None = None
        self._session: Session | None = None
        self._fitted: tuple[int, int] = (0, 0)  # the pane size the level was fitted to
        self._canvas: GraphCanvas | None = None
        self._legend_widget: GraphLegend | None = None
        self._subtitle = ""
        self._border_only = False  # a new subtitle: repaint the bottom border line alone
        # the fit's layouts by level, reused for the one it picks
        self._probes: dict[int, tuple[Layout, dict[int, str]]] = {}
        self.mode = "empty"  # "empty", "full" or "neighbourhood"
        self.note = ""
        self._note_shown = False
        self.level = DEFAULT
        self.auto = True  # fit the level to the pane until the user zooms
        self.show_outside = False  # draw the nodes outside f too, dimmed

    def compose(self) -> ComposeResult:
        yield Static("", id="graph-note", classes="-empty")
        yield GraphCanvas()
        yield GraphLegend()

    def on_mount(self) -> None:
        if self._pending is not None:
            self.update_view(self._pending)
            self._pending = None

    @property
    def canvas(self) -> GraphCanvas:
        if self._canvas is None:  # once: a frame asks for it several times
            self._canvas = self.query_one(GraphCanvas)
        return self._canvas

    @property
    def zoom(self) -> Zoom:
        return LEVELS[self.level]

    # -- the contract ---------------------------------------------------------------
    def update_view(self, session: Session) -> None:
        if not self.children:  # not composed yet: draw once mounted
            self._pending = session
            return
        self._session = session
        canvas = self.canvas
        canvas.session = session
        g = session.graph
        out = session.output
        if out is None:
            self._key = None
            self.mode = "empty"
            canvas.show(None, {}, set())
            self._set_note("no program yet: type an expression, e.g. x = 2; x^2 + 1")
            self._legend(session)
            return
        outside = self.show_outside and len(g) <= FULL_LIMIT
        key = (id(g), len(g), len(g.names), out, frozenset(folded_heads(session)), outside)
        if key != self._key:
            self._key = key
            self._full = None
            self._consumers = None
            self.centre = None
            self._last_current = -1
            self._last_pos = session.pos
            self._room = {}
            # once per structure: O(nodes)
            self._f_nodes = list(range(len(g))) if outside else session.nodes_of_f()
            self.mode = "full" if len(self._f_nodes) <= FULL_LIMIT else "neighbourhood"
            if self.mode == "full":
                self._guess = guess_room(session.graph, self._f_nodes)
                self._folded = fold_of(session, self._f_nodes)
                self._draw_fitted(session)
        current = session.current()
        grew = self._outgrown(session)
        if self.mode == "full" and grew:
            self._draw_full(session)
        drawn = False  # a new neighbourhood drawing: every line of it is repainted
        if self.mode == "neighbourhood":
            centre = out if current is None else current
            if self.centre is None or not self._still_near(session, centre):
                self._draw_near(session, centre)
                drawn = True
            elif grew:
                self._draw_near(session, self.centre)
        self._legend(session)
        if current != self._last_current or grew:
            self._last_current = current
            # At the start, show the inputs (the top left), where the forward pass begins.
            target = self._first_leaf() if current is None else current
            if target is not None and canvas.layout_due:
                self.call_after_refresh(canvas.scroll_to_node, target)
            elif target is not None:
                canvas.scroll_to_node(target, place=drawn)  # in this frame, not one after
        canvas.repaint()  # the lines that changed (all of them after a scroll)

    def _still_near(self, session: Session, node: int) -> bool:
        """Whether the neighbourhood drawn still shows `node` in its context: at most KEEP
        edges from the centre, with all its operands drawn. Re-centring on every other
        step of a chain cost a new layout and a repaint of every line (~3 ms); this way
        a chain is drawn anew every third step, and the drawing jumps less often."""
        near = self.near
        return near.get(node, RADIUS) <= KEEP and all(
            j in near for j in session.graph.operands(node))

    def _first_leaf(self) -> int | None:
        d = self.canvas.drawing
        if d is None or not d.layers or not d.layers[0]:
            return None
        return d.layers[0][0]

    def _legend(self, session: Session) -> None:
        """Under the drawing when the pane is tall enough, else on its bottom border (where
        it costs no line of the drawing, clipped to the width)."""
        canvas = self.canvas
        what = (session, self.zoom, bool(self._folded.heads) and self.mode == "full",
                bool(canvas.hidden), self.show_outside and self.mode == "full")
        if self._legend_widget is None:
            self._legend_widget = self.query_one(GraphLegend)
        legend = self._legend_widget
        roomy = self.size.height >= LEGEND_MIN_HEIGHT
        text = legend_text(*what, short=not roomy)
        shown = roomy and bool(text)
        if legend.display != shown:
            legend.display = shown
        if roomy:
            legend.show(text)
        subtitle = "" if roomy else text
        if subtitle != self._subtitle:
            self._subtitle = subtitle
            # Textual repaints the whole pane for a new subtitle: only its border line changes
            self._border_only = True
            try:
                self.border_subtitle = Content(subtitle)  # labels are user text
            finally:
                self._border_only = False

    def refresh(self, *regions: Region, repaint: bool = True, layout: bool = False,
                recompose: bool = False) -> GraphView:
        if self._border_only and not regions and not layout and not recompose:
            w, h = self.outer_size  # with the border
            ox, oy = self.content_offset  # regions are given relative to the content
            regions = (Region(-ox, h - 1 - oy, w, 1),) if h > 0 else ()
        super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)
        return self

    # -- keys and other views ---------------------------------------------------------
    def zoom_by(self, step: int) -> str:
        """One level in (+1) or out (-1); says the level it is at."""
        self.auto = False
        self.level = max(0, min(len(LEVELS) - 1, self.level + step))
        self._redraw()
        return f"zoom {self.level + 1}/{len(LEVELS)}: {self.zoom.name}"

    def fit(self) -> str:
        """Back to fitting the level to the pane."""
        self.auto = True
        self._fitted = (0, 0)
        self._redraw()
        return f"fitted: zoom {self.level + 1}/{len(LEVELS)}, {self.zoom.name}"

    def pan(self, dx: int, dy: int) -> None:
        self.canvas.scroll_relative(dx * PAN[0], dy * PAN[1], animate=False)

    def toggle_outside(self) -> str:
        self.show_outside = not self.show_outside
        self._key = None
        if self._session is not None:
            self.update_view(self._session)
            n = self._session.outside()
            if self.show_outside and len(self._session.graph) > FULL_LIMIT:
                return "too many nodes to draw the whole program: :nodes all lists them"
            return (f"showing the {n} node{'s' * (n != 1)} outside f, dimmed" if self.show_outside
                    else "nodes outside f hidden")
        return ""

    def centre_on(self, node: int) -> None:
        """Bring a node (a row picked in the table) to the middle of the pane."""
        s = self._session
        if s is None or self.mode == "empty":
            return
        if self.mode == "neighbourhood" and node not in self.near:
            if not s.in_cone(node):
                return
            self._draw_near(s, node)
        self.call_after_refresh(self.canvas.scroll_to_node, node, True)

    def highlight(self, nodes: Iterable[int], edges: Iterable[tuple[int, int]] = ()) -> None:
        """Mark nodes and wires (operand, consumer), e.g. the paths from an input to f.
        Folded nodes mark their box; wires inside a fold are not drawn."""
        canvas = self.canvas
        shown = canvas.shown
        canvas.path_nodes = {shown(i) for i in nodes}
        canvas.path_edges = {(shown(a), shown(b)) for a, b in edges if shown(a) != shown(b)}
        canvas.refresh()

    def clear_highlight(self) -> None:
        self.highlight(())

    def on_resize(self, event: Resize) -> None:
        if self._session is not None:
            self._legend(self._session)
        if self.auto and self.mode == "full" and self._session is not None:
            size = self.canvas.scrollable_content_region.size
            if (size.width, size.height) != self._fitted:
                self.call_after_refresh(self._redraw)

    def _redraw(self) -> None:
        s = self._session
        if s is None or self.mode == "empty":
            return
        if self.mode == "full":
            self._draw_fitted(s)
        else:
            self._draw_near(s, self.centre if self.centre is not None else s.output or 0)
        cur = s.current()
        target = self._first_leaf() if cur is None else cur
        if target is not None:
            self.call_after_refresh(self.canvas.scroll_to_node, target)
        self._legend(s)

    # -- note room --------------------------------------------------------------------
    def _need(self, s: Session, i: int) -> int:
        """The room node i's note needs now, remembered: it never shrinks, so stepping back
        and forth does not redraw. The value's note, and the gradient's (without the ✓ and
        before → after, which show when the column has room). The level clips it."""
        g = s.graph
        need = self._room.get(i, 0)
        value = 1 + len(fmt_val(g.value[i])) if s.computed(i) else self._guess
        if i == s.output:
            value += 1  # "f="
        need = max(need, value)
        if g.takes_grad(i) and s.in_cone(i):
            grad = 1 + len(fmt_val(g.grad[i])) if s.in_backward else self._guess
            need = max(need, grad)
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
        if d is None or pos == last - 1 or self.zoom.note == 0:
            return False
        if pos == last + 1:
            cur = session.current()
            nodes: Iterable[int] = (
                [cur, *session.graph.operands(cur)] if cur is not None else [])
        else:
            nodes = d.boxes
            self._guess = max(self._guess, guess_room(session.graph, list(d.boxes)))
        cap = self.zoom.note
        for i in nodes:
            b = d.boxes.get(self.canvas.shown(i))
            if b is not None and min(self._need(session, i) + self.zoom.extra, cap) > b.width - 2:
                return True
        return False

    # -- drawings ---------------------------------------------------------------------
    def _lay(self, session: Session, nodes: list[int], zoom: Zoom, pull: object,
             operands: object, sweeps: int = 4) -> tuple[Layout, dict[int, str]]:
        g = session.graph
        labs = labels(g, nodes, zoom, set(self._folded.heads) if self.mode == "full" else set())
        cap = zoom.note
        extra = zoom.extra
        rooms = {i: min(self._need(session, i) + extra, cap) if cap else 0 for i in nodes}
        drawing = layout(nodes, operands, labs.__getitem__, pull=pull,  # type: ignore[arg-type]
                         note_width=rooms.__getitem__, pitch=zoom.pitch, note_lines=zoom.lines,
                         gap=zoom.gap, sweeps=sweeps, record_routes=True)
        return drawing, labs

    def _draw_fitted(self, session: Session) -> None:
        """Draw at the largest level that fits the pane (when fitting), else the chosen one."""
        if not self.auto:
            self._draw_full(session)
            return
        size = self.canvas.scrollable_content_region.size
        w, h = size.width, size.height
        self._fitted = (w, h)
        if w <= 0 or h <= 0:
            self.level = DEFAULT
            self._draw_full(session)
            return
        self._probes = {}
        self.level = fit_level(lambda level: self._layout_at(session, level), w - MARGIN, h)
        self._draw_full(session, self._probes.pop(self.level, None))
        self._probes = {}

    def _layout_at(self, session: Session, level: int) -> Layout | None:
        nodes = self._folded.nodes
        g = session.graph
        try:
            probe = self._lay(session, nodes, LEVELS[level], self._pull(session, nodes),
                              self._folded.operands(g.operands))
        except LayoutTooLarge:
            return None
        self._probes[level] = probe
        return probe[0]

    def _pull(self, session: Session, nodes: list[int]) -> set[int]:
        """Every leaf sits next to its first reader, not all in column one."""
        g = session.graph
        return {i for i in nodes if g.is_leaf(i)}

    def _draw_full(self, session: Session,
                   done: tuple[Layout, dict[int, str]] | None = None) -> None:
        g = session.graph
        nodes = self._folded.nodes
        try:
            drawing, labs = done or self._lay(session, nodes, self.zoom, self._pull(session, nodes),
                                              self._folded.operands(g.operands))
        except LayoutTooLarge:  # too many long wires: fall back to a neighbourhood
            self.mode = "neighbourhood"
            return
        self._full = drawing
        self.canvas.show(drawing, labs, set(), self.zoom, self._folded.owner)
        outside = len(g) - len(self._f_nodes) if not self.show_outside else 0
        self._set_note(f"{outside} node{'s' * (outside != 1)} outside f hidden: :nodes all "
                       "lists them, ctrl+o draws them" if outside else "")

    def _draw_near(self, session: Session, centre: int) -> None:
        g = session.graph
        out = session.output
        if self._consumers is None and out is not None:
            self._consumers = g.consumers(out)  # O(N) once per structure, not per redraw
        near = neighbourhood(centre, g.operands, self._consumers or ([], []), RADIUS, LIMIT, FAN)
        nodes = sorted(near)
        hidden = cut_off(nodes, g.operands, near)
        # Every source sits next to its first reader here: a neighbourhood is about
        # what is near the current node, and long wires from a far left column only clutter.
        self._guess = guess_room(session.graph, nodes)
        self._folded = Folded(nodes)
        zoom = self.zoom if not self.auto else LEVELS[DEFAULT]
        if self.auto:
            self.level = DEFAULT
        drawing, labs = self._lay(session, nodes, zoom, near, g.operands, sweeps=2)
        self.centre = centre
        self.near = near
        self.canvas.show(drawing, labs, hidden, zoom)
        self._set_note(f"showing {len(nodes)} of {len(self._f_nodes):,} nodes around "
                       f"{labs[centre]}")

    def _set_note(self, text: str) -> None:
        if text == self.note and self._note_shown:
            return
        old, self.note = self.note, text
        self._note_shown = True
        note = self.query_one("#graph-note", Static)
        # A new text of one line for one line keeps the note's height: no layout pass.
        width = note.size.width
        same_height = bool(old) and bool(text) and 0 < max(cell_len(old), cell_len(text)) <= width
        note.update(Content(text), layout=not same_height)  # labels are the user's names: never markup
        note.set_class(not text, "-empty")

