"""Using the gradient: :nudge (the first-order promise, kept) and :descend (gradient descent
on f's inputs, by the formulas in descent.py)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from weakref import WeakKeyDictionary

from .. import descent, gradcheck, hessian
from ..events import Event
from ..events_train import NudgeStepSet
from ..graph import EvalError
from ..labels import fmt_val, label
from ..registry import Arg, CommandError, command, key_values
from ..reports import Descend, Nudge
from ..session import Session
from ..textutil import clip
from .inputs import Refusals, input_of_f, names_of_inputs
from .inspect import number_arg

MAX_DESCENT_WORK = 200_000_000  # steps × nodes of f's graph: about a minute at worst


@dataclass(frozen=True)
class LiveDescent:
    """A :descend under way, as a view that plots it live sees it. `losses` is the growing
    list itself (f before the first update, then after each): read its first `len` items."""

    output: str
    method: str
    lr: float
    steps: int  # the updates asked for
    losses: list[float]


# A view's watcher of :descend runs, by session: the TUI's worker sets one while it runs a
# line, and plots the loss live from it (throttled on its side). Called on the thread that
# runs the command, after every evaluation.
_WATCHERS: WeakKeyDictionary[Session, Callable[[LiveDescent], None]] = WeakKeyDictionary()


def watch_descent(s: Session, watcher: Callable[[LiveDescent], None] | None) -> None:
    """Tell `watcher` about every step of s's :descend runs (None: stop telling)."""
    if watcher is None:
        _WATCHERS.pop(s, None)
    else:
        _WATCHERS[s] = watcher


MOVE = Refusals(constant="constants never move", literal="only inputs move",
                other="only inputs move", unused="moving it changes nothing")


def param(s: Session, name: str) -> int:
    """An input of f that descent may move, or a CommandError that says why not."""
    node = s.resolve(name) if name.startswith("#") else s.prog.lookup(name)
    if node is None:
        raise CommandError(f"no input named '{clip(name)}'; f's inputs are {names_of_inputs(s)}")
    return input_of_f(s, node, MOVE)


NUDGE_STEP = 0.01  # the step of `:nudge NAME` until :nudge step=X changes it
_NUDGE_STEPS: WeakKeyDictionary[Session, float] = WeakKeyDictionary()


def nudge_step(s: Session) -> float:
    """The step `:nudge NAME` (and the TUI's shift+↑/↓) moves an input by."""
    return _NUDGE_STEPS.get(s, NUDGE_STEP)


def _set_nudge_step(s: Session, text: str) -> Event:
    step = _number("step", text, "a positive number")
    if not step > 0:
        raise CommandError(f"step={fmt_val(step)}: the nudge step must be a positive number")
    previous = nudge_step(s)
    _NUDGE_STEPS[s] = step
    return NudgeStepSet(step, previous)


@command("nudge", ":nudge NAME [DELTA] | :nudge step=X", "Move an input by DELTA (default: "
         "the nudge step, 0.01 until :nudge step=X sets it) and compare f's change with the "
         "gradient's prediction Δf ≈ ∂f/∂x·Δ, the error beside the second-order term "
         "½·∂²f/∂x²·Δ² (from one Hessian-vector product). Stepping restarts; :back undoes it.",
         args=(Arg("input", options=("step=",)), Arg("number")), cost="graph")
def _cmd_nudge(s: Session, args: list[str]) -> list[Event]:
    out = s.require_program()
    if len(args) == 1 and args[0].startswith("step="):
        return [_set_nudge_step(s, args[0][5:])]
    if not 1 <= len(args) <= 2:
        raise CommandError(f"usage: :nudge NAME DELTA (e.g. :nudge x 0.01), :nudge NAME (by the "
                           f"step, now {fmt_val(nudge_step(s))}) or :nudge step=X")
    if len(args) == 1:
        args = [args[0], repr(nudge_step(s))]
    i = param(s, args[0])
    delta = number_arg(args[1])
    g = s.prog.graph
    old = g.value[i]
    new = old + delta
    if not math.isfinite(new):
        raise CommandError(f"{clip(args[0])} + {fmt_val(delta)} is not a finite number")
    try:
        before = gradcheck.reference(g, out)
    except EvalError as err:
        return [s.eval_error(err)]
    second: float | None
    kinks: list[str] = []
    try:
        p = hessian.hvp(g, out, {i: 1.0})
        second = p.hvp[i]
        kinks = [label(g, k) for k in p.kinks]
    except (EvalError, ValueError):
        second = None
    s.change_inputs({i: new})
    try:
        after = gradcheck.reference(g, out)
    except EvalError as err:
        s.undo_inputs()
        return [s.eval_error(err)]
    return [Nudge(label(g, out), label(g, i), old, new, delta, before.value[out],
                  after.value[out], before.grad[i], second, kinks)]


_OPTIONS = ("lr=", "steps=", "params=", "method=", "momentum=", "tol=")


def _options(args: list[str]) -> dict[str, str]:
    return key_values(args, tuple(o[:-1] for o in _OPTIONS),
                      f":descend takes {', '.join(o + '…' for o in _OPTIONS)}")


def _number(key: str, text: str, expected: str) -> float:
    try:
        return number_arg(text)
    except CommandError as exc:
        raise CommandError(f"{key}={clip(text)}: expected {expected} ({exc})") from None


@command("descend", ":descend [lr=0.1] [steps=100] [params=NAME,…] [method=sgd|momentum|adam] "
         "[momentum=0.9] [tol=0]", "Gradient descent on f's inputs (all of them unless params= "
         "names some; constants never move), f reported at each step. sgd: x ← x − lr·g; "
         "momentum: v ← μv + g, x ← x − lr·v; adam: Kingma–Ba (β1 0.9, β2 0.999, ε 1e-8). "
         "Stops after steps= updates (at most 100,000), when |Δf| < tol, or before f or a "
         "gradient turns nan/inf. :back returns to the inputs before it.",
         args=(Arg("word", options=_OPTIONS),), cost="slow")
def _cmd_descend(s: Session, args: list[str]) -> list[Event]:
    out = s.require_program()
    opts = _options(args)
    lr = _number("lr", opts.get("lr", "0.1"), "a positive learning rate")
    if not lr > 0:
        raise CommandError(f"lr={fmt_val(lr)}: the learning rate must be a positive number")
    steps_text = opts.get("steps", "100")
    if not steps_text.isdigit():
        raise CommandError(f"steps={clip(steps_text)}: expected a whole number of updates, "
                           f"0 to {descent.MAX_STEPS:,}")
    steps = int(steps_text)
    if steps > descent.MAX_STEPS:
        raise CommandError(f"steps={steps:,}: at most {descent.MAX_STEPS:,} updates per :descend")
    chosen = opts.get("method", "sgd")
    found = [m for m in descent.METHODS if m == chosen]
    if not found:
        raise CommandError(f"method={clip(chosen)}: expected {', '.join(descent.METHODS)}")
    method = found[0]
    mu = _number("momentum", opts.get("momentum", "0.9"), "0 ≤ μ < 1")
    if "momentum" in opts and method != "momentum":
        if "method" in opts:
            raise CommandError(f"momentum= is for method=momentum, not {method}")
        method = "momentum"
    if not 0 <= mu < 1:
        raise CommandError(f"momentum={fmt_val(mu)}: expected 0 ≤ μ < 1")
    tol = _number("tol", opts.get("tol", "0"), "a number ≥ 0")
    if tol < 0:
        raise CommandError(f"tol={fmt_val(tol)}: expected a number ≥ 0")
    if "params" in opts:
        names = [n for n in opts["params"].split(",") if n]
        if not names:
            raise CommandError("params= names no input: give NAME,NAME…")
        params = list(dict.fromkeys(param(s, n) for n in names))
    else:
        params = [i for _, i in s.inputs_of_f()]
    g = s.prog.graph
    if not params:
        raise CommandError(f"f = {label(g, out)} has no inputs: there is nothing to descend on")
    work = steps * len(s.fwd)
    if work > MAX_DESCENT_WORK:
        raise CommandError(f"{steps:,} steps × {len(s.fwd):,} operations is {work:,}; the "
                           f"limit is {MAX_DESCENT_WORK:,}: take fewer steps")
    t0 = time.perf_counter()
    r = descent.descend(g, out, params, lr, steps, method, mu, tol, s.check_cancelled,
                        _on_step(s, label(g, out), method, lr, steps))
    seconds = time.perf_counter() - t0
    if not r.losses:
        detail = r.detail or "f is not finite"
        raise CommandError(f"cannot descend from here: {detail} at the current inputs")
    start = {label(g, i): g.value[i] for i in params}
    s.change_inputs(r.final)
    return [Descend(label(g, out), method, lr, mu if method == "momentum" else None, tol,
                    r.losses, start, {label(g, i): v for i, v in r.final.items()},
                    {label(g, i): v for i, v in r.grads.items()}, r.stop, r.detail, seconds)]


def _on_step(s: Session, output: str, method: str, lr: float,
             steps: int) -> Callable[[list[float]], None] | None:
    """descent's per-step callback: the progress hook (a bar) and the view's watcher."""
    progress, watcher = s.check_progress, _WATCHERS.get(s)
    if progress is None and watcher is None:
        return None
    live: list[LiveDescent] = []

    def on_step(losses: list[float]) -> None:
        if progress is not None:
            progress(len(losses) - 1, steps)
        if watcher is not None:
            if not live:
                live.append(LiveDescent(output, method, lr, steps, losses))
            watcher(live[0])

    return on_step
