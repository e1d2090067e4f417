"""Finite-difference checks of backprop gradients, for inputs and intermediate nodes.

Checking node j perturbs j's stored value and re-evaluates only the nodes downstream of j
(on a scratch copy of the values, so the session's state is never disturbed), found from
f's consumer lists built once per check: a check costs the sum of the checked nodes'
downstream cones.

Tolerances (float64): pass when |a − n| ≤ atol + rtol·|n|.
- central differences, h = ∛ε·max(1, |v|): error ~1e-10 relative, so atol 1e-7, rtol 1e-5;
- forward differences, h = √ε·max(1, |v|): error ~1e-8 relative, so atol 1e-5, rtol 1e-3
  (torch.autograd.gradcheck's defaults);
- Richardson extrapolation of central differences, (4·D(h/2) − D(h))/3, truncation O(h⁴),
  h = ε^(1/5)·max(1, |v|) (≈ 7e-4, where h⁴ truncation meets ε/h round-off): error
  ~1e-12 relative, so atol 1e-9, rtol 1e-7;
- complex step, Im f(v + ih)/h with h = 1e-20: no subtraction, error ~1e-16 relative (the
  rounding of the evaluation itself), so atol 1e-12, rtol 1e-10.
"""

from __future__ import annotations

import copy
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass

from . import complexstep
from .graph import EvalError, Graph
from .records import CheckMode, Verdict

EPS = sys.float_info.epsilon
TOLERANCES: dict[CheckMode, tuple[float, float]] = {"central": (1e-7, 1e-5),
                                                    "forward": (1e-5, 1e-3),
                                                    "richardson": (1e-9, 1e-7),
                                                    "complex": (1e-12, 1e-10)}
SWEEP_H = [10.0 ** -p for p in range(1, 21)]


def default_h(value: float, mode: str) -> float:
    if mode == "complex":
        return complexstep.H  # no cancellation: any tiny h will do, whatever |v|
    scale = max(1.0, abs(value))
    power = {"central": 1 / 3, "richardson": 1 / 5}.get(mode, 1 / 2)
    return EPS ** power * scale


def scratch(g: Graph) -> Graph:
    """A graph sharing g's structure but with its own value and gradient arrays."""
    s = copy.copy(g)
    s.value = list(g.value)
    s.grad = list(g.grad)
    return s


def reference(g: Graph, output: int) -> Graph:
    """Full forward and backward passes on a scratch copy (raises EvalError)."""
    s = scratch(g)
    try:
        s.forward(0, output + 1)
    except EvalError as err:
        # A node outside output's cone (an earlier statement that failed, e.g. log(-1))
        # must not stop this output: evaluate only the cone, in topological order.
        cone = g.cone(output)
        if cone[err.node]:
            raise
        for i in range(output + 1):
            if cone[i] and not g.is_leaf(i):
                s.value[i] = s.eval_node(i)
    s.backward(output)
    return s


@dataclass
class Downstream:
    """The nodes that depend on j, in topological order, and whether a kink lies on them."""

    nodes: list[int]
    kink: bool


Consumers = tuple[list[int], list[int]]  # Graph.consumers: CSR (start, items)


def downstream(g: Graph, j: int, output: int, consumers: Consumers | None = None) -> Downstream:
    """The nodes of output's cone that depend on j (empty when output does not). With the
    output's consumer lists (built once for all the checked nodes) the cost is the size of
    that downstream cone; without them, they are built first (one pass over the graph)."""
    if consumers is None:
        consumers = g.consumers(output) if j < output else ([], [])
    start, items = consumers
    if j + 1 >= len(start) or start[j] == start[j + 1]:
        return Downstream([], False)  # nothing in output's cone reads j
    seen = {j}
    stack = [j]
    while stack:  # a walk over consumer lists, no recursion
        i = stack.pop()
        for c in items[start[i]:start[i + 1]]:
            if c not in seen:
                seen.add(c)
                stack.append(c)
    seen.discard(j)
    nodes = sorted(seen)  # topological: creation order
    return Downstream(nodes, any(g.is_kink(i) for i in nodes))


class Evaluator:
    """f as a function of one node's value, re-evaluating only what lies downstream.

    `scratch` (a copy of ref's values shared by the evaluators of one check) is restored
    after each call, so a check copies the value array once, not once per checked node."""

    def __init__(self, ref: Graph, j: int, output: int, consumers: Consumers | None = None,
                 scratch: list[float] | None = None) -> None:
        self.ref = ref
        self.j = j
        self.output = output
        self.down = downstream(ref, j, output, consumers)
        self.vals = scratch if scratch is not None else list(ref.value)
        self.evals = 0

    def __call__(self, x: float) -> float:
        self.evals += 1
        vals, ref_vals, nodes = self.vals, self.ref.value, self.down.nodes
        vals[self.j] = x
        ev = self.ref.eval_node
        try:
            for i in nodes:
                vals[i] = ev(i, vals)
            return vals[self.output] if nodes or self.j == self.output else ref_vals[self.output]
        finally:
            vals[self.j] = ref_vals[self.j]
            for i in nodes:
                vals[i] = ref_vals[i]


def estimate(f: Evaluator, v: float, h: float, mode: str, f0: float) -> float:
    if mode == "central":
        return (f(v + h) - f(v - h)) / (2 * h)
    if mode == "richardson":
        half = h / 2
        d_half = (f(v + half) - f(v - half)) / h
        d_full = (f(v + h) - f(v - h)) / (2 * h)
        return (4 * d_half - d_full) / 3
    if mode == "complex":
        f.evals += 1
        return complexstep.derivative(f.ref, f.j, f.output, f.down.nodes, h)
    return (f(v + h) - f0) / h


@dataclass
class Row:
    id: int
    analytic: float
    numeric: float
    abs_err: float
    rel_err: float
    h: float
    verdict: Verdict
    evals: int


def check(g: Graph, output: int, nodes: list[int], mode: CheckMode = "central", h: float | None = None,
          progress: Callable[[int, int], None] | None = None,
          cancelled: Callable[[], bool] | None = None) -> tuple[list[Row], int, bool]:
    """Check each node's gradient; returns (rows, function evaluations, was_cancelled)."""
    if mode not in TOLERANCES:
        raise ValueError(f"unknown mode '{mode}': expected {', '.join(TOLERANCES)}")
    atol, rtol = TOLERANCES[mode]
    ref = reference(g, output)
    f0 = ref.value[output]
    total_evals = 1 if mode == "forward" else 0  # forward differences share f(v)
    rows: list[Row] = []
    # Built once: each node's check then costs its downstream cone, so a check of every
    # input costs the sum of their cones, not inputs × nodes.
    consumers = ref.consumers(output)
    scratch = list(ref.value)
    for n, j in enumerate(nodes):
        if cancelled is not None and cancelled():
            return rows, total_evals, True
        v = ref.value[j]
        step = h if h is not None else default_h(v, mode)
        f = Evaluator(ref, j, output, consumers, scratch)
        try:
            numeric = estimate(f, v, step, mode, f0)
        except EvalError:  # the perturbation left the domain (e.g. log near 0)
            numeric = math.nan
        analytic = ref.grad[j]
        err = abs(analytic - numeric)
        rel = err / abs(numeric) if numeric else (0.0 if err == 0 else math.inf)
        verdict: Verdict
        if f.down.kink:
            verdict = "kink"
        else:
            verdict = "pass" if err <= atol + rtol * abs(numeric) else "fail"
        rows.append(Row(j, analytic, numeric, err, rel, step, verdict, f.evals))
        total_evals += f.evals
        if progress is not None:
            progress(n + 1, len(nodes))
    return rows, total_evals, False


SWEEP_MODES: tuple[CheckMode, ...] = ("forward", "central", "richardson", "complex")


def hsweep(g: Graph, output: int, j: int) -> tuple[float, list[tuple[float, ...]]]:
    """(analytic, [(h, forward, central, Richardson, complex-step estimate)]) for
    h = 1e-1 … 1e-20 (scaled by max(1, |v|), as the check's default h is)."""
    ref = reference(g, output)
    f = Evaluator(ref, j, output)
    v = ref.value[j]
    f0 = ref.value[output]
    out: list[tuple[float, ...]] = []
    for h in SWEEP_H:
        hh = h * max(1.0, abs(v))
        row = [hh]
        for mode in SWEEP_MODES:
            try:
                row.append(estimate(f, v, hh, mode, f0))
            except EvalError:  # outside the domain at this h
                row.append(math.nan)
        out.append(tuple(row))
    return ref.grad[j], out
