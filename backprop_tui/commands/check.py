"""Checking gradients: :check (finite differences, Richardson, complex step; order 2 checks
the Hessian), :hsweep (error against h), :compare."""

from __future__ import annotations

import math
from collections.abc import Callable

from .. import gradcheck, hessian
from ..compare import compare
from ..events import Check, CheckRow, Event, HSweep, HSweepRow
from ..graph import EvalError
from ..labels import label
from ..records import CheckMode
from ..registry import Arg, CommandError, command
from ..reports import Compare
from ..session import Session
from ..textutil import clip
from .inspect import number_arg

_MODES: dict[str, CheckMode] = {"central": "central", "forward": "forward",
                                 "richardson": "richardson", "complex": "complex"}


def _check_options(args: list[str]) -> tuple[list[str], CheckMode, float | None, int]:
    mode: CheckMode = "central"
    h, rest, order = None, [], 1
    for arg in args:
        if arg.startswith("mode="):
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
    return rest, mode, h, order


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
              cancelled: Callable[[], bool] | None = None) -> Check:
    """The FD check as an event; the TUI calls this from a worker with progress/cancel."""
    g = s.prog.graph
    rows, evals, was_cancelled = gradcheck.check(g, s.require_program(), nodes, mode, h,
                                                 progress, cancelled)
    atol, rtol = gradcheck.TOLERANCES[mode]
    out = [CheckRow(r.id, label(g, r.id), r.analytic, r.numeric, r.abs_err, r.rel_err, r.h,
                    r.verdict, r.evals, mode) for r in rows]
    ev = Check(mode, out, evals, len(s.inputs_of_f()), atol, rtol,
               all(r.verdict == "pass" for r in out) and not was_cancelled, was_cancelled)
    s.last_check = ev
    return ev


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


@command("check", ":check [NODE|all] [h=…] [mode=central|forward|richardson|complex] [order=2]",
         "Compare backprop gradients with finite differences: every input by default, every "
         "node with 'all'. mode=richardson extrapolates central differences, mode=complex takes "
         "the complex step (h = 1e-20, no round-off); order=2 checks the Hessian against "
         "differences of the gradient. Reports the errors, a verdict (kinks say 'not "
         "differentiable here') and the cost in evaluations.",
         aliases=("x",),
         args=(Arg("node", choices=("all",),
                   options=("mode=central", "mode=forward", "mode=richardson", "mode=complex",
                            "h=", "order=2")),),
         cost="slow")
def _cmd_check(s: Session, args: list[str]) -> list[Event]:
    s.require_program()
    rest, mode, h, order = _check_options(args)
    try:
        if order == 2:
            if rest:
                raise CommandError("order=2 checks the whole Hessian over f's inputs: give no node")
            ev = run_check2(s, mode, h, s.check_cancelled)
        else:
            ev = run_check(s, check_nodes(s, " ".join(rest)), mode, h, s.check_progress,
                           s.check_cancelled)
    except EvalError as err:
        return [s.eval_error(err)]
    s.last_check_line = " ".join([":check", *args])
    return [ev]


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


