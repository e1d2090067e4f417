"""The inspector: the current (or clicked) node in full.

Its formula with numbers, its local derivatives, each contribution of its backward step
(before → after), and the finite-difference estimate and verdict from the last check.
Everything shown comes from the session's queries and events; nothing is computed here.

A Line API scroll view: replacing its lines repaints only the lines that differ, without
the screen-wide layout pass that a Static's update would cost on every step.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.geometry import Size
from textual.strip import Strip

from ...commands.inspect import SHOW_TERMS, local_lines
from ...labels import expression, fmt_val
from ...labels import wrt as wrt_label
from ...render_text import contribution_text, gradient_lines, verdict_text
from ...session import Session
from ...textutil import clip
from .line_diff import LineDiffView
from .wrap import wrap_pieces, wraps_plainly

# A line is a list of (text, role) pieces; roles map to component classes in app.tcss.
Piece = tuple[str, str]
Line = list[Piece]
_VERDICT_ROLE = {"pass": "pass", "fail": "fail", "kink": "kink"}
MADE_MAX = 512  # lines kept drawn (a few steps' worth of lines at every width seen)


def describe(session: Session, node: int | None, limit: int = 80) -> list[Line]:
    """The inspector's lines for `node` (None: the overview at the start)."""
    if session.output is None:
        return [[("No program yet.", "bold")],
                [("Type an expression below, e.g. ", ""), ("x = 2; x^2 + 1", "bold")]]
    g = session.graph
    if node is None:
        f = session.node_info(session.output)
        return [[(f"f = {f.label}", "title")],
                [(f"{len(session.fwd)} forward steps, then {len(session.bwd)} backward steps", "")],
                [("→ step   ← back   F5 continue   F1 help   type a statement or :command", "dim")]]
    out: list[Line] = []
    info = session.node_info(node)
    out.append([(info.label, "title"), (f"  #{info.id} {info.op}  at {info.span}", "dim")])
    if node in g.names and not g.is_leaf(node):  # the graph shows the name: here, what it is
        out.append([(f"{info.label} = {expression(g, node, 240)}", "")])
    value = "not yet computed" if info.value is None else fmt_val(info.value)
    out.append([("value  ", ""), (value, "bold")])
    if info.formula:
        out.append([(f"       {info.formula}", "")])
    # ∂f/∂ the node as the chain rule below writes it (∂f/∂(x²+3xy)); a long label clipped.
    wrt = wrt_label(clip(info.label, 24))
    if session.mode == "forward":
        out.append([(f"∂f/∂{wrt}  ", ""), ("· (forward mode carries tangents; :mode reverse "
                                            "steps backprop)", "dim")])
    elif info.grad is None:
        out.append([(f"∂f/∂{wrt}  ", ""), ("none (a constant, or not part of f)", "dim")])
    elif not session.in_backward:
        out.append([(f"∂f/∂{wrt}  ", ""), ("· (the backward pass computes it)", "dim")])
    else:
        state = "final" if info.final else "so far"
        out.append([(f"∂f/∂{wrt}  ", ""), (fmt_val(info.grad), "bold"), (f" ({state})", "dim")])
        # The chain rule at the node: its gradient as the sum over its consumers, each term
        # arrived (✓) or pending (·), as :show writes it.
        terms = session.chain_terms(node, SHOW_TERMS)
        total, pending = session.chain_count(node)
        chain = gradient_lines(info, terms, node == session.output, total - len(terms),
                               pending - sum(not t.arrived for t in terms))
        if terms:
            out.append([("chain rule", "bold")])
            out += [[(f"  {line.strip()}", "")] for line in chain]
    if info.tangent is not None:  # forward mode: the tangent this pass carries
        out.append([("tangent  ", ""), (fmt_val(info.tangent), "bold"),
                    (" (forward mode: ∂node/∂seed, this pass)", "dim")])
    if info.other_grad is not None:  # check_engine / debug(root): the learner's gradient beside
        same = (info.grad is not None and info.final
                and abs(info.other_grad - info.grad) <= 1e-9 + 1e-7 * abs(info.grad))
        verdict = "" if info.grad is None or not info.final else " same" if same else " differs"
        out.append([(f"{info.other_name or 'other'}'s  ", ""), (fmt_val(info.other_grad), "bold"),
                    (verdict, "pass" if same else "fail")])
    if info.numeric is not None:
        out.append([("finite difference  ", ""), (fmt_val(info.numeric), "")])
    step = session.current_step() if node == session.current() and session.in_backward else None
    if step is not None:
        if step.seeded:
            out.append([("seed: ∂f/∂f = 1", "dim")])
        if step.contributions:
            out.append([("contributions", "bold"), (" (before → after)", "dim")])
            out += [[(f"  {contribution_text(c)}", "")] for c in step.contributions]
        if step.kink:
            out.append([(step.kink, "kink")])
    if node < len(g) and not g.is_leaf(node):
        local = local_lines(session, node)
        if local:
            out.append([("local derivatives", "bold")])
            out += [[(f"  {d}", "")] for d in local]
    check = session.last_check
    row = next((r for r in check.rows if r.id == node), None) if check is not None else None
    if check is not None and row is not None:
        verdict = verdict_text(row.verdict)
        out.append([("finite differences", "bold"), (f" ({check.mode}, h={row.h:.1e})", "dim")])
        out.append([(f"  estimate {fmt_val(row.numeric)}  vs backprop {fmt_val(row.analytic)}", "")])
        out.append([(f"  abs err {row.abs_err:.1e}  rel err {row.rel_err:.1e}  ", ""),
                    (verdict, _VERDICT_ROLE.get(row.verdict, "bold"))])
    elif info.grad is not None:
        out.append([("F9: finite-difference check", "dim")])
    return out[:limit]


def plain(lines: list[Line]) -> str:
    return "\n".join("".join(text for text, _ in line) for line in lines)


class Inspector(LineDiffView, can_focus=False):
    COMPONENT_CLASSES = {"inspector--title", "inspector--dim", "inspector--bold",
                         "inspector--pass", "inspector--fail", "inspector--kink"}

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._lines: list[Line] = []
        self._strips: list[Strip] = []
        self._styles: dict[str, Style] = {}  # role → style, until the theme or CSS changes
        # (line, width) → its strips: stepping back and forth, and from node to node of a
        # chain, shows the same lines again ("∂f/∂s · (the backward pass computes it)").
        self._made: dict[tuple[tuple[Piece, ...], int], list[Strip]] = {}

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = {}
        self._made = {}

    def on_mount(self) -> None:
        self.border_title = "Inspector"
        # Strips keep the colours they were rendered with: re-render them for a new theme.
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._restyle())

    @property
    def text(self) -> str:
        return plain(self._lines)

    def update_view(self, session: Session, node: int | None) -> None:
        self._lines = describe(session, node)
        self._paint()

    def _paint(self) -> None:
        width = self.scrollable_content_region.width
        if not self.is_mounted or width <= 0:
            return  # on_resize paints once the pane has a size
        if not self._styles:
            self._styles = {role[len("inspector--"):]: self.get_component_rich_style(role, partial=True)
                            for role in self.COMPONENT_CLASSES}
            self._styles[""] = self.rich_style  # the widget's own (~0.1 ms to resolve)
        strips: list[Strip] = []
        made = self._made
        if len(made) > MADE_MAX:
            made.clear()
        for line in self._lines:
            key = (tuple(line), width)
            done = made.get(key)
            if done is None:
                done = made[key] = self._strips_of(line, width)
            strips += done
        self._strips = strips
        # At least the pane's height: only content taller than the pane has a scrollbar,
        # and only its appearing or going costs a layout pass (set_virtual_size).
        self.set_virtual_size(Size(width, max(len(strips), self.scrollable_content_region.height)))
        self.repaint()

    def _strips_of(self, line: Line, width: int) -> list[Strip]:
        """A line's strips at the width (more than one when it wraps), in the widget's
        style: what its text would render as in a Static, without a layout."""
        styles = self._styles
        base = styles[""]  # applied once here, not per line per frame
        plain = "".join(piece for piece, _ in line)
        fits = cell_len(plain) <= width  # most lines: no wrapping
        if fits or wraps_plainly(plain):
            return [Strip([Segment(piece, base + styles.get(role) if role else base)
                           for piece, role in pieces]).extend_cell_length(width, base)
                    for pieces in ([line] if fits else wrap_pieces(line, width))]
        return self._strips_of_text(line, width)

    def _strips_of_text(self, line: Line, width: int) -> list[Strip]:
        """A line wrapped the Rich way (wide characters, tabs): through a Text."""
        styles = self._styles
        base = styles[""]
        text = Text()
        for piece, role in line:
            text.append(piece, styles.get(role, "") if role else "")
        console = self.app.console
        rendered = console.render(text, console.options.update_width(width))
        return [Strip(seg).crop_extend(0, width, None).apply_style(base)
                for seg in Segment.split_lines(rendered)]

    def _restyle(self) -> None:
        self._styles = {}
        self._made = {}
        self._paint()

    def _view_key(self) -> object:
        return (self.scroll_offset, self.scrollable_content_region.size)

    def _make_frame(self) -> tuple[int, int]:
        return self.scroll_offset.y, self.scrollable_content_region.width

    def _line(self, y: int) -> Strip:
        frame = self._frame
        top, width = frame if isinstance(frame, tuple) else self._make_frame()
        i = top + y
        if i < len(self._strips):
            return self._strips[i]
        return Strip.blank(width, self._styles.get("") or self.rich_style)

    def on_resize(self, event: events.Resize) -> None:
        self._paint()  # wrapping depends on the width
