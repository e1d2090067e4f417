"""Checking gradients: :check (finite differences, Richardson, complex step; order 2 checks
the Hessian), :hsweep (error against h), :compare."""

from __future__ import annotations

import math
from collections.abc import Callable

from .. import gradcheck, hessian
from ..compare import compare
from ..events import Check, CheckRow, Event, HSweep, HSweepRow
from ..events_search import Diagnosis
from ..graph import EvalError, Graph
from ..labels import label
from ..ops import BUILTIN_OPS, OPS
from ..records import CheckMode
from ..registry import Arg, CommandError, command
from ..reports import Compare
from ..session import Session
from ..textutil import clip
from .inspect import number_arg

_MODES: dict[str, CheckMode] = {"central": "central", "forward": "forward",
                                 "richardson": "richardson", "complex": "complex"}


def _check_options(args: list[str]) -> tuple[list[str], CheckMode, float | None, int, bool]:
    mode: CheckMode = "central"
    h, rest, order, verbose = None, [], 1, False
    for arg in args:
        if arg == "verbose":
            verbose = True
        elif arg.startswith("mode="):
            word = arg[5:]
            if word not in _MODES:
                raise CommandError(f"unknown mode '{clip(word)}': expected central, forward, "
                                   "richardson or complex")
            mode = _MODES[word]
        elif arg.startswith("h="):
            h = number_arg(arg[2:])
            if h <= 0:
                raise CommandError("h must be positive")
        elif arg.startswith("order="):
            if arg[6:] not in ("1", "2"):
                raise CommandError(f"order must be 1 (the gradient) or 2 (the Hessian), not "
                                   f"'{clip(arg[6:])}'")
            order = int(arg[6:])
        else:
            rest.append(arg)
    if order == 2 and mode not in hessian.TOLERANCES2:
        raise CommandError(f"order=2 checks the Hessian against central or forward differences "
                           f"of the gradient, not mode={mode}")
    return rest, mode, h, order, verbose


def check_nodes(s: Session, which: str) -> list[int]:
    """The nodes a check covers: every input (default), 'all' nodes, or one node."""
    g = s.prog.graph
    if not which:
        return [i for _, i in s.inputs_of_f()]
    if which == "all":
        return [i for i in reversed(s.bwd) if g.takes_grad(i)]
    i = s.resolve(which)
    if not s.in_cone(i):  # (gradcheck walks only f's graph: a later node indexed past it)
        raise CommandError(f"{label(g, i)} is not in f's graph (f does not depend on it): "
                           ":output NODE makes another node f")
    if not g.takes_grad(i):
        raise CommandError(f"{label(g, i)} is a constant: it has no gradient to check")
    return [i]


def run_check(s: Session, nodes: list[int], mode: CheckMode, h: float | None,
              progress: Callable[[int, int], None] | None = None,
              cancelled: Callable[[], bool] | None = None, verbose: bool = False) -> Check:
    """The FD check as an event; the TUI calls this from a worker with progress/cancel."""
    g = s.prog.graph
    rows, evals, was_cancelled = gradcheck.check(g, s.require_program(), nodes, mode, h,
                                                 progress, cancelled)
    atol, rtol = gradcheck.TOLERANCES[mode]
    out = [CheckRow(r.id, label(g, r.id), r.analytic, r.numeric, r.abs_err, r.rel_err, r.h,
                    r.verdict, r.evals, mode) for r in rows]
    ev = Check(mode, out, evals, len(s.inputs_of_f()), atol, rtol,
               all(r.verdict == "pass" for r in out) and not was_cancelled, was_cancelled,
               verbose=verbose)
    s.last_check = ev
    return ev


def diagnose(s: Session, check: Check) -> Diagnosis | None:
    """Where the wrong gradient starts, after a check of every node with failures: the
    first node in backward order whose own local rule disagrees with central differences of
    that node alone (a user operator's, an imported engine's: the built-ins are tested), else
    the first failing node in backward order whose consumers all pass. Every failure upstream
    of it inherits its error, so it is named rather than everything downstream.
    O(nodes of f's graph), plus two evaluations per operand of the nodes that read a failure."""
    if check.order != 1:
        return None
    if s.other_grads:  # an imported engine: its gradients are the suspects, not backprop's
        return _engine_origin(s, check)
    failing = {r.id for r in check.rows if r.verdict == "fail"}
    if not failing:
        return None
    g = s.prog.graph
    out = s.require_program()
    ref = gradcheck.reference(g, out)
    verdict = {r.id: r.verdict for r in check.rows}
    builtin = len(BUILTIN_OPS)
    for c in s.bwd:
        if g.is_leaf(c) or g.op[c] < builtin or ref.is_kink(c):
            continue
        for j in dict.fromkeys(g.operands(c)):
            if j not in failing:
                continue
            rule, numeric = _local_rule(ref, c, j)
            if numeric == numeric and abs(rule - numeric) > 1e-6 + 1e-4 * abs(numeric):
                return Diagnosis("rule", c, label(g, c, 40), OPS[g.op[c]].name, j, label(g, j, 40),
                                 rule, numeric, len(failing), _upstream(g, c, failing))
    for j in s.bwd:
        consumers = s.consumers(j)
        if j in failing and consumers and all(verdict.get(c) == "pass" for c in consumers):
            return Diagnosis("start", j, label(g, j, 40), OPS[g.op[j]].name, failures=len(failing),
                             inherited=_upstream(g, j, failing) - 1)
    return None


def _engine_origin(s: Session, check: Check) -> Diagnosis | None:
    """An imported engine (check_engine's session): the first node in backward order whose
    learner gradient disagrees with finite differences while every node reading it agrees.
    The rule that pushed into it, its consumer's _backward, is the bug."""
    g = s.prog.graph
    rows = {r.id: r for r in check.rows}

    def wrong(i: int) -> bool:
        r, learner = rows.get(i), s.other_grad(i)
        if r is None or learner is None or r.verdict == "kink":
            return False
        return not abs(learner - r.numeric) <= check.atol + check.rtol * abs(r.numeric)

    bad = {i for i in rows if wrong(i)}
    for j in s.bwd:
        consumers = s.consumers(j)
        if j in bad and consumers and not any(c in bad for c in consumers):
            c = consumers[0]
            return Diagnosis("engine", c, label(g, c, 40), OPS[g.op[c]].name, j, label(g, j, 40),
                             s.other_grad(j), rows[j].numeric, len(bad), _upstream(g, j, bad))
    return None


def _local_rule(ref: Graph, c: int, j: int) -> tuple[float, float]:
    """∂c/∂j by c's rule (summed over the slots j fills: x·x) and by central differences of
    c alone (nan when the perturbation leaves c's domain)."""
    rule = sum(d for k, d in zip(ref.operands(c), ref.local_derivs(c), strict=True) if k == j)
    v = ref.value[j]
    step = gradcheck.default_h(v, "central")
    try:
        ref.value[j] = v + step
        up = ref.eval_node(c)
        ref.value[j] = v - step
        down = ref.eval_node(c)
    except EvalError:
        return rule, math.nan
    finally:
        ref.value[j] = v
    return rule, (up - down) / (2 * step)


def _upstream(g: Graph, c: int, failing: set[int]) -> int:
    """How many failing nodes node c depends on (itself included)."""
    mark = g.cone(c)
    return sum(1 for i in failing if i < len(mark) and mark[i])


def run_check2(s: Session, mode: CheckMode, h: float | None,
               cancelled: Callable[[], bool] | None = None) -> Check:
    """order=2: the Hessian against finite differences of the gradient, over f's inputs."""
    g = s.prog.graph
    out = s.require_program()
    inputs = [i for _, i in s.prog.inputs() if s.in_cone(i)]
    hessian_size(s, inputs)
    rows, evals, was_cancelled = hessian.check(g, out, inputs, mode, h, cancelled)
    atol, rtol = hessian.TOLERANCES2[mode]
    names = {i: label(g, i) for i in inputs}
    checked = [CheckRow(r.row, f"{names[r.row]},{names[r.col]}", r.analytic, r.numeric, r.abs_err,
                        r.rel_err, r.h, r.verdict, 2 if mode == "central" else 1, mode, r.col)
               for r in rows]
    ev = Check(mode, checked, evals, len(inputs), atol, rtol,
               all(r.verdict == "pass" for r in checked) and not was_cancelled, was_cancelled,
               order=2)
    s.last_check = ev
    return ev


def hessian_size(s: Session, inputs: list[int]) -> None:
    """Refuse a Hessian too big to compute in seconds; :hvp scales."""
    n = len(inputs)
    if n == 0:
        raise CommandError("f has no inputs: there is no Hessian to compute")
    work = n * len(s.bwd)
    if n > hessian.MAX_HESSIAN_INPUTS or work > hessian.MAX_HESSIAN_WORK:
        raise CommandError(
            f"f has {n:,} inputs and {len(s.bwd):,} nodes: the Hessian takes {n:,} Hessian-vector "
            f"products; the limit is {hessian.MAX_HESSIAN_INPUTS} inputs and "
            f"{hessian.MAX_HESSIAN_WORK:,} inputs × nodes. Use :hvp v1 v2 … (or :hvp NAME=…): "
            "one product costs a few backward passes, whatever the number of inputs")


@command("check", ":check [NODE|all] [verbose] [h=…] [mode=central|forward|richardson|complex] "
         "[order=2]",
         "Compare backprop gradients with finite differences: every input by default, every "
         "node with 'all' (past 20 nodes: a summary, the worst errors and the failures only, "
         "unless 'verbose'; then where the wrong gradient starts: the first node in backward "
         "order whose own local rule disagrees). mode=richardson extrapolates central "
         "differences, mode=complex takes the complex step (h = 1e-20, no round-off); "
         "order=2 checks the Hessian against differences of the gradient. Reports the errors, "
         "a verdict (kinks say 'not differentiable here') and the cost in evaluations.",
         aliases=("x",),
         args=(Arg("node", choices=("all",),
                   options=("verbose", "mode=central", "mode=forward", "mode=richardson",
                            "mode=complex", "h=", "order=2")),),
         cost="slow")
def _cmd_check(s: Session, args: list[str]) -> list[Event]:
    s.require_program()
    rest, mode, h, order, verbose = _check_options(args)
    try:
        if order == 2:
            if rest:
                raise CommandError("order=2 checks the whole Hessian over f's inputs: give no node")
            ev = run_check2(s, mode, h, s.check_cancelled)
        else:
            ev = run_check(s, check_nodes(s, " ".join(rest)), mode, h, s.check_progress,
                           s.check_cancelled, verbose)
        found = diagnose(s, ev) if rest == ["all"] and not ev.cancelled else None
    except EvalError as err:
        return [s.eval_error(err)]
    s.last_check_line = " ".join([":check", *args])
    return [ev] if found is None else [ev, found]


@command("hsweep", ":hsweep [NODE]", "Error of forward, central, Richardson and complex-step "
         "differences against backprop for h = 1e-1 … 1e-20: h must be small, but not too small "
         "(except for the complex step, which has no subtraction).", aliases=("h",),
         args=(Arg("node"),))
def _cmd_hsweep(s: Session, args: list[str]) -> list[Event]:
    out = s.require_program()
    g = s.prog.graph
    nodes = check_nodes(s, " ".join(args))
    if not nodes:
        raise CommandError("f has no inputs to sweep")
    j = nodes[0]
    try:
        analytic, data = gradcheck.hsweep(g, out, j)
    except EvalError as err:
        return [s.eval_error(err)]
    rows = [HSweepRow(h, fw, abs(fw - analytic), ce, abs(ce - analytic), ri, abs(ri - analytic),
                      cx, abs(cx - analytic)) for h, fw, ce, ri, cx in data]

    def best(key: Callable[[HSweepRow], float]) -> float:
        finite = [r for r in rows if math.isfinite(key(r))]
        return min(finite, key=key).h if finite else math.nan

    return [HSweep(j, label(g, j), analytic, rows, best(lambda r: r.forward_err),
                   best(lambda r: r.central_err), best(lambda r: r.richardson_err),
                   best(lambda r: r.complex_err))]


@command("compare", ":compare", "Finite differences, symbolic differentiation, forward mode and "
         "backprop side by side on f: evaluations and passes, expression sizes (tree and shared), "
         "operations, wall time.",
         cost="slow")
def _cmd_compare(s: Session, args: list[str]) -> list[Event]:
    s.require_program()
    try:
        return [Compare(compare(s.prog, s.output))]
    except EvalError as err:
        return [s.eval_error(err)]


