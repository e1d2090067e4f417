"""The one plain-text rendering of every event, shared by headless mode's transcript, the
TUI's log and answers, and :help. ``text(event)`` dispatches on the event's type; a new event
type gets its rendering here and nowhere else."""

from __future__ import annotations

from functools import singledispatch

from . import engine_events as eng
from . import events as ev
from . import events_search as evs
from . import records as rec
from . import reports as rp
from .events_train import Boundary, NudgeStepSet
from .labels import f_is, fmt_val, wrt
from .render_reports import (
    SUMMARY_ROWS,
    boundary_text,
    check_summary,
    compare_text,
    descend_text,
    diagnosis_text,
    engine_check_text,
    found_text,
    hessian_text,
    hvp_text,
    nudge_step_text,
    nudge_text,
    path_text,
    sorted_text,
    top_text,
    trace_text,
    watch_text,
)
from .textutil import REPL_FILE, plural

_n = plural
PENDING = "?"  # a chain-rule term whose consumer has not pushed yet


def paren(label: str) -> str:
    """A label as the operand of ∂f/∂…: bare when it reads as one symbol, else in parentheses."""
    return wrt(label)


def factor(text: str) -> str:
    """Text as a factor of a product: a negative number or a sum in parentheses
    (h1·(-0.189129), (1-tanh(u)²)·0.5), anything else bare."""
    depth = 0
    for ch in text:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif depth == 0 and ch in "+-−":
            return f"({text})"
    return text


def num(x: float) -> str:
    """A number as a factor: fmt_val, in parentheses when negative."""
    return factor(fmt_val(x))


@singledispatch
def text(event: ev.Event) -> str:
    return event.kind


def contribution_text(c: rec.Contribution) -> str:
    up = num(c.upstream)
    local = num(c.local)
    sym = factor(c.local_text)
    chain = f"{sym}·{up}" if c.local_text == fmt_val(c.local) else f"{sym}·{up} = {local}·{up}"
    return (f"∂f/∂{paren(c.to)} gets {chain} = {fmt_val(c.contribution)} "
            f"({fmt_val(c.before)} → {fmt_val(c.after)})")


def _neg(text: str) -> str:
    return f"({text})" if text.startswith("-") else text


def tangent_text(e: ev.Step) -> str:
    """v̇ = Σ ∂v/∂u·u̇ with symbols, then numbers: ∂(x1·x2)/∂x1 = x2·1 + x1·0 = 5·1 + 2·0 = 5."""
    lhs = f"∂{paren(e.node)}/∂{paren(e.seed)}"
    if not e.tangent_terms:
        return f"{lhs} = 0 (no operand depends on {e.seed})"
    sym = " + ".join(f"{_neg(t.local_text)}·{_neg(fmt_val(t.tangent))}" for t in e.tangent_terms)
    num = " + ".join(f"{_neg(fmt_val(t.local))}·{_neg(fmt_val(t.tangent))}" for t in e.tangent_terms)
    tangent = fmt_val(e.tangent) if e.tangent is not None else "—"
    return f"{lhs} = {sym}" + (f" = {num}" if num != sym else "") + f" = {tangent}"


@text.register
def _(e: ev.Step) -> str:
    head = f"{e.phase} {e.step}/{e.total}  "
    if e.mode == "forward":
        where = f"tangent pass {e.pass_no}/{e.passes}, " if e.passes > 1 else ""
        return (f"{e.phase} {e.step}/{e.total} ({where}∂/∂{e.seed})  {e.formula}\n"
                f"    {tangent_text(e)}")
    if e.phase == "forward":
        return head + e.formula
    lines = [head + f"{e.node}: ∂f/∂{paren(e.node)} = {fmt_val(e.grad or 0.0)}"
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
def statement_text(e: ev.Statement) -> str:
    """Also called directly by headless mode (one per line of a file, no dispatch)."""
    val = " — cannot be evaluated" if e.value is None else f" = {fmt_val(e.value)}"
    if not e.name:
        head = f"{f_is(e.node)}{val}"
    elif e.name == "f":
        head = f"f{val} (the last statement)"
    else:
        head = f"{e.name}{val}; f = {e.name} (the last statement)"
    # plural() written out: this line is printed for every statement of a file.
    n, i, fw, bw = e.nodes, e.inputs, e.forward_steps, e.backward_steps
    outside = (f"; {e.outside:,} node{'s' * (e.outside != 1)} outside f" if e.outside else "")
    return (f"{head}   ({n:,} node{'s' * (n != 1)}, {i:,} input{'s' * (i != 1)}; "
            f"{fw:,} forward step{'s' * (fw != 1)} and {bw:,} backward step{'s' * (bw != 1)}"
            f"{outside})")


@text.register
def _(e: ev.NewSession) -> str:
    return e.message


@text.register
def _(e: ev.Defined) -> str:
    again = " (replaces the earlier definition for later calls)" if e.redefines else ""
    return (f"defined {e.name}({', '.join(e.params)}): each call inlines "
            f"{_n(e.ops, 'operation')}{again}")


@text.register
def _(e: ev.Error) -> str:
    # A line typed in a session has no file a line:column could point into.
    where = f"{e.file}:{e.at_line}:{e.col}: " if e.file and e.file != REPL_FILE else ""
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
    where = f" in {i.statement}" if i.statement else f" at {i.span}"
    lines = [f"#{i.id} {i.label}  [{i.op}]{where}" + ("" if i.in_f else "  (not part of f)")]
    val = ("—" if i.note else "not yet computed") if i.value is None else fmt_val(i.value)
    lines.append(f"  value {val}")
    if i.note:
        lines.append(f"  {i.note}")
    if i.other_grad is not None:
        lines.append(f"  {i.other_name or 'other'}'s ∂f/∂{wrt(i.label)} {fmt_val(i.other_grad)}"
                     + ("" if i.grad is None or not i.final else
                        " (same)" if abs(i.other_grad - i.grad) <= 1e-9 + 1e-7 * abs(i.grad)
                        else " (differs)"))
    if i.numeric is not None:
        lines.append(f"  finite difference {fmt_val(i.numeric)}")
    if i.tangent is not None:
        lines.append(f"  tangent {fmt_val(i.tangent)} (forward mode: ∂{wrt(i.label)}/∂seed, this pass)")
    if i.formula:
        lines.append(f"  {i.formula}")
    lines += ["  " + t for t in gradient_lines(i, e.terms, e.is_output, e.more_terms,
                                               e.more_pending)]
    lines += [f"  {d}" for d in e.local]
    if i.verdict is not None:
        lines.append("  " + verdict_line(i.verdict, i))
    return "\n".join(lines)


def gradient_lines(i: rec.NodeInfo, terms: list[rec.ChainTerm], is_output: bool, more: int = 0,
                   more_pending: int = 0) -> list[str]:
    """∂f/∂node as the chain rule writes it, in symbols and numbers, then one line per term
    marked arrived (✓) or pending (·):
    ∂f/∂x = ∂f/∂x²·2x + ∂f/∂3x·3 = 1·4 + 3·3 = 4 + 9 = 13 (final).
    `terms` are the first terms; `more` others (`more_pending` of them pending) are counted."""
    lhs = f"∂f/∂{paren(i.label)}"
    if i.grad is None:
        why = "not part of f" if not i.in_f else (
            "a number in the program" if i.op == "literal" else "a constant")
        return [f"{lhs}: no gradient ({why})"]
    if is_output:
        if i.grad_state == "not computed":
            return [f"{lhs} = 1 once the backward pass starts: it is f, the seed ∂f/∂f = 1"]
        return [f"{lhs} = 1: it is f, the seed ∂f/∂f = 1 (final)"]
    if not terms:
        return [f"{lhs} = {fmt_val(i.grad)}"]
    shown = terms
    tail = f" + … ({_n(more, 'more term')})" if more > 0 else ""
    symbols = " + ".join(f"∂f/∂{paren(t.consumer_label)}·{factor(t.local_text)}"
                         for t in shown) + tail
    if i.grad_state == "not computed":
        return [f"{lhs} = {symbols}: the backward pass computes each term"]
    numbers = " + ".join(
        f"{num(t.upstream) if t.arrived and t.upstream is not None else PENDING}·"
        f"{PENDING if t.local is None else num(t.local)}" for t in shown) + tail
    products = " + ".join(PENDING if t.product is None else fmt_val(t.product) if k == 0
                          else num(t.product) for k, t in enumerate(shown)) + tail
    pending = more_pending + sum(not t.arrived for t in shown)
    total = fmt_val(i.grad)
    parts = [lhs, symbols, numbers, products]
    if pending:
        parts[-1] += f": {total} so far"
    else:
        parts.append(total)
    chain = " = ".join(p for k, p in enumerate(parts) if k == 0 or p != parts[k - 1])
    state = " (final)" if i.final else "" if pending else " (every term is in)"
    out = [chain + state]
    for t in shown:
        term = f"∂f/∂{paren(t.consumer_label)}·{factor(t.local_text)}"
        if t.arrived and t.product is not None and t.upstream is not None and t.local is not None:
            out.append(f"  ✓ from {t.consumer_label}: {term} = {num(t.upstream)}·{num(t.local)} "
                       f"= {fmt_val(t.product)} (arrived)")
        else:
            out.append(f"  · from {t.consumer_label}: {term} (pending: {t.consumer_label}'s "
                       "backward step comes later)")
    if more > 0:
        out.append(f"  … and {_n(more, 'more term')} ({more_pending} pending)")
    return out


def verdict_line(v: rec.CheckVerdict, i: rec.NodeInfo) -> str:
    """The last check's verdict on a node, said about the gradient it judged."""
    how = f"{v.mode}, h = {v.h:.1e}"
    if v.applies:
        return (f"check: {verdict_text(v.verdict)} (finite differences {fmt_val(v.numeric)} vs "
                f"backprop {fmt_val(v.analytic)}; {how})")
    now = "" if i.grad is None or i.grad_state == "not computed" else f"; now {fmt_val(i.grad)} so far"
    return (f"check: pending here — it judged the final gradient {fmt_val(v.analytic)}: "
            f"{verdict_text(v.verdict)} (finite differences {fmt_val(v.numeric)}; {how}){now}")


def verdict_cell(v: rec.CheckVerdict | None) -> str:
    """The verdict as a table cell: 'pass', or 'pending (pass at 13)' before the gradient
    it judged is on screen."""
    if v is None:
        return ""
    word = verdict_text(v.verdict)
    return word if v.applies else f"pending ({word} at {fmt_val(v.analytic)})"


def grad_cell(i: rec.NodeInfo) -> str:
    """—: no gradient · ·: not computed yet · 4…: some terms still to come · 13: complete."""
    if i.grad is None:
        return "—"
    if i.grad_state == "not computed":
        return "·"
    return fmt_val(i.grad) + ("" if i.complete else "…")


@text.register
def _(e: ev.Nodes) -> str:
    rows = [f"{'id':>5}  {'label':<22} {'op':<8} {'value':>12} {'grad':>12}  check"]
    for i in e.nodes:
        name = i.label + (" (earlier)" if i.shadowed else "")
        val = "·" if i.value is None and i.in_f else "—" if i.value is None else fmt_val(i.value)
        mark = "" if i.in_f else "  (outside f)"
        rows.append(f"{i.id:>5}  {name:<22} {i.op:<8} {val:>12} {grad_cell(i):>12}  "
                    f"{verdict_cell(i.verdict)}{mark}".rstrip())
    if e.outside and not e.all:
        rows.append(f"{_n(e.outside, 'node')} outside f (:nodes all lists them)")
    elif e.outside:
        rows.append(f"{_n(e.outside, 'node')} outside f, marked: f does not use them")
    return "\n".join(rows)


@text.register
def _(e: ev.GraphText) -> str:
    return "\n".join(e.lines)


def verdict_text(verdict: str) -> str:
    return "not differentiable here" if verdict == "kink" else verdict


_METHODS = {"central": "central differences", "forward": "forward differences",
            "richardson": "Richardson extrapolation (4·D(h/2) − D(h))/3 of central differences",
            "complex": "complex step Im f(x + ih)/h"}


def _check_row(r: ev.CheckRow) -> str:
    return (f"{r.node[:16]:<16} {r.analytic:>13.6g} {r.numeric:>13.6g} {r.abs_err:>9.2e} "
            f"{r.rel_err:>9.2e} {r.h:>8.1e}  {verdict_text(r.verdict)}")


@text.register
def _(e: ev.Check) -> str:
    rule = f"pass when |a−n| ≤ {e.atol:g} + {e.rtol:g}·|n|"
    if e.order == 2:
        out = [f"second-order check: the Hessian (forward-over-reverse) against "
               f"{_METHODS[e.mode]} of the gradient ({rule})",
               f"{'entry':<16} {'Hessian':>13} {'from ∇f':>13} {'abs err':>9} {'rel err':>9} "
               f"{'h':>8}  verdict"]
    else:
        if e.mode == "complex":
            head, numeric = "complex-step check (Im f(x + ih)/h", "complex step"
        else:
            method = e.mode if e.mode in ("central", "forward") else _METHODS[e.mode]
            head, numeric = f"finite-difference check ({method}", "finite diff"
        out = [f"{head}, {rule})",
               f"{'node':<16} {'backprop':>13} {numeric:>13} {'abs err':>9} {'rel err':>9} "
               f"{'h':>8}  verdict"]
    if e.order == 1 and not e.verbose and len(e.rows) > SUMMARY_ROWS:
        header = out.pop()
        out += check_summary(e, _check_row, header)
    else:
        out += [_check_row(r) for r in e.rows]
    cancelled = " — cancelled" if e.cancelled else ""
    if e.order == 2:
        n = e.inputs
        out.append(f"cost: {e.evals} gradient evaluations (each a forward and a backward pass) "
                   f"for the {n}×{n} Hessian, which took {_n(n, 'Hessian-vector product')}"
                   + cancelled)
        return "\n".join(out)
    what = "complex-valued function evaluations" if e.mode == "complex" else "function evaluations"
    out.append(f"cost: {e.evals} {what} for {len(e.rows)} node"
               f"{'s' * (len(e.rows) != 1)} ({_n(e.inputs, 'input')}); backprop needed one "
               f"forward and one backward pass" + cancelled)
    return "\n".join(out)


@text.register
def _(e: ev.HSweep) -> str:
    scale = abs(e.analytic)
    kind = "relative error |estimate − backprop| / |backprop|" if scale else "absolute error"

    def err(x: float) -> str:
        return f"{x / scale if scale else x:>12.2e}"

    def errc(x: float) -> str:
        return " " + err(x)

    out = [f"h sweep for ∂f/∂{paren(e.node)} (backprop {e.analytic:.12g}): {kind}",
           f"{'h':>8} {'forward':>12} {'central':>12} {'Richardson':>12} {'complex step':>13}"]
    for r in e.rows:
        out.append(f"{r.h:>8.1e} {err(r.forward_err)} {err(r.central_err)} "
                   f"{err(r.richardson_err)} {errc(r.complex_err)}")
    out.append(hsweep_best(e) + "; too large an h: truncation error, too small: round-off; the "
               "complex step subtracts nothing, so it stays at round-off level down to any h")
    return "\n".join(out)


def hsweep_best(e: ev.HSweep) -> str:
    """The best step sizes, said as step sizes (with their errors, relative as the table
    prints them), not as bare numbers that read like errors."""
    scale = abs(e.analytic) or 1.0

    def best(h: float, err: float) -> str:
        return "no finite h" if h != h else f"h = {h:.1e} (error {err:.1e})"

    def err_at(h: float, which: str) -> float:
        row = next((r for r in e.rows if r.h == h), None)
        return float("nan") if row is None else float(getattr(row, which)) / scale

    text = (f"best step size: {best(e.best_forward, err_at(e.best_forward, 'forward_err'))} for "
            f"forward differences, {best(e.best_central, err_at(e.best_central, 'central_err'))} "
            "for central ones")
    if e.best_richardson == e.best_richardson:  # not nan: the sweep has Richardson's column
        text += (f", {best(e.best_richardson, err_at(e.best_richardson, 'richardson_err'))} "
                 "for Richardson's")
    return text


@text.register
def _(e: ev.Summary) -> str:
    if e.output is None:
        return "no output"
    rows = [f"{f_is(e.output['label'])} = {fmt_val(e.output['value'])}"]
    rows += [f"  ∂f/∂{r['name']} = {fmt_val(r['grad'])}   ({r['name']} = {fmt_val(r['value'])})"
             for r in e.inputs]
    if e.outside:
        rows.append(f"  ({_n(e.outside, 'node')} outside f)")
    if e.passes:
        rows.append("  " + passes_line(e.passes))
    return "\n".join(rows)


def passes_line(passes: dict[str, int]) -> str:
    """What all of f's partials cost in passes, in each mode."""
    n = passes["inputs"]
    return (f"all {_n(n, 'partial')}: reverse mode 1 forward + 1 backward pass; forward mode "
            f"{passes['forward_mode']:,} tangent pass{'es' * (passes['forward_mode'] != 1)}")


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
def _(e: rp.Compare) -> str:
    return compare_text(e.result)


text.register(eng.EngineCheck)(engine_check_text)
text.register(rp.Trace)(trace_text)
text.register(rp.Hessian)(hessian_text)
text.register(rp.HVP)(hvp_text)
text.register(rp.Nudge)(nudge_text)
text.register(rp.Descend)(descend_text)
text.register(NudgeStepSet)(nudge_step_text)
text.register(Boundary)(boundary_text)
text.register(evs.Watch)(watch_text)
text.register(evs.Found)(found_text)
text.register(evs.Top)(top_text)
text.register(evs.Sorted)(sorted_text)
text.register(evs.PathEvent)(path_text)
text.register(evs.Diagnosis)(diagnosis_text)
