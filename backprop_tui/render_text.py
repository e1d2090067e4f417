"""The one plain-text rendering of every event, shared by headless mode's transcript, the
TUI's log and answers, and :help. ``text(event)`` dispatches on the event's type; a new event
type gets its rendering here and nowhere else."""

from __future__ import annotations

import io
from functools import singledispatch
from typing import Any

from . import events as ev
from .compare import fmt_size, fmt_time
from .labels import fmt_val
from .textutil import plural

_n = plural


def paren(label: str) -> str:
    """A label as the operand of ∂f/∂…: bare when it is a name, else in parentheses."""
    return label if label.replace("_", "").isalnum() else f"({label})"


@singledispatch
def text(event: ev.Event) -> str:
    return event.kind


def contribution_text(c: ev.Contribution) -> str:
    up = fmt_val(c.upstream)
    num = fmt_val(c.local)
    sym = c.local_text
    chain = f"{sym}·{up}" if sym == num else f"{sym}·{up} = {num}·{up}"
    return (f"∂f/∂{paren(c.to)} gets {chain} = {fmt_val(c.contribution)} "
            f"({fmt_val(c.before)} → {fmt_val(c.after)})")


@text.register
def _(e: ev.Step) -> str:
    head = f"{e.phase} {e.step}/{e.total}  "
    if e.phase == "forward":
        return head + e.formula
    if e.grad is None:
        return head + f"{e.node}: a constant — it gets no gradient"
    lines = [head + f"{e.node}: ∂f/∂{paren(e.node)} = {fmt_val(e.grad)}"
             + (" (seed: ∂f/∂f = 1)" if e.seeded else "") + " — final"]
    lines += ["    " + contribution_text(c) for c in e.contributions]
    if e.kink:
        lines.append("    note: " + e.kink)
    return "\n".join(lines)


@text.register
def _(e: ev.Back) -> str:
    at = f" at {e.node}" if e.node is not None else ""
    return f"back {e.steps} step{'s' * (e.steps != 1)}: now {e.position}{at}"


@text.register
def _(e: ev.Statement) -> str:
    val = " — cannot be evaluated" if e.value is None else f" = {fmt_val(e.value)}"
    return (f"{e.node}{val}   ({_n(e.nodes, 'node')}, {_n(e.inputs, 'input')}; "
            f"{e.forward_steps} forward and {e.backward_steps} backward steps)")


@text.register
def _(e: ev.Error) -> str:
    where = f"{e.file}:{e.at_line}:{e.col}: " if e.file else ""
    return f"{where}error: {e.message}" + (f"\n{e.caret}" if e.caret else "")


@text.register
def _(e: ev.Warn) -> str:
    return f"warning: {e.node + ': ' if e.node else ''}{e.message}"


@text.register(ev.Info)
@text.register(ev.Say)
@text.register(ev.Exported)
def _(e: ev.Info | ev.Say | ev.Exported) -> str:
    return e.message


@text.register
def _(e: ev.Phase) -> str:
    return e.message or f"{e.phase} {e.status}"


@text.register
def _(e: ev.BreakHit) -> str:
    return f"stopped at breakpoint: {e.node} ({e.reason})"


@text.register
def _(e: ev.ShowNode) -> str:
    i = e.info
    val = "not yet computed" if i.value is None else fmt_val(i.value)
    grad = "—" if i.grad is None else fmt_val(i.grad) + (" (final)" if i.final else " (so far)")
    lines = [f"#{i.id} {i.label}  [{i.op}] at {i.span}", f"  value {val}", f"  ∂f/∂node {grad}"]
    if i.formula:
        lines.append(f"  {i.formula}")
    lines += [f"  {d}" for d in e.local]
    return "\n".join(lines)


@text.register
def _(e: ev.Nodes) -> str:
    rows = [f"{'id':>5}  {'label':<22} {'op':<8} {'value':>12} {'grad':>12}"]
    for i in e.nodes:
        val = "·" if i.value is None else fmt_val(i.value)
        grad = "—" if i.grad is None else fmt_val(i.grad) + ("" if i.final else "…")
        rows.append(f"{i.id:>5}  {i.label:<22} {i.op:<8} {val:>12} {grad:>12}")
    return "\n".join(rows)


@text.register
def _(e: ev.GraphText) -> str:
    return "\n".join(e.lines)


def verdict_text(verdict: str) -> str:
    return "not differentiable here" if verdict == "kink" else verdict


@text.register
def _(e: ev.Check) -> str:
    out = [f"finite-difference check ({e.mode}, pass when |a−n| ≤ {e.atol:g} + "
           f"{e.rtol:g}·|n|)",
           f"{'node':<16} {'backprop':>13} {'finite diff':>13} {'abs err':>9} {'rel err':>9} "
           f"{'h':>8}  verdict"]
    for r in e.rows:
        out.append(f"{r.node[:16]:<16} {r.analytic:>13.6g} {r.numeric:>13.6g} {r.abs_err:>9.2e} "
                   f"{r.rel_err:>9.2e} {r.h:>8.1e}  {verdict_text(r.verdict)}")
    out.append(f"cost: {e.evals} function evaluations for {len(e.rows)} node"
               f"{'s' * (len(e.rows) != 1)} ({_n(e.inputs, 'input')}); backprop needed one "
               f"forward and one backward pass" + (" — cancelled" if e.cancelled else ""))
    return "\n".join(out)


@text.register
def _(e: ev.HSweep) -> str:
    out = [f"h sweep for ∂f/∂{paren(e.node)} (backprop {e.analytic:.12g})",
           f"{'h':>8} {'forward err':>12} {'central err':>12}"]
    for r in e.rows:
        out.append(f"{r.h:>8.0e} {r.forward_err:>12.2e} {r.central_err:>12.2e}")
    out.append(f"best h: forward {e.best_forward:.0e}, central {e.best_central:.0e} "
               "(too large: truncation error; too small: round-off)")
    return "\n".join(out)


@text.register
def _(e: ev.Summary) -> str:
    if e.output is None:
        return "no output"
    rows = [f"f = {e.output['label']} = {fmt_val(e.output['value'])}"]
    rows += [f"  ∂f/∂{r['name']} = {fmt_val(r['grad'])}   ({r['name']} = {fmt_val(r['value'])})"
             for r in e.inputs]
    return "\n".join(rows)


@text.register
def _(e: ev.Pause) -> str:
    return f"pause {e.seconds:g} s"


@text.register
def _(e: ev.Expect) -> str:
    if e.passed:
        return f"✓ {e.claim}"
    return f"✗ {e.file}:{e.at_line}: expected {e.claim}, got {e.got}"


@text.register
def _(e: ev.Load) -> str:
    return f"loading {e.path}"


@text.register
def _(e: ev.Echo) -> str:
    return f"{e.file}:{e.at_line} › {e.source}"


@text.register
def _(e: ev.Compare) -> str:
    return compare_text(e.result)


# ---------------------------------------------------------------- :compare, with Rich

def _opt(x: float | None) -> str:
    return "—" if x is None else fmt_val(x)


def render_compare(c: ev.Comparison) -> Any:
    """A Rich renderable: the cost table, then one row per input, then the derivatives."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    n, ops = c.n_inputs, c.op_nodes
    head = Text(f"f = {c.label} = {fmt_val(c.value)}   ·   n = {_n(n, 'input')}, "
                f"N = {_n(c.n_nodes, 'node')} ({_n(ops, 'operation')}); f as a tree "
                f"{fmt_size(c.f_tree_size)} nodes, as a DAG {fmt_size(c.f_dag_size)}")
    cost = Table(title="Cost of the gradient ∂f/∂(all inputs)", title_justify="left")
    cost.add_column("method")
    cost.add_column("what it needs")
    cost.add_column("operations", justify="right")
    cost.add_column("time", justify="right")
    cost.add_row("finite differences (forward)", f"n+1 = {c.fd_forward_evals} evaluations",
                 f"{c.fd_forward_ops:,}", fmt_time(c.time_fd_forward))
    cost.add_row("finite differences (central)", f"2n = {c.fd_central_evals} evaluations",
                 f"{c.fd_central_ops:,}", fmt_time(c.time_fd_central))
    tree = sum(r.tree_size or 0 for r in c.inputs)
    dagn = sum(r.dag_size or 0 for r in c.inputs)
    skipped = f", {c.symbolic_skipped} not built (time budget)" if c.symbolic_skipped else ""
    cost.add_row("symbolic", f"{_n(n, 'expression')}: {fmt_size(tree)} nodes as trees, "
                 f"{fmt_size(dagn)} as DAGs{skipped}", "—", fmt_time(c.time_symbolic))
    cost.add_row("backprop", f"1 forward ({ops} ops) + 1 backward ({c.bp_backward_pushes} pushes); "
                 f"backward/forward = {c.bp_ratio:.2f}", f"{ops + c.bp_backward_pushes:,}",
                 fmt_time(c.time_backprop))
    if c.time_forward and c.time_backward and c.time_forward.seconds > 0:
        cost.caption = (f"measured: forward {fmt_time(c.time_forward)}, backward "
                        f"{fmt_time(c.time_backward)} (ratio "
                        f"{c.time_backward.seconds / c.time_forward.seconds:.2f})")
    grads = Table(title="∂f/∂input by each method", title_justify="left")
    for col in ("input", "value", "backprop", "symbolic", "FD central", "FD forward",
                "tree size", "DAG size"):
        grads.add_column(col, justify="left" if col == "input" else "right")
    for r in c.inputs:
        grads.add_row(r.name, fmt_val(r.value), fmt_val(r.backprop), _opt(r.symbolic),
                      _opt(r.fd_central), _opt(r.fd_forward), fmt_size(r.tree_size),
                      fmt_size(r.dag_size))
    texts = [Text(f"∂f/∂{r.name} = {r.text}") for r in c.inputs[:20] if r.text is not None]
    if len(c.inputs) > 20:
        texts.append(Text(f"… and {len(c.inputs) - 20} more"))
    return Group(head, cost, grads, *texts)


def compare_text(c: ev.Comparison, width: int = 100) -> str:
    """render_compare as plain text (no colour), for transcripts and the TUI log."""
    from rich.console import Console

    console = Console(file=io.StringIO(), width=width, color_system=None, record=True)
    console.print(render_compare(c))
    return console.export_text().rstrip() + "\n"
