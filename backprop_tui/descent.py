"""Gradient descent on a graph's inputs: the optimiser :descend and demos/moons.py share.

Each iteration is one full forward pass and one backward pass on a scratch copy of the
graph (re-evaluated in place, never rebuilt), then one update per parameter x with
gradient g = ∂f/∂x (t counts updates from 1):

    sgd       x ← x − lr·g
    momentum  v ← μ·v + g;  x ← x − lr·v                       (v starts at 0)
    adam      m ← β1·m + (1−β1)·g;  s ← β2·s + (1−β2)·g²;
              m̂ = m/(1−β1ᵗ);  ŝ = s/(1−β2ᵗ);  x ← x − lr·m̂/(√ŝ + ε)
              (Kingma & Ba 2015: β1 0.9, β2 0.999, ε 1e-8; m, s start at 0)

It stops after `steps` updates, when |Δf| < tol between two evaluations, when f or a
gradient is nan/inf (the parameters stay at the last point where both were finite), or
when cancelled() says so. The caller's graph is untouched: it gets the final values.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from .gradcheck import scratch
from .graph import EvalError, Graph

Method = Literal["sgd", "momentum", "adam"]
METHODS: tuple[Method, ...] = ("sgd", "momentum", "adam")
MAX_STEPS = 100_000
BETA1, BETA2, EPS = 0.9, 0.999, 1e-8
Stop = Literal["steps", "tol", "nonfinite", "error", "cancelled"]


@dataclass
class Result:
    losses: list[float]  # f before the first update, then after each (all finite)
    final: dict[int, float]  # parameter → value at the last finite point
    stop: Stop
    detail: str = ""  # what was not finite, or the evaluation error
    grads: dict[int, float] = field(default_factory=dict)  # ∂f/∂x at the final point

    @property
    def updates(self) -> int:
        return len(self.losses) - 1


def descend(g: Graph, output: int, params: list[int], lr: float, steps: int,
            method: Method = "sgd", momentum: float = 0.9, tol: float = 0.0,
            cancelled: Callable[[], bool] | None = None,
            on_step: Callable[[list[float]], None] | None = None) -> Result:
    """Run gradient descent from the graph's current input values (see the module doc).
    `on_step(losses)` is told after each evaluation (the list grows in place: a view may
    plot it live, reading only its first len(losses) items)."""
    s = scratch(g)
    value = s.value
    n = len(params)
    vel = [0.0] * n
    sq = [0.0] * n
    losses: list[float] = []
    last = [value[i] for i in params]
    stop: Stop = "steps"
    detail = ""
    grads: list[float] = []
    for t in range(steps + 1):
        try:
            _evaluate(s, output)
            s.backward(output)
        except EvalError as err:
            stop, detail = "error", str(err)
            break
        f = value[output]
        grad = s.grad  # backward may give the graph a new array
        gr = [grad[i] for i in params]
        if not math.isfinite(f) or not all(map(math.isfinite, gr)):
            stop = "nonfinite"
            detail = f"f = {f}" if not math.isfinite(f) else "a gradient is not finite"
            break
        last = [value[i] for i in params]
        grads = gr
        losses.append(f)
        if on_step is not None:
            on_step(losses)
        if len(losses) > 1 and abs(losses[-1] - losses[-2]) < tol:
            stop = "tol"
            break
        if t == steps:
            break
        if cancelled is not None and cancelled():
            stop = "cancelled"
            break
        if method == "sgd":
            for j, i in enumerate(params):
                value[i] -= lr * gr[j]
        elif method == "momentum":
            for j, i in enumerate(params):
                vel[j] = momentum * vel[j] + gr[j]
                value[i] -= lr * vel[j]
        else:
            c1, c2 = 1 - BETA1 ** (t + 1), 1 - BETA2 ** (t + 1)
            for j, i in enumerate(params):
                vel[j] = BETA1 * vel[j] + (1 - BETA1) * gr[j]
                sq[j] = BETA2 * sq[j] + (1 - BETA2) * gr[j] * gr[j]
                value[i] -= lr * (vel[j] / c1) / (math.sqrt(sq[j] / c2) + EPS)
    return Result(losses, dict(zip(params, last, strict=True)), stop, detail,
                  dict(zip(params, grads, strict=True)) if grads else {})


def _evaluate(s: Graph, output: int) -> None:
    """A forward pass; a failing node outside f's cone (an earlier statement's log(-1))
    does not stop f: then only the cone is evaluated, in topological order."""
    try:
        s.forward(0, output + 1)
    except EvalError as err:
        cone = s.cone(output)
        if cone[err.node]:
            raise
        for i in range(output + 1):
            if cone[i] and not s.is_leaf(i):
                s.value[i] = s.eval_node(i)
