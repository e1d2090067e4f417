"""The node table: every node in topological order, virtualised with the Line API.

Textual's DataTable measures every cell up front (~12 s to first paint 100k rows); this
view renders only the visible rows from the session's arrays at paint time, so first paint
and every step cost O(visible rows) at any graph size.

Sorted (:sort, Ctrl+S) or filtered (:filter), the rows are a permutation or a subset of
the nodes (`order`); the table keeps the sort key and the filter and asks the session again
(commands.search) when the program, f, an input or the last check changes. A search (/TEXT,
:find) moves the cursor to its match.
"""

from __future__ import annotations

from array import array

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.reactive import reactive
from textual.strip import Strip

from ...commands import search
from ...events import Check, CheckRow
from ...events_search import SortKey
from ...graph import EvalError
from ...labels import fmt_val, kind_name, label
from ...registry import CommandError
from ...session import Session
from ...textutil import clip
from ..messages import NodeSelected
from .line_diff import LineDiffView

# (title, width, right-aligned). The label column takes what the pane leaves (LABEL_MIN to
# LABEL_MAX); the most useful columns come first, the op last, so a narrow pane shows id,
# label, value and gradient and scrolls sideways for the rest.
COLUMNS: tuple[tuple[str, int, bool], ...] = (
    ("id", 6, True),
    ("label", 0, False),
    ("value", 11, True),
    ("gradient", 12, True),
    ("FD estimate", 11, True),
    ("verdict", 7, False),
    ("op", 8, False),
)
LABEL_MIN, LABEL_MAX = 8, 24
_SEP = " "
_FIXED = sum(w for _, w, _ in COLUMNS) + len(_SEP) * (len(COLUMNS) - 1) + 2
VERDICTS = {"pass": "pass", "fail": "FAIL", "kink": "kink"}
MADE_MAX = 512  # rows kept drawn (a few frames' worth)
# The column a sort key marks, and its title then (▼: largest first).
SORTED_COLUMN = {"grad": ("gradient", "gradient▼"), "value": ("value", "value▼"),
                 "error": ("FD estimate", "FD error▼"), "op": ("op", "op▼")}


def _cell(text: str, width: int, right: bool) -> str:
    text = clip(text, width)
    return text.rjust(width) if right else text.ljust(width)


class NodeTable(LineDiffView, can_focus=True, inherit_bindings=False):
    """Rows are nodes. ``update_view(session)`` after every command; Enter or a click on a
    row posts NodeSelected. Left/right are not bound, so they stay the app's step keys."""

    BINDINGS = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "jump(0)", "First", show=False),
        Binding("end", "jump(-1)", "Last", show=False),
        Binding("enter", "select", "Inspect", show=False),
    ]

    COMPONENT_CLASSES = {
        "node-table--header",
        "node-table--cursor",
        "node-table--current",
        "node-table--pending",
        "node-table--partial",
        "node-table--final",
        "node-table--outside",
        "node-table--pass",
        "node-table--fail",
        "node-table--kink",
    }

    DEFAULT_CSS = """
    NodeTable { height: 1fr; scrollbar-size: 1 1; }
    NodeTable > .node-table--header { color: $foreground-darken-3; text-style: bold; background: $panel; }
    NodeTable > .node-table--cursor { background: $boost; text-style: underline; }
    NodeTable:focus > .node-table--cursor { background: $primary-muted; text-style: bold; }
    NodeTable > .node-table--current { background: $warning-muted; text-style: bold; }
    NodeTable > .node-table--pending { color: $foreground-darken-3; }
    NodeTable > .node-table--partial { color: $text-secondary; text-style: italic; }
    NodeTable > .node-table--final { color: $text-success; }
    NodeTable > .node-table--outside { color: $foreground-darken-3; }
    NodeTable > .node-table--pass { color: $text-success; text-style: bold; }
    NodeTable > .node-table--fail { color: $text-error; text-style: bold; }
    NodeTable > .node-table--kink { color: $text-warning; text-style: bold; }
    """

    # repaint=False: the watcher repaints only the rows that changed
    cursor: reactive[int] = reactive(0, always_update=True, repaint=False)

    def __init__(self, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.session: Session | None = None
        self.rows = 0
        self._current: int | None = None
        self._check: Check | None = None
        self._check_rows: dict[int, CheckRow] = {}
        self.label_width = LABEL_MAX
        self.widths = [w or LABEL_MAX for _, w, _ in COLUMNS]
        self._styles: dict[str, Style] = {}
        self._labels: dict[int, str] = {}
        self._labels_key: tuple[int, int, int] = (0, 0, 0)
        # Sorting and filtering: `order` maps rows to nodes (None: row i is node i).
        self.sort_key: SortKey = "id"
        self.filter_query = ""  # "" for none; else what :filter was given (fail, op:tanh…)
        self.order: list[int] | None = None
        self._row_of = array("l")  # node → row, -1 when filtered out (with an order only)
        self._order_key: tuple = ()
        self.note = ""  # why a sort or filter was dropped, for the app to show
        self._updating = False
        self._centre = False  # the cursor follows a step: an out-of-view row is centred
        self._made: dict[tuple, Strip] = {}  # (row's parts, scroll x, width) -> its strip

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = {}  # theme, focus or CSS changed
        self._made = {}

    def _style(self, name: str) -> Style:
        """A component's partial style ("" for the widget's own full style); cached, as
        resolving one walks the DOM and a frame asks for hundreds."""
        style = self._styles.get(name)
        if style is None:
            style = self.get_component_rich_style(name, partial=True) if name else self.rich_style
            self._styles[name] = style
        return style

    def _label(self, s: Session, i: int) -> str:
        """Labels are cached: deep ones cost ~0.2 ms each. They only change when nodes or
        names are added."""
        g = s.graph
        key = (id(g), len(g), len(g.names))
        if key != self._labels_key or len(self._labels) > 10_000:
            self._labels_key = key
            self._labels = {}
        text = self._labels.get(i)
        if text is None:
            text = self._labels[i] = label(g, i, LABEL_MAX)
        return text

    # -- the contract ---------------------------------------------------------------
    def update_view(self, session: Session) -> None:
        self.session = session
        if self.sort_key != "id" or self.filter_query:
            if self._state_key(session) != self._order_key:
                self._reorder(session)
        elif self.order is not None:
            self.order = None
        n = len(session.graph) if self.order is None else len(self.order)
        if n != self.rows:
            self.rows = n
            self._size_columns()
            self.cursor = min(self.cursor, max(n - 1, 0))
        if session.last_check is not self._check:
            self._check = session.last_check
            self._check_rows = {} if self._check is None else {r.id: r for r in self._check.rows}
        current = session.current()
        if current != self._current:
            self._current = current
            row = None if current is None else self.row_of(current)
            if row is not None:
                self._move_cursor(row, centre=True)  # follow the step
        self.repaint()  # only the rows that changed: a step changes two or three

    def _move_cursor(self, row: int, centre: bool = False) -> None:
        """Move the cursor without its watcher's repaint: the caller repaints once, after
        the rows are consistent again (update_view)."""
        self._updating, self._centre = True, centre
        try:
            self.cursor = row
        finally:
            self._updating = self._centre = False

    # -- sorting, filtering, finding ------------------------------------------------
    def node_at(self, row: int) -> int:
        return row if self.order is None else self.order[row]

    def row_of(self, node: int) -> int | None:
        """The row showing node, or None when the filter hides it."""
        if self.order is None:
            return node if 0 <= node < self.rows else None
        row = self._row_of[node] if 0 <= node < len(self._row_of) else -1
        return row if row >= 0 else None

    def sort_by(self, session: Session, key: SortKey) -> None:
        self.sort_key = key
        self._reorder(session)
        self._move_cursor(0)  # the top of the new order: the largest first
        self.update_view(session)

    def filter_to(self, session: Session, query: str, ids: list[int] | None = None) -> None:
        """Keep only the nodes :filter QUERY picks ("" or "off": every node); `ids`: those
        it picked (the event's), so the UI thread need not ask again."""
        self.filter_query = "" if query == "off" else query
        self._reorder(session, ids)
        self._move_cursor(0)
        self.update_view(session)

    def go_to(self, session: Session, node: int) -> None:
        """Move the cursor to node's row (a search's match); a filter hiding it is dropped."""
        if self.row_of(node) is None and self.filter_query:
            self.filter_to(session, "")
            self.note = "filter off: the match was not among the filtered nodes"
        row = self.row_of(node)
        if row is not None:
            self.cursor = row

    def _state_key(self, s: Session) -> tuple:
        g = s.graph
        inputs = tuple(g.value[i] for _, i in s.inputs_of_f()) if self.sort_key in ("grad", "value") \
            or self.filter_query in ("nan", "kink") else ()
        return (id(g), len(g), s.output, id(s.last_check), self.sort_key, self.filter_query, inputs)

    def _reorder(self, s: Session, picked: list[int] | None = None) -> None:
        """The rows for the sort key and the filter, from the session (O(n log n), only
        when they or what they depend on changed). A sort or filter that no longer applies
        (its node is gone, no check any more, f cannot be evaluated) is dropped."""
        self._order_key = self._state_key(s)
        if self.sort_key == "id" and not self.filter_query:
            self.order = None
            return
        n = len(s.graph)
        try:
            order = search.table_order(s, self.sort_key) if self.sort_key != "id" else None
            if self.filter_query:
                keep = bytearray(n)
                for i in picked if picked is not None else search.filter_nodes(s, self.filter_query):
                    keep[i] = 1
                order = [i for i in (order if order is not None else range(n)) if keep[i]]
        except (CommandError, EvalError) as exc:
            what = f"sort by {self.sort_key}" if self.sort_key != "id" else \
                f"filter {self.filter_query}"
            self.note = f"{what} dropped: {exc}"
            self.sort_key, self.filter_query, self.order = "id", "", None
            return
        self.order = order
        row_of = array("l", [-1]) * n
        for row, i in enumerate(order if order is not None else ()):
            row_of[i] = row
        self._row_of = row_of

    def _size_columns(self) -> None:
        width = self.scrollable_content_region.width
        self.label_width = max(LABEL_MIN, min(LABEL_MAX, width - _FIXED))
        self.widths = [w or self.label_width for _, w, _ in COLUMNS]
        self.virtual_size = Size(_FIXED + self.label_width, self.rows + 1)  # + the pinned header

    def on_resize(self, event: events.Resize) -> None:
        self._size_columns()

    # -- cursor -----------------------------------------------------------------------
    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, self.rows - 1)) if self.rows else 0

    def watch_cursor(self, value: int) -> None:
        self.scroll_to_row(value, self._centre)
        if not self._updating:
            self.repaint()

    def scroll_to_row(self, row: int, centre: bool = False) -> None:
        """Scroll just enough for the row to be visible below the header; `centre`: a row
        out of view comes to the middle (the step's row, as a debugger's source view does:
        the rows the next steps reach show, and the table scrolls once every half page of
        steps rather than on every step, each scroll repainting every row)."""
        h = self.scrollable_content_region.height - 1
        if h <= 0:
            self.call_after_refresh(self._scroll_later, row, centre)
            return
        top = round(self.scroll_y)
        if top <= row < top + h:
            return
        if centre:
            self.scroll_to(y=max(0, row - h // 2), animate=False)
        elif row < top:
            self.scroll_to(y=row, animate=False)
        else:
            self.scroll_to(y=row - h + 1, animate=False)

    def _scroll_later(self, row: int, centre: bool = False) -> None:
        if self.scrollable_content_region.height > 1:
            self.scroll_to_row(row, centre)

    def action_cursor(self, delta: int) -> None:
        self.cursor += delta

    def action_page(self, direction: int) -> None:
        self.cursor += direction * max(1, self.scrollable_content_region.height - 2)

    def action_jump(self, where: int) -> None:
        self.cursor = 0 if where == 0 else self.rows - 1

    def action_select(self) -> None:
        if self.rows:
            self.post_message(NodeSelected(self.node_at(self.cursor)))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y < 1:
            return
        row = offset.y - 1 + round(self.scroll_y)
        if 0 <= row < self.rows:
            event.stop()
            self.cursor = row
            self.post_message(NodeSelected(self.node_at(row)))

    # -- rendering ------------------------------------------------------------------
    def _view_key(self) -> object:
        return (round(self.scroll_x), round(self.scroll_y), self.scrollable_content_region.size)

    def _make_frame(self) -> tuple[int, int, int]:
        return round(self.scroll_x), round(self.scroll_y), self.scrollable_content_region.width

    def _line(self, y: int) -> Strip:
        frame = self._frame
        sx, sy, width = frame if isinstance(frame, tuple) else self._make_frame()
        if y == 0:
            head = _SEP.join(_cell(t, w, r) for (t, _, r), w in zip(self._titles(), self.widths,
                                                                     strict=True))
            parts: tuple = ("header", head)
        else:
            row = sy + y - 1
            s = self.session
            if s is None or row >= self.rows:
                return Strip.blank(width, self._style(""))
            parts = self._row(s, self.node_at(row))
        # A row that looks as before is the strip made before: a step changes two or three.
        key = (parts, sx, width)
        strip = self._made.get(key)
        if strip is None:
            if len(self._made) >= MADE_MAX:
                self._made.clear()
            strip = self._strip(parts).crop(sx, sx + width)
            strip = self._made[key] = strip.extend_cell_length(width, self._end_style(parts))
        return strip

    def _end_style(self, parts: tuple) -> Style:
        return self._style("") + self._style("node-table--header") if parts[0] == "header" \
            else self._style("")

    def _strip(self, parts: tuple) -> Strip:
        style = self._style
        if parts[0] == "header":
            head_style = self._end_style(parts)
            return Strip([Segment(f" {parts[1]} ", head_style)])
        row_names, cells = parts
        row_style = style("")
        for name in row_names:
            row_style += style(name)
        segs = [Segment(" ", row_style)]
        for text, name in cells:
            segs.append(Segment(text, row_style + style(name) if name else row_style))
            segs.append(Segment(_SEP, row_style))
        segs[-1] = Segment(" ", row_style)
        return Strip(segs).simplify()  # neighbours in one style as one segment: fewer to filter

    def _titles(self) -> list[tuple[str, int, bool]]:
        """The column titles: the sorted column marked ▼, the label's saying the filter."""
        column, marked = SORTED_COLUMN.get(self.sort_key, ("", ""))
        out = []
        for title, w, right in COLUMNS:
            if title == column:
                title = marked
            elif title == "label" and self.filter_query:
                title = f"label [{self.filter_query}: {self.rows:,}]"
            out.append((title, w, right))
        return out

    def _row(self, s: Session, i: int) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
        """Row i as (row styles, cells): each cell's text padded to its column, and its
        component ("" for the row's own style); partial styles, so that a cell's colour
        keeps the row's background."""
        g = s.graph
        in_cone = s.in_cone(i)
        computed = s.computed(i)
        row_names: tuple[str, ...] = () if in_cone else ("node-table--outside",)
        if i == self._current:
            row_names += ("node-table--current",)
        elif self.rows and i == self.node_at(min(self.cursor, self.rows - 1)):
            row_names += ("node-table--cursor",)
        value = fmt_val(g.value[i]) if computed else "·"
        value_style = "" if computed else "node-table--pending"
        grad, grad_style = "—", "node-table--pending"
        if in_cone and g.takes_grad(i) and not s.in_backward:
            grad = "·"  # the backward pass has not started
        elif in_cone and g.takes_grad(i):
            grad = fmt_val(g.grad[i])
            if s.final(i):
                grad_style = "node-table--final"
            else:
                grad, grad_style = grad + "…", "node-table--partial"
        fd, verdict, verdict_style = "", "", ""
        check = self._check_rows.get(i)
        if check is not None:
            fd = fmt_val(check.numeric)
            verdict = VERDICTS.get(check.verdict, check.verdict)
            verdict_style = f"node-table--{check.verdict}" if check.verdict in VERDICTS else ""
        cells = (
            (f"#{i}", ""), (self._label(s, i), ""), (value, value_style),
            (grad, grad_style), (fd, ""), (verdict, verdict_style), (kind_name(g, i), ""),
        )
        return row_names, tuple((_cell(text, w, right), sty) for (text, sty), (_, _, right), w
                                in zip(cells, COLUMNS, self.widths, strict=True))
