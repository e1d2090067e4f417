"""The full forward and backward passes over a graph's flat arrays.

The passes run over a Plan: the op nodes only (leaves hold their values and push nothing),
each with its op code and operand indices in one tuple, built once per graph and
extended as it grows. The commonest ops are inlined (a call through the table costs more
than the arithmetic); tests/core/test_engine*.py check every inlined rule against the op table's
``fn`` and ``deriv``, which stay the one definition. No exec, no compile.

- A product followed at once by a sum that reads it (``acc + w·h``: every dot product)
  is one plan entry, a fused pair: one loop iteration evaluates both, or pushes for both
  in the order two iterations would (the sum's pushes, then the product's), so results are
  bit for bit those of two entries.
- Backward pushes only to operands that take a gradient where that is cheap to plan: a
  product or sum with a literal (``3x``, ``s·0.999``) is a one-sided push. Consts and
  literals that do receive pushes are zeroed after the pass.
- The fast backward pass skips the pushes of an inlined op whose gradient is 0 (a dead
  relu's whole subtree): with every value finite, its local derivatives are finite (±1,
  0 or 1, a value, 1 − tanh²) and 0·d = ±0 would change nothing. When a value or a
  gradient is not finite, the exact pass over the output's cone runs instead (0·inf = nan,
  as the stepping session has it).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .engine_plan import (
    _ADD,
    _B,
    _B_ADD,
    _B_ADD_A,
    _B_MUL,
    _B_MUL_A,
    _B_RELU,
    _B_SUB,
    _B_TANH,
    _DERIVS,
    _FMA,
    _FMA_H,
    _FMA_W,
    _FNS,
    _MATH_ERRORS,
    _MUL,
    _NEG,
    _RELU,
    _SUB,
    _TANH,
    FUSED,
    Entry,
    Plan,
    _cut,
    _split_pair,
)
from .ops import CONST, LITERAL, OPS

if TYPE_CHECKING:
    from .graph import Graph

__all__ = ["FUSED", "EvalError", "Plan", "Warning_", "backward", "forward", "nonfinite"]


class EvalError(Exception):
    """Evaluation stopped at a node (outside an op's domain, division by zero)."""

    def __init__(self, node: int, message: str) -> None:
        super().__init__(message)
        self.node = node
        self.message = message


@dataclass
class Warning_:
    node: int
    message: str


def forward(g: Graph, plan: Plan, start: int, stop: int) -> list[Warning_]:
    """Evaluate the op nodes in [start, stop) into g.value; return overflow warnings."""
    lo, hi = _cut(plan, len(g), start, stop)
    v, k, fns, ga, gb = g.value, g.k, _FNS, g.a, g.b
    entries = plan.entries
    if lo < hi and entries[lo][1] == _FMA and entries[lo][4] < start:
        # The range starts between a pair's product and its sum: the sum alone.
        i, _, _, x, m, _, _ = entries[lo]
        v[i] = v[x] + v[m]
        lo += 1
    part = entries[lo:hi] if lo > 0 or hi < len(entries) else entries
    fma, mul, add, sub, neg, relu, tanh = _FMA, _MUL, _ADD, _SUB, _NEG, _RELU, _TANH
    th = math.tanh
    i = x = y = 0
    try:
        for i, o, _, x, y, w, h in part:
            if o == fma:
                t = v[w] * v[h]
                v[y] = t
                v[i] = v[x] + t
            elif o == mul:
                v[i] = v[x] * v[y]
            elif o == add:
                v[i] = v[x] + v[y]
            elif o == sub:
                v[i] = v[x] - v[y]
            elif o == relu:
                t = v[x]
                v[i] = t if t > 0 else 0.0
            elif o == tanh:
                v[i] = th(v[x])
            elif o == neg:
                v[i] = -v[x]
            else:
                # v[-1] for a unary op's missing b is harmless: unary fns ignore it.
                v[i] = fns[o](v[x], v[y], k[i])
    except _MATH_ERRORS as exc:
        raise g.domain_error(i, v[x], v[y] if y >= 0 else 0.0, k[i], exc) from None
    m = _split_pair(plan, hi, stop)
    if m >= start:
        v[m] = v[ga[m]] * v[gb[m]]
    return nonfinite(v, start, stop, "value")


def backward(g: Graph, plan: Plan, output: int) -> list[Warning_]:
    """Gradients of node `output` with respect to every node, from scratch, into g.grad.

    Exact chain rule over the output's cone: a node of the cone passes gi·d to each operand
    that takes a gradient, even when gi is 0 (0·inf = nan, as the stepping session has it);
    a node off the cone passes nothing. The fast pass (module doc) gives the same answer
    when every value and gradient is finite; otherwise the cone pass runs.
    """
    n = len(g)
    _, hi = _cut(plan, n, 0, output + 1)
    grad = _fast_pass(g, plan, output, hi)
    finite = grad is not None
    if grad is None:
        grad = _cone_pass(g, plan, output, hi)
    for j in plan.nograd:
        grad[j] = 0.0
    g.grad = grad
    return [] if finite else nonfinite(grad, 0, n, "gradient")


def _start(g: Graph, plan: Plan, output: int, hi: int) -> tuple[list[float], Iterable[Entry]]:
    """The gradient array seeded at the output, with the output's own pushes done when it
    is the product of a fused pair (its sum lies past the output); and the columns to run
    in reverse."""
    grad = [0.0] * len(g)
    grad[output] = 1.0
    if _split_pair(plan, hi, output + 1) == output:
        v, w, h, op = g.value, g.a[output], g.b[output], g.op
        if op[w] != CONST and op[w] != LITERAL:
            grad[w] += v[h]
        if op[h] != CONST and op[h] != LITERAL:
            grad[h] += v[w]
    entries = plan.entries
    return grad, reversed(entries if hi == len(entries) else entries[:hi])


def _fast_pass(g: Graph, plan: Plan, output: int, hi: int) -> list[float] | None:
    """Every entry up to the output, skipping the pushes of inlined ops whose gradient is 0.
    None when the result may differ from the cone pass's: a gradient is not finite, a math
    error, or a push was skipped while some value is not finite (one C-level sum, only then:
    with every value finite, each inlined op's local derivative is finite too)."""
    v, k, derivs = g.value, g.k, _DERIVS
    grad, cols = _start(g, plan, output, hi)
    fma, fma_w, table = _FMA, _FMA_W, _B
    add, mul, mul_a, add_a, relu, tanh, sub = _B_ADD, _B_MUL, _B_MUL_A, _B_ADD_A, _B_RELU, _B_TANH, _B_SUB
    skipped = False
    try:
        # Ordered by how common each op is in a loss: dot products, sums, products…
        for i, _, o, x, y, w, h in cols:
            gi = grad[i]
            if o >= fma:  # the sum i = x + y, then the product y = w·h
                if gi:
                    grad[x] += gi
                    gm = grad[y] + gi
                    grad[y] = gm
                else:
                    gm = grad[y]
                if not gm:
                    skipped = True
                elif o == fma:
                    grad[w] += gm * v[h]
                    grad[h] += gm * v[w]
                elif o == fma_w:
                    grad[w] += gm * v[h]
                else:
                    grad[h] += gm * v[w]
            elif not gi:
                skipped = True
                if o < table:
                    # Through the table even for gi = 0: d may be inf (sqrt'(0)), and 0·inf
                    # = nan then sends the whole pass to the cone pass, which decides.
                    d = derivs[o](v[x], v[y], k[i], v[i])
                    grad[x] += gi * d[0]
                    if y >= 0:
                        grad[y] += gi * d[1]
            elif o == add:
                grad[x] += gi
                grad[y] += gi
            elif o == mul:
                grad[x] += gi * v[y]
                grad[y] += gi * v[x]
            elif o == mul_a:
                grad[x] += gi * v[y]
            elif o == tanh:
                t = v[i]
                grad[x] += gi * (1.0 - t * t)
            elif o == relu:
                if v[x] > 0:
                    grad[x] += gi  # gi·1; gi·0 = ±0 would change nothing
            elif o == sub:
                grad[x] += gi
                grad[y] -= gi
            elif o < table:
                d = derivs[o](v[x], v[y], k[i], v[i])
                grad[x] += gi * d[0]
                if y >= 0:
                    grad[y] += gi * d[1]
            elif o == add_a:
                grad[x] += gi
            else:  # neg
                grad[x] -= gi
    except _MATH_ERRORS:
        return None
    # Before consts and literals are zeroed: a nan may have landed on one.
    if not math.isfinite(sum(grad)):
        return None
    if skipped:
        v = g.value
        if not math.isfinite(sum(v) if output == len(v) - 1 else sum(v[: output + 1])):
            return None
    return grad


def _cone_pass(g: Graph, plan: Plan, output: int, hi: int) -> list[float]:
    v, k, derivs, ga, gb = g.value, g.k, _DERIVS, g.a, g.b
    grad, cols = _start(g, plan, output, hi)
    cone = bytearray(output + 1)
    cone[output] = 1
    if _split_pair(plan, hi, output + 1) == output:
        cone[ga[output]] = cone[gb[output]] = 1
    fma, fma_w, fma_h, table = _FMA, _FMA_W, _FMA_H, _B
    add, mul, mul_a, add_a, relu, tanh, sub = _B_ADD, _B_MUL, _B_MUL_A, _B_ADD_A, _B_RELU, _B_TANH, _B_SUB
    i = output
    try:
        for i, _, o, x, y, w, h in cols:
            if o >= fma:
                if cone[i]:
                    gi = grad[i]
                    grad[x] += gi
                    grad[y] += gi
                    cone[x] = cone[y] = 1
                if cone[y]:
                    gm = grad[y]
                    if o != fma_h:
                        grad[w] += gm * v[h]
                    if o != fma_w:
                        grad[h] += gm * v[w]
                    cone[w] = cone[h] = 1
                continue
            if not cone[i]:
                continue
            gi = grad[i]
            cone[x] = 1
            if y >= 0:
                cone[y] = 1
            if o == add:
                grad[x] += gi
                grad[y] += gi
            elif o == mul:
                grad[x] += gi * v[y]
                grad[y] += gi * v[x]
            elif o == mul_a:
                grad[x] += gi * v[y]
            elif o == tanh:
                t = v[i]
                grad[x] += gi * (1.0 - t * t)
            elif o == relu:
                grad[x] += gi * (1.0 if v[x] > 0 else 0.0)
            elif o == sub:
                grad[x] += gi
                grad[y] -= gi
            elif o < table:
                d = derivs[o](v[x], v[y], k[i], v[i])
                grad[x] += gi * d[0]
                if y >= 0:
                    grad[y] += gi * d[1]
            elif o == add_a:
                grad[x] += gi
            else:
                grad[x] -= gi
    except _MATH_ERRORS as exc:
        # The table's derivatives are total on their domains; this is a safety net.
        raise EvalError(i, f"the derivative of {OPS[g.op[i]].name} failed ({exc})") from None
    return grad


def nonfinite(arr: list[float], start: int, stop: int, what: str) -> list[Warning_]:
    # One C-level sum tells whether anything is inf or nan; scan only then.
    whole = start == 0 and stop >= len(arr)
    if math.isfinite(sum(arr) if whole else sum(arr[start:stop])):
        return []
    out = []
    for i in range(start, min(stop, len(arr))):
        x = arr[i]
        if not math.isfinite(x):
            kind = "nan" if x != x else "overflow to inf" if what == "value" else "infinite"
            out.append(Warning_(i, f"{what} is {x} ({kind})"))
    return out
