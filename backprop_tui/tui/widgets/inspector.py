"""The inspector: the current (or clicked) node in full.

Its formula with numbers, its local derivatives, each contribution of its backward step
(before → after), and the finite-difference estimate and verdict from the last check.
Everything shown comes from the session's queries and events; nothing is computed here.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from ...events import CheckRow, ShowNode, Step
from ...labels import fmt_val
from ...session import COMMANDS, Session

_VERDICT_STYLE = {"pass": "$text-success", "fail": "$text-error", "kink": "$text-warning"}


def _line(markup: str, **values: object) -> Content:
    # Values are substituted as plain text, so labels like x[1] can't be read as markup.
    return Content.from_markup(markup, **values)


def _check_row(session: Session, i: int) -> CheckRow | None:
    check = session.last_check
    if check is None:
        return None
    return next((r for r in check.rows if r.id == i), None)


def describe(session: Session, node: int | None, limit: int = 60) -> list[Content]:
    """The inspector's lines for `node` (None: the overview at the start)."""
    out: list[Content] = []
    if session.output is None:
        return [_line("[b]No program yet.[/b]"),
                _line("Type an expression below, e.g. [b]x = 2; x^2 + 1[/b]")]
    g = session.prog.graph
    if node is None:
        f = session.node_info(session.output)
        out += [_line("[b $text-accent]f = $f[/]", f=f.label),
                _line("$n forward steps, then $m backward steps",
                      n=len(session.fwd), m=len(session.bwd)),
                _line("[dim]n: step   p: back   c: continue   ?: help   :  type a command[/]")]
        return out
    info = session.node_info(node)
    out.append(_line("[b $text-accent]$label[/]  [dim]#$id $op  at $span[/]", label=info.label,
                     id=info.id, op=info.op, span=info.span))
    value = "not yet computed" if info.value is None else fmt_val(info.value)
    out.append(_line("value  [b]$v[/]", v=value))
    if info.formula:
        out.append(_line("       $f", f=info.formula))
    wrt = info.label if len(info.label) <= 6 else "node"
    if info.grad is None:
        out.append(_line("∂f/∂$w  [dim]none (a constant, or not part of f)[/]", w=wrt))
    else:
        state = "final" if info.final else "so far"
        out.append(_line("∂f/∂$w  [b]$g[/] [dim]($s)[/]", w=wrt, g=fmt_val(info.grad), s=state))
    if node < len(g) and not g.is_leaf(node):
        shown = COMMANDS["show"].run(session, [f"#{node}"])
        local = shown[0].local if shown and isinstance(shown[0], ShowNode) else []
        if local:
            out.append(_line("[b]local derivatives[/]"))
            out += [_line("  $d", d=d) for d in local]
    if node == session.current() and session.pos > len(session.fwd):
        step: Step = session._step_event()  # the step just taken at this node (a query)
        if step.seeded:
            out.append(_line("[dim]seed: ∂f/∂f = 1[/]"))
        if step.contributions:
            out.append(_line("[b]contributions[/] [dim](before → after)[/]"))
            out += [_line("  $c", c=c.text()) for c in step.contributions]
        if step.kink:
            out.append(_line("[$text-warning]$k[/]", k=step.kink))
    row = _check_row(session, node)
    if row is not None:
        check = session.last_check
        verdict = "not differentiable here" if row.verdict == "kink" else row.verdict
        out.append(_line("[b]finite differences[/] [dim]($mode, h=$h)[/]", mode=check.mode,
                         h=f"{row.h:.1e}"))
        out.append(_line("  estimate $n  vs backprop $a", n=fmt_val(row.numeric),
                         a=fmt_val(row.analytic)))
        style = _VERDICT_STYLE.get(row.verdict, "")  # a constant, safe inside the markup
        out.append(_line(f"  abs err $ae  rel err $re  [b {style}]$v[/]",
                         ae=f"{row.abs_err:.1e}", re=f"{row.rel_err:.1e}", v=verdict))
    elif info.grad is not None:
        out.append(_line("[dim]x: finite-difference check[/]"))
    return out[:limit]


class Inspector(VerticalScroll):
    def compose(self) -> ComposeResult:
        yield Static(id="inspector-body")

    def on_mount(self) -> None:
        self.border_title = "Inspector"

    def update_view(self, session: Session, node: int | None) -> None:
        self.query_one("#inspector-body", Static).update(Content("\n").join(describe(session, node)))
