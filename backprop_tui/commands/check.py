"""Checking gradients: :check (finite differences), :hsweep (error against h), :compare."""

from __future__ import annotations

import math
from collections.abc import Callable

from .. import gradcheck
from ..compare import compare
from ..comparison import Compare
from ..events import Check, CheckMode, CheckRow, Event, HSweep, HSweepRow
from ..graph import EvalError
from ..labels import label
from ..registry import Arg, CommandError, command
from ..session import Session
from ..textutil import clip
from .inspect import number_arg


def _check_options(args: list[str]) -> tuple[list[str], CheckMode, float | None]:
    mode: CheckMode = "central"
    h, rest = None, []
    for arg in args:
        if arg.startswith("mode="):
            word = arg[5:]
            if word not in ("central", "forward"):
                raise CommandError(f"unknown mode '{clip(word)}': expected central or forward")
            mode = "central" if word == "central" else "forward"
        elif arg.startswith("h="):
            h = number_arg(arg[2:])
            if h <= 0:
                raise CommandError("h must be positive")
        else:
            rest.append(arg)
    return rest, mode, h


def check_nodes(s: Session, which: str) -> list[int]:
    """The nodes a check covers: every input (default), 'all' nodes, or one node."""
    g = s.prog.graph
    if not which:
        return [i for _, i in s.inputs_of_f()]
    if which == "all":
        return [i for i in reversed(s.bwd) if g.takes_grad(i)]
    i = s.resolve(which)
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
                    r.verdict, r.evals) for r in rows]
    ev = Check(mode, out, evals, len(s.inputs_of_f()), atol, rtol,
               all(r.verdict == "pass" for r in out) and not was_cancelled, was_cancelled)
    s.last_check = ev
    return ev


@command("check", ":check [NODE|all] [h=…] [mode=central|forward]", "Compare backprop gradients "
         "with finite differences: every input by default, every node with 'all'. Reports the "
         "errors, a verdict (kinks say 'not differentiable here') and the cost in evaluations.",
         aliases=("x",),
         args=(Arg("node", choices=("all",), options=("mode=central", "mode=forward", "h=")),),
         cost="slow")
def _cmd_check(s: Session, args: list[str]) -> list[Event]:
    s.require_program()
    rest, mode, h = _check_options(args)
    try:
        ev = run_check(s, check_nodes(s, " ".join(rest)), mode, h, s.check_progress,
                       s.check_cancelled)
    except EvalError as err:
        return [s.eval_error(err)]
    s.last_check_line = " ".join([":check", *args])
    return [ev]


@command("hsweep", ":hsweep [NODE]", "Error of forward and central differences against backprop "
         "for h = 1e-1 … 1e-13: h must be small, but not too small.", aliases=("h",),
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
    rows = [HSweepRow(h, fw, abs(fw - analytic), ce, abs(ce - analytic)) for h, fw, ce in data]

    def best(key: Callable[[HSweepRow], float]) -> float:
        finite = [r for r in rows if math.isfinite(key(r))]
        return min(finite, key=key).h if finite else math.nan

    return [HSweep(j, label(g, j), analytic, rows, best(lambda r: r.forward_err),
                   best(lambda r: r.central_err))]


@command("compare", ":compare", "Finite differences, symbolic differentiation and backprop side "
         "by side on f: evaluations, expression sizes (tree and shared), operations, wall time.",
         cost="slow")
def _cmd_compare(s: Session, args: list[str]) -> list[Event]:
    s.require_program()
    try:
        return [Compare(compare(s.prog, s.output))]
    except EvalError as err:
        return [s.eval_error(err)]


