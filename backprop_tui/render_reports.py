"""Text renderings of the reports: :compare (a Rich table), check_engine, :trace, :hessian,
:hvp, and the big-graph tools (:watch, :find, :filter, :top, :sort, :path, a check's summary
and diagnosis). Plain functions; render_text registers them as those events' renderings."""

from __future__ import annotations

import heapq
import io
import math
from collections.abc import Callable
from typing import Any

from . import engine_events as eng
from . import events as ev
from . import events_search as evs
from . import reports as rp
from .compare import fmt_size, fmt_time
from .events_train import ABOVE, BELOW, Boundary, NudgeStepSet
from .forward_steps import passes
from .labels import fmt_val
from .textutil import plural

_n = plural
SUMMARY_ROWS = 20  # a check of more nodes is summarised unless verbose
SUMMARY_FAILS = 20  # failures listed in a summary


# ---------------------------------------------------------------- :compare, with Rich

def _opt(x: float | None) -> str:
    return "—" if x is None else fmt_val(x)


def render_compare(c: rp.Comparison) -> Any:
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
    cost.add_row("forward mode (AD)", f"n = {passes(c.fm_passes)}: each {ops} ops + "
                 f"{c.bp_backward_pushes} tangent terms",
                 f"{c.fm_passes * (ops + c.bp_backward_pushes):,}", fmt_time(c.time_forward_mode))
    cost.add_row("backprop", f"1 forward ({ops} ops) + 1 backward ({c.bp_backward_pushes} pushes); "
                 f"backward/forward = {c.bp_ratio:.2f}", f"{ops + c.bp_backward_pushes:,}",
                 fmt_time(c.time_backprop))
    if c.time_forward and c.time_backward and c.time_forward.seconds > 0:
        cost.caption = (f"measured: forward {fmt_time(c.time_forward)}, backward "
                        f"{fmt_time(c.time_backward)} (ratio "
                        f"{c.time_backward.seconds / c.time_forward.seconds:.2f})")
    grads = Table(title="∂f/∂input by each method", title_justify="left")
    for col in ("input", "value", "backprop", "forward mode", "symbolic", "FD central",
                "FD forward", "tree size", "DAG size"):
        grads.add_column(col, justify="left" if col == "input" else "right")
    for r in c.inputs:
        grads.add_row(r.name, fmt_val(r.value), fmt_val(r.backprop), _opt(r.forward_mode),
                      _opt(r.symbolic), _opt(r.fd_central), _opt(r.fd_forward),
                      fmt_size(r.tree_size), fmt_size(r.dag_size))
    texts = [Text(f"∂f/∂{r.name} = {r.text}") for r in c.inputs[:20] if r.text is not None]
    if len(c.inputs) > 20:
        texts.append(Text(f"… and {len(c.inputs) - 20} more"))
    return Group(head, cost, grads, *texts)


def compare_text(c: rp.Comparison, width: int = 100) -> str:
    """render_compare as plain text (no colour), for transcripts and the TUI log."""
    from rich.console import Console

    console = Console(file=io.StringIO(), width=width, color_system=None, record=True)
    console.print(render_compare(c))
    return console.export_text().rstrip() + "\n"


# ---------------------------------------------------------------- check_engine

ENGINE_ROWS = 40  # rows of the node table printed; the report's rows hold them all


def _opt_num(x: float | None) -> str:
    return "—" if x is None else f"{x:.6g}"


def engine_check_text(e: eng.EngineCheck) -> str:
    leaves = f"{e.gradients:,} lea{'f' if e.gradients == 1 else 'ves'}"
    out = [f"engine check: {_n(e.nodes, 'node')} ({_n(e.op_nodes, 'operation')}, {leaves} "
           f"taking a gradient); {e.backward}"]
    if e.first is not None:
        f = e.first
        out.append(f"✗ first wrong rule in backward order: #{f.id} {f.node} (op '{f.op}')")
        out.append(f"    {f.message}")
        below = max(0, e.differ - 1)
        if below and f.problem != "order":
            out.append(f"    gradients differ at {_n(e.differ, 'node')}: those below it inherit "
                       "its error")
        rest = [x for x in e.findings if x is not f]
        for x in rest[:10]:
            out.append(f"  also #{x.id} {x.node} (op '{x.op}'): {x.message}")
        if len(rest) > 10:
            out.append(f"  … and {len(rest) - 10} more rule problems")
    else:
        out.append("✓ every node's rule and every gradient agree with backprop-tui"
                   + (" and finite differences" if e.fd_nodes else ""))
    out.append(f"{'node':<24} {'op':<6} {'value':>11} {'learner':>12} {'backprop-tui':>12} "
               f"{'finite diff':>12}  {'grads':<7}  rule")
    rows = e.rows
    shown = rows[:ENGINE_ROWS]
    if e.first is not None and all(r.id != e.first.id for r in shown):
        shown = rows[: ENGINE_ROWS - 1] + [r for r in rows if r.id == e.first.id]
    for r in shown:
        name = f"#{r.id} {r.node}"
        out.append(f"{name[:24]:<24} {(r.op or '·')[:6]:<6} {r.value:>11.6g} "
                   f"{_opt_num(r.learner):>12} {_opt_num(r.backprop):>12} "
                   f"{_opt_num(r.numeric):>12}  {r.grads:<7}  {r.rule}")
    if len(rows) > len(shown):
        out.append(f"… {len(rows) - len(shown):,} more nodes (the report's rows hold them all)")
    out += [f"note: {n}" for n in e.notes]
    return "\n".join(out)
# ---------------------------------------------------------------- :trace, :hessian, :hvp

def trace_row_text(r: rp.TraceRow) -> str:
    """v₂ = v₋₁ × v₀ = 2 × 5 = 10 (the numbers left out where they add nothing)."""
    value = fmt_val(r.value)
    same = r.numbers.replace("−", "-") == value
    nums = f" = {r.numbers}" if r.numbers and not same else ""
    return f"{r.formula}{nums} = {value}"


def side_by_side(left: list[str], right: list[str], gap: str = "  │  ") -> list[str]:
    width = max((len(x) for x in left), default=0)
    rows = max(len(left), len(right))
    return [(left[k] if k < len(left) else "").ljust(width) + gap
            + (right[k] if k < len(right) else "") for k in range(rows)]


def trace_text(e: rp.Trace) -> str:
    left = ["forward primal trace", *(trace_row_text(r) for r in e.primal)]
    if e.mode == "forward":
        right = [f"forward tangent trace (ẋ = 1 for {e.seed})", *(trace_row_text(r) for r in e.tangent)]
    else:
        right = ["reverse adjoint trace", *(trace_row_text(r) for r in e.adjoint)]
    derivs = ", ".join(f"∂f/∂{name} = {fmt_val(d)}" for name, d in e.derivatives.items())
    if e.mode == "forward":
        cost = "one tangent pass gives one partial"
    else:
        cost = f"one reverse sweep gives all {len(e.derivatives)}"
    return "\n".join([f"evaluation trace of f = {e.output} (Baydin et al. 2018, Tables 2–3)",
                      *side_by_side(left, right), f"f = {fmt_val(e.value)}; {derivs} ({cost})"])


def _matrix(names: list[str], rows: list[list[float]]) -> list[str]:
    cells = [[fmt_val(x) for x in row] for row in rows]
    width = max([len(n) for n in names] + [len(c) for row in cells for c in row] + [1])
    head = " " * (width + 2) + " ".join(n.rjust(width) for n in names)
    return [head] + [f"{names[k].rjust(width)}  " + " ".join(c.rjust(width) for c in row)
                     for k, row in enumerate(cells)]


def _kinks_note(kinks: list[str]) -> list[str]:
    if not kinks:
        return []
    return [f"note: not differentiable here: {', '.join(kinks)} sit{'s' * (len(kinks) == 1)} at a "
            "kink, where the second derivatives take the convention 0"]


def hessian_text(e: rp.Hessian) -> str:
    n = len(e.inputs)
    out = [f"Hessian of f = {e.output} over {', '.join(e.inputs)}: forward-over-reverse, "
           f"{_n(e.products, 'Hessian-vector product')}", *_matrix(e.inputs, e.matrix)]
    if n > 1:
        out.append(f"symmetric to {e.asymmetry:.1e} (max |Hᵢⱼ − Hⱼᵢ| / max(1, |Hᵢⱼ|))")
    return "\n".join(out + _kinks_note(e.kinks))


def hvp_text(e: rp.HVP) -> str:
    vec = ", ".join(f"{n} = {fmt_val(x)}" for n, x in zip(e.inputs, e.vector, strict=True))
    rows = [f"  (H·v)_{n} = {fmt_val(x)}   (∂f/∂{n} = {fmt_val(gr)})"
            for n, x, gr in zip(e.inputs, e.product, e.gradient, strict=True)]
    return "\n".join([f"H·v of f = {e.output} at v = ({vec}): one forward-over-reverse pass", *rows]
                     + _kinks_note(e.kinks))


# ---------------------------------------------------------------- :nudge, :descend

def nudge_text(e: rp.Nudge) -> str:
    x, d = e.input, e.delta
    head = (f"{x}: {fmt_val(e.old)} → {fmt_val(e.new)} (Δ = {fmt_val(d)}); "
            f"f = {e.output}: {fmt_val(e.f_old)} → {fmt_val(e.f_new)}")
    err = e.actual - e.predicted
    pred = (f"Δf ≈ ∂f/∂{x}·Δ = {fmt_val(e.grad)} × {fmt_val(d)} = {fmt_val(e.predicted)}; "
            f"actual {fmt_val(e.actual)} (error {fmt_val(err)}")
    if e.second is not None and not e.kinks:
        term = 0.5 * e.second * d * d
        pred += (f" ≈ ½·∂²f/∂{x}²·Δ² = ½ × {fmt_val(e.second)} × {fmt_val(d * d)} = "
                 f"{fmt_val(term)})")
    elif e.kinks:
        pred += f"; f has a kink at {', '.join(e.kinks)}: no second-order term there)"
    else:
        pred += ")"
    return f"{head}\n{pred}\n:back returns {x} to {fmt_val(e.old)}"


def nudge_step_text(e: NudgeStepSet) -> str:
    return (f"nudge step = {fmt_val(e.step)} (was {fmt_val(e.previous)}): :nudge NAME moves NAME "
            "by it; in the TUI shift+↑/↓ nudge the selected input, shift+PgUp/PgDn ×10/÷10")


DESCEND_ROWS = 12  # loss rows :descend prints (evenly spaced, the last always included)


def _stop_text(e: rp.Descend) -> str:
    n = len(e.losses) - 1
    if e.stop == "tol":
        return f"stopped after {_n(n, 'update')}: |Δf| < tol = {fmt_val(e.tol)}"
    if e.stop == "nonfinite":
        return (f"stopped after {_n(n, 'update')}: the next update made {e.detail}; the inputs "
                "stay at the last finite point (try a smaller lr)")
    if e.stop == "error":
        return f"stopped after {_n(n, 'update')}: {e.detail}; the inputs stay at the last point"
    if e.stop == "cancelled":
        return (f"cancelled after {_n(n, 'update')}: the inputs stay at the last completed "
                "step, as one change (:back undoes it)")
    return _n(n, "update")


def descend_text(e: rp.Descend) -> str:
    how = f"{e.method}, lr = {fmt_val(e.lr)}"
    if e.momentum is not None:
        how += f", μ = {fmt_val(e.momentum)}"
    losses = e.losses
    head = (f"gradient descent on f = {e.output} ({how}): f {fmt_val(losses[0])} → "
            f"{fmt_val(losses[-1])} in {e.seconds:.3g} s; {_stop_text(e)}")
    n = len(losses)
    every = max(1, -(-(n - 1) // (DESCEND_ROWS - 1)))
    shown = list(range(0, n, every))
    if shown[-1] != n - 1:
        shown.append(n - 1)
    rows = [f"  {'step':>7}  f"] + [f"  {t:>7}  {fmt_val(losses[t])}" for t in shown]
    final = ", ".join(f"{k} = {fmt_val(v)}" for k, v in e.final.items())
    grad = ", ".join(f"∂f/∂{k} = {fmt_val(v)}" for k, v in e.gradient.items())
    start = ", ".join(f"{k} = {fmt_val(v)}" for k, v in e.start.items())
    return "\n".join([head, *rows, f"now {final}" + (f"  ({grad})" if grad else ""),
                      f":back returns to {start}"])


# ---------------------------------------------------------------- :plot boundary

# The text picture's characters: the regions, then the data points on top.
REGION_CHARS = {ABOVE: "░", BELOW: " "}  # anything else (undefined) is shown as "?"
POINT_ABOVE, POINT_BELOW, POINT_WRONG = "+", "o", "X"


def tick_text(v: float) -> str:
    """An axis end: three significant digits are enough to read a picture by."""
    return f"{v:.3g}"


def point_cells(e: Boundary, cols: int, rows: int) -> dict[tuple[int, int], str]:
    """(row, column) → the point character drawn there, on a cols × rows picture of e's
    ranges; a misclassified point wins its cell (it is the one worth seeing)."""
    (x0, x1), (y0, y1) = e.x_range, e.y_range
    at: dict[tuple[int, int], str] = {}
    for (px, py, lab), p in zip(e.points, e.predicted, strict=True):
        c = int((px - x0) / (x1 - x0) * cols)
        r = int((y1 - py) / (y1 - y0) * rows)
        if not (0 <= c < cols and 0 <= r < rows):
            continue
        above = lab > e.threshold
        wrong = p == 0 or (p > 0) != above
        ch = POINT_WRONG if wrong else POINT_ABOVE if above else POINT_BELOW
        if at.get((r, c)) != POINT_WRONG:
            at[(r, c)] = ch
    return at


def boundary_text(e: Boundary) -> str:
    rows, cols = len(e.cells), len(e.cells[0]) if e.cells else 0
    at = fmt_val(e.threshold)
    head = (f"decision boundary of {e.output} over {e.x} (across) and {e.y} (up): {cols} × "
            f"{rows} cells, ░ where {e.output} > {at}, blank where ≤ {at}")
    dots = point_cells(e, cols, rows)
    top, bottom = tick_text(e.y_range[1]), tick_text(e.y_range[0])
    w = max(len(top), len(bottom))
    lines = [head]
    for r, row in enumerate(e.cells):
        chars = [dots.get((r, c)) or REGION_CHARS.get(ch, "?") for c, ch in enumerate(row)]
        tick = top if r == 0 else bottom if r == rows - 1 else ""
        lines.append(f"{tick:>{w}} {'┤' if tick else '│'}{''.join(chars)}")
    left, right = tick_text(e.x_range[0]), tick_text(e.x_range[1])
    lines.append(" " * w + " └" + "─" * cols)
    lines.append(" " * (w + 2) + left + right.rjust(max(1, cols - len(left))))
    runs = (f"{_n(e.evaluations, 'evaluation')} of {e.output} (forward passes over its graph) "
            f"in {e.seconds:.2g} s")
    if e.points:
        n = len(e.points)
        lines.append(f"data {e.data}: {_n(n, 'point')}; {POINT_ABOVE} label > {at}, "
                     f"{POINT_BELOW} label ≤ {at}, {POINT_WRONG} classified against its label")
        lines.append(f"accuracy {e.correct} of {n} ({e.correct / n:.0%}); {runs}")
    else:
        lines.append(f"no data points (data=NAME or FILE draws them); {runs}")
    return "\n".join(lines)
# ---------------------------------------------------------------- the big-graph tools

def _maybe(x: float | None) -> str:
    return "·" if x is None else fmt_val(x)


def watch_text(e: evs.Watch) -> str:
    parts = []
    for r in e.rows:
        grad = ""
        if r.grad is not None:
            grad = f", ∂f {fmt_val(r.grad)}{' final' if r.state == 'final' else ' so far'}" \
                if r.state != "none" else f", tangent {fmt_val(r.grad)}"
        parts.append(f"{r.node} = {_maybe(r.value)}{grad}")
    return "watch: " + "; ".join(parts)


_FILTERS = {"fail": "failed the last :check", "kink": "at a kink",
            "nan": "with a value or gradient that is not finite"}


def _found_what(e: evs.Found, one: bool) -> str:
    if e.what == "find":
        return f"{'matches' if one else 'match'} '{e.query}'"
    if e.query.startswith("op:"):
        return f"using {e.query[3:]}"
    if e.query.startswith("in:"):
        return f"in {e.query[3:]}'s subexpression"
    return _FILTERS.get(e.query, e.query)


def found_text(e: evs.Found) -> str:
    if e.what == "filter" and e.query == "off":
        return "filter off: every node is listed"
    if e.index >= 0 and e.ids:
        return f"match {e.index + 1:,} of {e.total:,} for '{e.query}': #{e.ids[0]} {e.labels[0]}"
    if not e.ids:
        hint = ("; :nodes lists them, :find ignores spaces, * and case" if e.what == "find"
                else "")
        return f"no node {_found_what(e, True)}{hint}"
    shown = ", ".join(f"#{i} {lab}" for i, lab in zip(e.ids, e.labels, strict=False))
    more = f" … and {len(e.ids) - len(e.labels):,} more" if len(e.ids) > len(e.labels) else ""
    return f"{_n(len(e.ids), 'node')} {_found_what(e, len(e.ids) == 1)}: {shown}{more}"


_KEYS = {"grad": "|∂f|", "value": "|value|", "error": "FD error", "op": "op", "id": "id"}


def _ranked_rows(rows: list[evs.TopRow], key: str) -> list[str]:
    head = _KEYS[key]
    out = [f"{'id':>7}  {'node':<24} {'op':<8} {'value':>12} {'∂f/∂node':>12}"
           + (f" {head:>10}" if key in ("grad", "value", "error") else "")]
    for r in rows:
        grad = "—" if r.grad is None else fmt_val(r.grad)
        tail = f" {r.key:>10.3g}" if key in ("grad", "value", "error") else ""
        out.append(f"{'#' + str(r.id):>7}  {r.node[:24]:<24} {r.op[:8]:<8} "
                   f"{fmt_val(r.value):>12} {grad:>12}{tail}")
    return out


def top_text(e: evs.Top) -> str:
    src = "the last :check" if e.what == "error" else "full passes"
    return "\n".join([f"top {len(e.rows)} of {e.total:,} by {_KEYS[e.what]} ({src})",
                      *_ranked_rows(e.rows, e.what)])


def sorted_text(e: evs.Sorted) -> str:
    if e.key == "id":
        return "sorted by id (creation order, the default)"
    how = {"grad": "|∂f/∂node|, largest first (full passes)",
           "value": "|value|, largest first (full passes)",
           "error": "the last check's error, largest first", "op": "operation"}[e.key]
    more = f"; the first {len(e.rows)}" if e.total > len(e.rows) else ""
    return "\n".join([f"{_n(e.total, 'node')} sorted by {how}{more}",
                      *_ranked_rows(e.rows, e.key)])


def path_text(e: evs.PathEvent) -> str:
    if not e.ids:
        return f"{e.target_label} does not depend on {e.source_label}: no path"
    many = f"{e.paths:,}" if e.paths < 10**18 else "at least 10^18"
    head = (f"{_n(len(e.ids), 'node')} lie on the {many} path{'s' * (e.paths != 1)} from "
            f"{e.source_label} to {e.target_label}")
    return f"{head}; a shortest: {' → '.join(e.shortest_labels)}"


def diagnosis_text(e: evs.Diagnosis) -> str:
    inherited = ""
    if e.inherited:
        if e.inherited == e.failures:
            share = "the failing gradient lies" if e.failures == 1 else \
                f"all {e.failures:,} failing gradients lie"
        else:
            share = f"{e.inherited:,} of the {e.failures:,} failing gradients " + \
                ("lies" if e.inherited == 1 else "lie")
        inherited = f"; {share} upstream of it and inherit{'s' * (e.inherited == 1)} its error"
    if e.how == "rule":
        return (f"the wrong gradient starts at #{e.id} ({e.op}): its own local derivative with "
                f"respect to #{e.operand} is {_maybe(e.rule)}, finite differences of {e.op} alone "
                f"give {_maybe(e.numeric)}{inherited}\n  #{e.id} = {e.node}\n"
                f"  #{e.operand} = {e.operand_label}")
    if e.how == "engine":
        return (f"the engine's gradient first goes wrong at #{e.operand}: it says ∂f/∂#{e.operand} "
                f"= {_maybe(e.rule)}, finite differences {_maybe(e.numeric)}, while every node "
                f"reading it agrees: the _backward of #{e.id} ({e.op}) pushes it{inherited}\n"
                f"  #{e.id} = {e.node}\n  #{e.operand} = {e.operand_label}")
    return (f"the first failure in backward order whose consumers all pass: #{e.id} {e.node} "
            f"({e.op}); look at the local rules of the nodes that read it{inherited}")


def check_summary(e: ev.Check, row: Callable[[ev.CheckRow], str], header: str) -> list[str]:
    """A check of many nodes: the counts and worst errors first, then the failures only."""
    counts = {"pass": 0, "fail": 0, "kink": 0}
    for r in e.rows:
        counts[r.verdict] = counts.get(r.verdict, 0) + 1
    out = [f"{_n(len(e.rows), 'node')}: {counts['pass']:,} pass, {counts['fail']:,} fail, "
           f"{counts['kink']:,} not differentiable here"]
    worst = heapq.nlargest(3, (r for r in e.rows if r.verdict != "kink"),
                           key=lambda r: math.inf if r.abs_err != r.abs_err else r.abs_err)
    if worst:
        out.append("worst errors: " + ", ".join(f"{r.node} {r.abs_err:.2e}" for r in worst))
    fails = [r for r in e.rows if r.verdict == "fail"]
    if fails:
        out.append(header)
        out += [row(r) for r in fails[:SUMMARY_FAILS]]
        if len(fails) > SUMMARY_FAILS:
            out.append(f"… and {len(fails) - SUMMARY_FAILS:,} more failures")
    out.append("(:check all verbose lists every node; :filter fail keeps the failures)")
    return out
