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
- An operand whose one consumer is the node (most of an expression's intermediates) has
  gradient 0 until that node pushes: the push is a store, not a load and an addition.
- The fast backward pass skips the pushes of an inlined op whose gradient is 0 (a dead
  relu's whole subtree): with every value finite, its local derivatives are finite (±1,
  0 or 1, a value, 1 − tanh²) and 0·d = ±0 would change nothing. When a value or a
  gradient is not finite, the exact pass over the output's cone runs instead (0·inf = nan,
  as the stepping session has it). Whether a gradient is: every push of a non-finite
  gradient is non-finite (inf·0 = nan; an off relu pushes gi·0 when gi is not finite),
  so one reaches a leaf, and the sum of the leaves' gradients (Plan.sinks) tells.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import engine_plan as ep
from .engine_plan import FUSED, Entry, Plan
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
    """Evaluate the op nodes in [start, stop) into g.value; return overflow warnings.

    Whether any value is not finite: over the whole graph, from the values of the nodes
    nothing reads (Plan.ends) and the operands of the ops that may turn a non-finite
    value into a finite one (relu(nan) = 0, tanh(inf) = 1, any table op), summed in the
    loop as it reads them: every other op passes a non-finite operand on (inf·0 = nan,
    inf − inf = nan), so a non-finite value anywhere reaches one of those. Over a part of
    it, one C-level sum of the range. Only when the answer is yes, a scan names them."""
    lo, hi = ep._cut(plan, len(g), start, stop)
    v, k, fns, ga, gb = g.value, g.k, ep._FNS, g.a, g.b
    entries = plan.entries
    if lo < hi and entries[lo][1] >= ep._FMA and entries[lo][4] < start:
        # The range starts between a pair's product and its sum: the sum alone.
        i, _, _, x, m, _, _ = entries[lo]
        v[i] = v[x] + v[m]
        lo += 1
    part = entries[lo:hi] if lo > 0 or hi < len(entries) else entries
    fma, mul, add, sub, neg, relu, tanh, powk = (
        ep._FMA, ep._MUL, ep._ADD, ep._SUB, ep._NEG, ep._RELU, ep._TANH, ep._POWK)
    th, pw = math.tanh, math.pow
    i = x = y = 0
    seen = 0.0  # the sum of those operands (an overflow of finite ones only costs the scan)
    try:
        for i, o, _, x, y, w, h in part:
            if o >= fma:
                t = v[w] * v[h]
                v[y] = t
                v[i] = v[x] + t
            elif o == mul:
                v[i] = v[x] * v[y]
            elif o == add:
                v[i] = v[x] + v[y]
            elif o == relu:
                t = v[x]
                if t > 0:
                    v[i] = t
                else:  # nan and -inf too
                    v[i] = 0.0
                    seen += t
            elif o == tanh:
                t = v[x]
                seen += t
                v[i] = th(t)
            elif o == sub:
                v[i] = v[x] - v[y]
            elif o == powk:  # the table's _pow: math.pow, ±inf where it overflows
                t = v[x]
                seen += t
                try:
                    v[i] = pw(t, k[i])
                except OverflowError:
                    v[i] = fns[o](t, 0.0, k[i])
            elif o == neg:
                v[i] = -v[x]
            else:
                # v[-1] for a unary op's missing b is harmless: unary fns ignore it (and
                # adding it to `seen` can only cost the scan).
                t, u = v[x], v[y]
                seen += t + u
                v[i] = fns[o](t, u, k[i])
    except ep._MATH_ERRORS as exc:
        raise g.domain_error(i, v[x], v[y] if y >= 0 else 0.0, k[i], exc) from None
    m = ep._split_pair(plan, hi, stop)
    if m >= start:
        v[m] = v[ga[m]] * v[gb[m]]
    if start == 0 and stop >= len(g):  # (v may be a shorter scratch list)
        ends = plan.ends_of(v)
        if math.isfinite(seen) and math.isfinite(sum(ends)):
            return []
    return nonfinite(v, start, stop, "value")


def backward(g: Graph, plan: Plan, output: int) -> list[Warning_]:
    """Gradients of node `output` with respect to every node, from scratch, into g.grad.

    Exact chain rule over the output's cone: a node of the cone passes gi·d to each operand
    that takes a gradient, even when gi is 0 (0·inf = nan, as the stepping session has it);
    a node off the cone passes nothing. The fast pass (module doc) gives the same answer
    when every value and gradient is finite; otherwise the cone pass runs.
    """
    n = len(g)
    _, hi = ep._cut(plan, n, 0, output + 1)
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
    is the product of a fused pair (its sum lies past the output); and the entries to run
    in reverse."""
    grad = [0.0] * len(g)
    grad[output] = 1.0
    if ep._split_pair(plan, hi, output + 1) == output:
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
    error, or a push whose local derivative reads values was skipped while some value is
    not finite (one C-level sum, only then: with every value finite, each inlined op's
    local derivative is finite too)."""
    v, k, derivs = g.value, g.k, ep._DERIVS
    grad, cols = _start(g, plan, output, hi)
    fma, fma_s, fma_xs, fma_w, fma_w1, table, by_value = (
        ep._FMA, ep._FMA_S, ep._FMA_XS, ep._FMA_W, ep._FMA_W1, ep._B, ep._B_VALUE)
    add, add_s, add_ss, add_a, add_as, relu, relu_s, sub = (
        ep._B_ADD, ep._B_ADD_S, ep._B_ADD_SS, ep._B_ADD_A, ep._B_ADD_AS, ep._B_RELU, ep._B_RELU_S,
        ep._B_SUB)
    mul, mul_s, mul_a, mul_as, tanh, tanh_s, square_s = (
        ep._B_MUL, ep._B_MUL_S, ep._B_MUL_A, ep._B_MUL_AS, ep._B_TANH, ep._B_TANH_S, ep._B_SQUARE_S)
    skipped = False
    try:
        # Ordered by how common each op is in a loss: dot products, products, sums… A
        # code ending in _s stores into a sole operand (engine_plan.py). `a[j] = a[j] + d`,
        # not `a[j] += d`: two bytecodes fewer, the same addition.
        for i, s, o, x, y, w, h in cols:
            gi = grad[i]
            if o >= fma:  # the sum i = x + y (how: s), then the product y = w·h (how: o)
                if gi:
                    if s == fma_xs:  # the sum is the sole consumer of x and y
                        grad[x] = gi
                        grad[y] = gm = gi
                    elif s == fma_s:  # of y
                        grad[x] = grad[x] + gi
                        grad[y] = gm = gi
                    else:
                        grad[x] = grad[x] + gi
                        gm = grad[y] + gi
                        grad[y] = gm
                else:
                    gm = grad[y]
                    if not gm:
                        skipped = True
                        continue
                if o == fma:
                    grad[w] = grad[w] + gm * v[h]
                    grad[h] = grad[h] + gm * v[w]
                elif o == fma_w1:
                    grad[w] = gm * v[h] or 0.0
                elif o == fma_w:
                    grad[w] = grad[w] + gm * v[h]
                else:
                    grad[h] = grad[h] + gm * v[w]
            elif not gi:
                if o < table:
                    # Through the table even for gi = 0: d may be inf (sqrt'(0)), and 0·inf
                    # = nan then sends the whole pass to the cone pass, which decides.
                    d = derivs[o](v[x], v[y], k[i], v[i])
                    grad[x] += gi * d[0]
                    if y >= 0:
                        grad[y] += gi * d[1]
                elif o >= by_value:
                    skipped = True
            elif o >= by_value:  # products, tanh, square: rules that read values
                if o == mul:
                    grad[x] = grad[x] + gi * v[y]
                    grad[y] = grad[y] + gi * v[x]
                elif o == mul_s:
                    grad[x] = gi * v[y] or 0.0
                    grad[y] = grad[y] + gi * v[x]
                elif o == mul_a:
                    grad[x] = grad[x] + gi * v[y]
                elif o == mul_as:
                    grad[x] = gi * v[y] or 0.0
                elif o == tanh_s:
                    t = v[i]
                    grad[x] = gi * (1.0 - t * t) or 0.0
                elif o == tanh:
                    t = v[i]
                    grad[x] = grad[x] + gi * (1.0 - t * t)
                elif o == square_s:  # powk's rule at k = 2: 2·pow(a, 1) = 2a exactly
                    grad[x] = gi * (2.0 * v[x]) or 0.0
                else:  # square
                    grad[x] = grad[x] + gi * (2.0 * v[x])
            elif o >= table:  # sums, sub, neg, relu
                if o == add_ss:
                    grad[x] = gi
                    grad[y] = gi
                elif o == add:
                    grad[x] = grad[x] + gi
                    grad[y] = grad[y] + gi
                elif o == add_s:
                    grad[x] = gi
                    grad[y] = grad[y] + gi
                elif o == relu_s:
                    if v[x] > 0:
                        grad[x] = gi  # gi·1
                    elif gi - gi:  # gi·0: nan when gi is not finite, else ±0 (no change)
                        grad[x] = gi * 0.0
                elif o == relu:
                    if v[x] > 0:
                        grad[x] = grad[x] + gi
                    elif gi - gi:
                        grad[x] = grad[x] + gi * 0.0
                elif o == add_as:
                    grad[x] = gi
                elif o == add_a:
                    grad[x] = grad[x] + gi
                elif o == sub:
                    grad[x] = grad[x] + gi
                    grad[y] = grad[y] - gi
                else:  # neg
                    grad[x] = grad[x] - gi
            else:
                d = derivs[o](v[x], v[y], k[i], v[i])
                grad[x] = grad[x] + gi * d[0]
                if y >= 0:
                    grad[y] = grad[y] + gi * d[1]
    except ep._MATH_ERRORS:
        return None
    # Before consts and literals are zeroed: a nan may have landed on one.
    if not math.isfinite(sum(plan.sinks_of(grad))):  # (an overflowing sum says no too)
        return None
    if skipped:
        v = g.value
        if not math.isfinite(sum(v) if output == len(v) - 1 else sum(v[: output + 1])):
            return None
    return grad


def _cone_pass(g: Graph, plan: Plan, output: int, hi: int) -> list[float]:
    """The exact chain rule over the output's cone: every push added (the sole-consumer
    stores are the fast pass's), zero gradients included."""
    v, k, derivs, ga, gb = g.value, g.k, ep._DERIVS, g.a, g.b
    grad, cols = _start(g, plan, output, hi)
    cone = bytearray(output + 1)
    cone[output] = 1
    if ep._split_pair(plan, hi, output + 1) == output:
        cone[ga[output]] = cone[gb[output]] = 1
    fma, fma_h, table, base = ep._FMA, ep._FMA_H, ep._B, ep.BASE
    add, mul, mul_a, add_a, relu, tanh, sub, square = (
        ep._B_ADD, ep._B_MUL, ep._B_MUL_A, ep._B_ADD_A, ep._B_RELU, ep._B_TANH, ep._B_SUB, ep._B_SQUARE)
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
                    if o != fma_h:  # w takes a gradient
                        grad[w] += gm * v[h]
                    if o == fma or o == fma_h:
                        grad[h] += gm * v[w]
                    cone[w] = cone[h] = 1
                continue
            if not cone[i]:
                continue
            gi = grad[i]
            cone[x] = 1
            if y >= 0:
                cone[y] = 1
            if o >= table:
                o = base[o]
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
            elif o == square:
                grad[x] += gi * (2.0 * v[x])
            elif o == add_a:
                grad[x] += gi
            else:
                grad[x] -= gi
    except ep._MATH_ERRORS as exc:
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
